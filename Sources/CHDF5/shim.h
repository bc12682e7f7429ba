#ifndef FLINT_CHDF5_SHIM_H
#define FLINT_CHDF5_SHIM_H
#include <hdf5.h>
#include <stdio.h>

// HDF5 exposes its type, property-list and access constants as macros that
// expand to global ids initialised by H5open(); Swift cannot import them.
static inline hid_t flint_H5T_NATIVE_FLOAT(void)  { return H5T_NATIVE_FLOAT; }
static inline hid_t flint_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t flint_H5T_NATIVE_INT64(void)  { return H5T_NATIVE_INT64; }
static inline hid_t flint_H5T_NATIVE_INT32(void)  { return H5T_NATIVE_INT32; }
static inline hid_t flint_H5T_NATIVE_UINT8(void)  { return H5T_NATIVE_UINT8; }
static inline hid_t flint_H5T_NATIVE_INT8(void)   { return H5T_NATIVE_INT8; }
static inline hid_t flint_H5T_NATIVE_HBOOL(void)  { return H5T_NATIVE_HBOOL; }
static inline hid_t flint_H5T_C_S1(void)          { return H5T_C_S1; }
static inline hid_t flint_H5T_STD_U8LE(void)      { return H5T_STD_U8LE; }
static inline hid_t flint_H5T_STD_I32LE(void)     { return H5T_STD_I32LE; }
static inline hid_t flint_H5T_STD_I64LE(void)     { return H5T_STD_I64LE; }
static inline hid_t flint_H5T_IEEE_F32LE(void)    { return H5T_IEEE_F32LE; }
static inline hid_t flint_H5T_IEEE_F64LE(void)    { return H5T_IEEE_F64LE; }
static inline size_t flint_H5T_VARIABLE(void)     { return H5T_VARIABLE; }
static inline hid_t flint_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t flint_H5P_FILE_ACCESS(void)    { return H5P_FILE_ACCESS; }
static inline hid_t flint_H5P_LINK_CREATE(void)    { return H5P_LINK_CREATE; }
static inline unsigned flint_H5F_ACC_RDONLY(void)  { return H5F_ACC_RDONLY; }
static inline unsigned flint_H5F_ACC_RDWR(void)    { return H5F_ACC_RDWR; }
static inline unsigned flint_H5F_ACC_TRUNC(void)   { return H5F_ACC_TRUNC; }
static inline unsigned flint_H5F_ACC_EXCL(void)    { return H5F_ACC_EXCL; }
static inline hid_t flint_H5S_ALL(void)            { return H5S_ALL; }

// Silence HDF5's own error stack printing; Flint reports errors itself.
// In thread-safe builds the setting is per thread, so callers repeat it.
static inline void flint_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline void flint_H5_clear_errors(void) { H5Eclear2(H5E_DEFAULT); }

static inline herr_t flint_H5_innermost_error_cb(unsigned n, const H5E_error2_t *err, void *data) {
    // Walking upward, entry 0 is the function that detected the problem; its
    // description ("truncated file: eof = ...") says more than the API's.
    if (n == 0 && err->desc != NULL) {
        snprintf((char *)data, 256, "%s", err->desc);
    }
    return 0;
}

/// Copies the most specific message on this thread's HDF5 error stack into
/// `buffer` (256 bytes); leaves it empty when the stack is empty.
static inline void flint_H5_innermost_error(char *buffer) {
    buffer[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, flint_H5_innermost_error_cb, buffer);
}

#endif
