#ifndef FLINT_CHDF5_SHIM_H
#define FLINT_CHDF5_SHIM_H
// libhdf5 is opened with dlopen on first use instead of being linked: Debian's
// build pulls in libcurl, gnutls, krb5 and some 30 other libraries, which cost
// every start of `flint` ~8 ms even when no HDF5 file is touched
// (bench/startup). hdf5.h still supplies the types and constants; the functions
// Flint calls are the fields of `flint_hdf5`, typed from hdf5.h's own
// declarations and resolved together by flint_hdf5_load. A libhdf5 function
// Flint starts to call goes into FLINT_HDF5_FUNCTIONS.
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h> // Debian and Ubuntu
#else
#include <hdf5.h>
#endif
#include <dlfcn.h>
#include <stdio.h>

// HDF5's names without their "H5" prefix: Swift calls H5Fopen as `H5.Fopen`.
#define FLINT_HDF5_FUNCTIONS(X)                                                                                     \
    X(open) X(dont_atexit) X(get_libversion) X(free_memory) X(Eset_auto2) X(Eclear2) X(Ewalk2)                     \
    X(Fcreate) X(Fopen) X(Fclose) X(Fflush) X(Fget_intent)                                                          \
    X(Gcreate2) X(Gopen2) X(Gget_info) X(Oopen) X(Oclose) X(Iget_type) X(Lexists) X(Ldelete) X(Literate)            \
    X(Dcreate2) X(Dopen2) X(Dclose) X(Dread) X(Dwrite) X(Dget_type) X(Dget_space) X(Dget_create_plist)              \
    X(Dget_offset)                                                                                                  \
    X(Acreate2) X(Aopen) X(Aclose) X(Aread) X(Awrite) X(Aexists) X(Adelete) X(Aiterate2) X(Aget_type) X(Aget_space) \
    X(Tcreate) X(Tcopy) X(Tclose) X(Tequal) X(Tinsert) X(Tenum_create) X(Tenum_insert) X(Tget_class) X(Tget_size)  \
    X(Tset_size) X(Tset_cset) X(Tget_sign) X(Tget_strpad) X(Tget_super) X(Tis_variable_str) X(Tget_nmembers)       \
    X(Tget_member_name) X(Tget_member_value)                                                                        \
    X(Screate) X(Screate_simple) X(Sclose) X(Sselect_hyperslab) X(Sget_simple_extent_type)                          \
    X(Sget_simple_extent_ndims) X(Sget_simple_extent_dims) X(Sget_simple_extent_npoints)                            \
    X(Pcreate) X(Pclose) X(Pset_chunk) X(Pget_chunk) X(Pset_deflate) X(Pset_fclose_degree)                          \
    X(Pset_create_intermediate_group) X(Pget_layout) X(Pget_nfilters) X(Pget_filter2) X(Pget_external_count)        \
    X(Zfilter_avail) X(Pset_libver_bounds)

// The ids of predefined types and property-list classes: globals that H5open()
// fills in, read through the C macros H5T_NATIVE_FLOAT (H5T_NATIVE_FLOAT_g), etc.
#define FLINT_HDF5_GLOBALS(X)                                                                                       \
    X(T_NATIVE_INT8_g) X(T_NATIVE_UINT8_g) X(T_NATIVE_SHORT_g) X(T_NATIVE_INT_g) X(T_NATIVE_INT32_g)                \
    X(T_NATIVE_INT64_g) X(T_NATIVE_FLOAT_g) X(T_NATIVE_DOUBLE_g) X(T_STD_U8LE_g) X(T_STD_I16LE_g)                   \
    X(T_STD_I32LE_g) X(T_STD_I64LE_g) X(T_IEEE_F32LE_g) X(T_IEEE_F64LE_g) X(T_C_S1_g)                              \
    X(P_CLS_FILE_ACCESS_ID_g) X(P_CLS_DATASET_CREATE_ID_g) X(P_CLS_LINK_CREATE_ID_g)

typedef struct {
#define FLINT_HDF5_FUNCTION_FIELD(name) __typeof__(H5##name) *_Nonnull name;
#define FLINT_HDF5_GLOBAL_FIELD(name) const __typeof__(H5##name) *_Nonnull name;
    FLINT_HDF5_FUNCTIONS(FLINT_HDF5_FUNCTION_FIELD)
    FLINT_HDF5_GLOBALS(FLINT_HDF5_GLOBAL_FIELD)
#undef FLINT_HDF5_FUNCTION_FIELD
#undef FLINT_HDF5_GLOBAL_FIELD
} flint_hdf5;

/// Opens libhdf5, checks that its version is the one of the headers Flint was
/// built with, resolves every field of `h5` and initialises the library.
/// Returns 1, or 0 with the reason in `error` (256 bytes).
static inline int flint_hdf5_load(flint_hdf5 *_Nonnull h5, char *_Nonnull error) {
    // The development links (libhdf5-dev) match the headers; the versioned
    // names serve machines with only the runtime package.
    static const char *const names[] = {
#ifdef __APPLE__
        "libhdf5.dylib", "/opt/homebrew/lib/libhdf5.dylib", "/usr/local/lib/libhdf5.dylib",
#else
        "libhdf5_serial.so", "libhdf5.so", "libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5.so.200",
        "libhdf5_serial.so.310", "libhdf5.so.310",
#endif
    };
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        snprintf(error, 256, "cannot load libhdf5 (install libhdf5-dev): %s", dlerror());
        return 0;
    }
    const char *missing = NULL;
#define FLINT_HDF5_RESOLVE(name) \
    if ((*(void **)&h5->name = dlsym(library, "H5" #name)) == NULL && missing == NULL) missing = "H5" #name;
    FLINT_HDF5_FUNCTIONS(FLINT_HDF5_RESOLVE)
    FLINT_HDF5_GLOBALS(FLINT_HDF5_RESOLVE)
#undef FLINT_HDF5_RESOLVE
    if (missing != NULL) {
        snprintf(error, 256, "the loaded libhdf5 has no %s", missing);
        return 0;
    }
    // No atexit() cleanup: after a write failed (a full disk), libhdf5's cleanup at exit tries
    // to flush and close the file a second time and crashes, turning exit 1 into a segfault.
    // Flint closes every file it writes itself, so there is nothing left for that cleanup to do.
    if (h5->dont_atexit() < 0) {
        snprintf(error, 256, "libhdf5 refused to skip its exit cleanup");
        return 0;
    }
    unsigned major = 0, minor = 0, release = 0;
    if (h5->get_libversion(&major, &minor, &release) < 0 || major != H5_VERS_MAJOR || minor != H5_VERS_MINOR) {
        snprintf(error, 256, "libhdf5 %u.%u.%u is loaded, but Flint was built with the headers of %d.%d", major, minor,
                 release, H5_VERS_MAJOR, H5_VERS_MINOR);
        return 0;
    }
    if (h5->open() < 0) {
        snprintf(error, 256, "libhdf5 failed to initialise");
        return 0;
    }
    return 1;
}

// Some of HDF5's constant macros call H5check() and H5open() before giving
// their value; flint_hdf5_load has done both, and the calls would link libhdf5.
#undef H5CHECK
#define H5CHECK
#undef H5OPEN
#define H5OPEN
static inline unsigned flint_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned flint_H5F_ACC_RDWR(void)   { return H5F_ACC_RDWR; }
static inline unsigned flint_H5F_ACC_TRUNC(void)  { return H5F_ACC_TRUNC; }
static inline hid_t flint_H5S_ALL(void)           { return H5S_ALL; }
static inline size_t flint_H5T_VARIABLE(void)     { return H5T_VARIABLE; }

static inline herr_t flint_H5_innermost_error_cb(unsigned n, const H5E_error2_t *_Nonnull err, void *_Nullable data) {
    // Walking upward, entry 0 is the function that detected the problem; its
    // description ("truncated file: eof = ...") says more than the API's.
    if (n == 0 && err->desc != NULL) {
        snprintf((char *)data, 256, "%s", err->desc);
    }
    return 0;
}

/// Copies the most specific message on this thread's HDF5 error stack into
/// `buffer` (256 bytes); leaves it empty when the stack is empty.
static inline void flint_H5_innermost_error(const flint_hdf5 *_Nonnull h5, char *_Nonnull buffer) {
    buffer[0] = 0;
    h5->Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, flint_H5_innermost_error_cb, buffer);
}

#endif
