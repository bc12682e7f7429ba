#ifndef FLINT_MPI_SHIM_H
#define FLINT_MPI_SHIM_H
// Open MPI is opened with dlopen, and only when a launcher (mpirun, srun)
// started the process: Flint without a launcher needs no MPI installed. The MPI
// handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over global
// objects in Open MPI (`&ompi_mpi_comm_world`), so they are looked up by their
// symbol names; MPI_IN_PLACE is `(void *)1` and MPI_STATUS_IGNORE is NULL.
// Every MPI object is an opaque pointer here: Open MPI's ABI (libmpi.so.40).
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/// The MPI functions and handles Flint uses, resolved from libmpi.
typedef struct flint_mpi {
    int (*init_thread)(int *argc, char ***argv, int required, int *provided);
    int (*initialized)(int *flag);
    int (*finalized)(int *flag);
    int (*finalize)(void);
    int (*comm_rank)(void *comm, int *rank);
    int (*comm_size)(void *comm, int *size);
    int (*allreduce)(const void *send, void *recv, int count, void *type, void *op, void *comm);
    int (*iallreduce)(const void *send, void *recv, int count, void *type, void *op, void *comm, void **request);
    int (*wait)(void **request, void *status);
    int (*bcast)(void *buffer, int count, void *type, int root, void *comm);
    int (*barrier)(void *comm);
    int (*allgather)(const void *send, int sendCount, void *sendType, void *recv, int recvCount, void *recvType, void *comm);
    int (*abort)(void *comm, int code);
    int (*error_string)(int code, char *text, int *length);
    int (*comm_set_errhandler)(void *comm, void *handler);
    void *comm_world, *type_float, *type_double, *type_byte, *type_uint64, *op_sum, *op_max, *errors_return;
} flint_mpi;

/// MPI_IN_PLACE in Open MPI.
static inline void *flint_mpi_in_place(void) { return (void *)1; }

/// Opens libmpi and resolves every entry of `mpi`; 0 on success, else writes
/// why into `error` (the library or symbol that is missing).
static inline int flint_mpi_load(flint_mpi *mpi, char *error, size_t errorSize) {
    static const char *const names[] = {
#ifdef __APPLE__
        "libmpi.40.dylib", "libmpi.dylib", "/opt/homebrew/lib/libmpi.dylib", "/usr/local/lib/libmpi.dylib",
#else
        "libmpi.so.40", "libmpi.so",
#endif
    };
    void *library = NULL;
    // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global scope.
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    }
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(error, errorSize, "cannot load Open MPI's libmpi.so.40 (install openmpi-bin): %s", why ? why : "not found");
        return 1;
    }
    memset(mpi, 0, sizeof *mpi);
#define FLINT_MPI_RESOLVE(field, symbol)                                                        \
    if ((*(void **)&mpi->field = dlsym(library, symbol)) == NULL) {                             \
        snprintf(error, errorSize, "the loaded libmpi has no %s (Flint needs Open MPI 4)", symbol); \
        return 1;                                                                               \
    }
    FLINT_MPI_RESOLVE(init_thread, "MPI_Init_thread")
    FLINT_MPI_RESOLVE(initialized, "MPI_Initialized")
    FLINT_MPI_RESOLVE(finalized, "MPI_Finalized")
    FLINT_MPI_RESOLVE(finalize, "MPI_Finalize")
    FLINT_MPI_RESOLVE(comm_rank, "MPI_Comm_rank")
    FLINT_MPI_RESOLVE(comm_size, "MPI_Comm_size")
    FLINT_MPI_RESOLVE(allreduce, "MPI_Allreduce")
    FLINT_MPI_RESOLVE(iallreduce, "MPI_Iallreduce")
    FLINT_MPI_RESOLVE(wait, "MPI_Wait")
    FLINT_MPI_RESOLVE(bcast, "MPI_Bcast")
    FLINT_MPI_RESOLVE(barrier, "MPI_Barrier")
    FLINT_MPI_RESOLVE(allgather, "MPI_Allgather")
    FLINT_MPI_RESOLVE(abort, "MPI_Abort")
    FLINT_MPI_RESOLVE(error_string, "MPI_Error_string")
    FLINT_MPI_RESOLVE(comm_set_errhandler, "MPI_Comm_set_errhandler")
    FLINT_MPI_RESOLVE(comm_world, "ompi_mpi_comm_world")
    FLINT_MPI_RESOLVE(type_float, "ompi_mpi_float")
    FLINT_MPI_RESOLVE(type_double, "ompi_mpi_double")
    FLINT_MPI_RESOLVE(type_byte, "ompi_mpi_byte")
    FLINT_MPI_RESOLVE(type_uint64, "ompi_mpi_uint64_t")
    FLINT_MPI_RESOLVE(op_sum, "ompi_mpi_op_sum")
    FLINT_MPI_RESOLVE(op_max, "ompi_mpi_op_max")
    FLINT_MPI_RESOLVE(errors_return, "ompi_mpi_errors_return")
#undef FLINT_MPI_RESOLVE
    return 0;
}

#endif
