#ifndef FLINT_CBLAS_SHIM_H
#define FLINT_CBLAS_SHIM_H
// OpenBLAS is opened with dlopen on the first BLAS or LAPACK call instead of
// being linked: loading it starts its thread pool and maps libgfortran, which
// cost every start of `flint` several milliseconds even for commands that
// multiply no matrices (bench/startup). Each function below keeps OpenBLAS's
// name and signature and looks the real one up on its first call; a routine
// Flint starts to use is declared the same way, with FLINT_OPENBLAS.
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/// The handle of libopenblas, opened on first use. A missing library ends the
/// process as the dynamic loader would have at start-up.
static inline void *flint_openblas_library(void) {
    static void *library;
    void *opened = __atomic_load_n(&library, __ATOMIC_ACQUIRE);
    if (opened != NULL) return opened;
    static const char *const names[] = {
#ifdef __APPLE__
        "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
        "/usr/local/opt/openblas/lib/libopenblas.dylib",
#else
        "libopenblas.so.0", "libopenblas.so",
#endif
    };
    // OpenBLAS's idle threads spin (sched_yield) for 2^28 cycles after each
    // threaded GEMM, holding the other core while Flint's own worker pool needs
    // it: elementwise ops after a large matmul then ran on one core. Read by
    // OpenBLAS when it loads; 2^4 cycles makes its threads sleep at once (a
    // threaded GEMM is >= 2^27 flops, so waking them again costs little). A
    // value the user set is kept.
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && opened == NULL; i++) {
        opened = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (opened == NULL) {
        fprintf(stderr, "flint: cannot load OpenBLAS (install libopenblas-dev): %s\n", dlerror());
        exit(127);
    }
    __atomic_store_n(&library, opened, __ATOMIC_RELEASE);
    return opened;
}

static inline void *flint_openblas_symbol(const char *name) {
    void *symbol = dlsym(flint_openblas_library(), name);
    if (symbol == NULL) {
        fprintf(stderr, "flint: the loaded OpenBLAS has no %s\n", name);
        exit(127);
    }
    return symbol;
}

/// Defines `void name params`, which calls OpenBLAS's `name` with `args`.
#define FLINT_OPENBLAS(name, params, args)                                   \
    static inline void name params {                                         \
        static void(*cached) params;                                         \
        void(*function) params = __atomic_load_n(&cached, __ATOMIC_ACQUIRE); \
        if (function == NULL) {                                              \
            *(void **)&function = flint_openblas_symbol(#name);              \
            __atomic_store_n(&cached, function, __ATOMIC_RELEASE);           \
        }                                                                    \
        function args;                                                       \
    }

// CBLAS (as cblas.h declares it, with OpenBLAS's 32-bit integers).
typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113, CblasConjNoTrans = 114 } CBLAS_TRANSPOSE;

FLINT_OPENBLAS(cblas_sgemm,
               (CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc),
               (order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
FLINT_OPENBLAS(cblas_dgemm,
               (CBLAS_ORDER order, CBLAS_TRANSPOSE transA, CBLAS_TRANSPOSE transB, int m, int n, int k, double alpha,
                const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc),
               (order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
FLINT_OPENBLAS(openblas_set_num_threads, (int threads), (threads))

/* LAPACK routines that libopenblas exports (Fortran calling convention:
   every argument by pointer, column-major matrices, and a hidden length
   argument after the others for each character argument). */
FLINT_OPENBLAS(dgetrf_, (const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info),
               (m, n, a, lda, ipiv, info))
FLINT_OPENBLAS(dgetri_,
               (const int *n, double *a, const int *lda, const int *ipiv, double *work, const int *lwork, int *info),
               (n, a, lda, ipiv, work, lwork, info))
FLINT_OPENBLAS(dgesv_,
               (const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b, const int *ldb, int *info),
               (n, nrhs, a, lda, ipiv, b, ldb, info))
FLINT_OPENBLAS(dpotrf_, (const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len),
               (uplo, n, a, lda, info, uplo_len))
FLINT_OPENBLAS(dgeqrf_,
               (const int *m, const int *n, double *a, const int *lda, double *tau, double *work, const int *lwork,
                int *info),
               (m, n, a, lda, tau, work, lwork, info))
FLINT_OPENBLAS(dorgqr_,
               (const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau, double *work,
                const int *lwork, int *info),
               (m, n, k, a, lda, tau, work, lwork, info))
FLINT_OPENBLAS(dgesdd_,
               (const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
                const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info,
                size_t jobz_len),
               (jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info, jobz_len))
FLINT_OPENBLAS(dsyevd_,
               (const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
                const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_len, size_t uplo_len),
               (jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, jobz_len, uplo_len))
FLINT_OPENBLAS(dgelsd_,
               (const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
                double *s, const double *rcond, int *rank, double *work, const int *lwork, int *iwork, int *info),
               (m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, iwork, info))
FLINT_OPENBLAS(dgelsy_,
               (const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
                int *jpvt, const double *rcond, int *rank, double *work, const int *lwork, int *info),
               (m, n, nrhs, a, lda, b, ldb, jpvt, rcond, rank, work, lwork, info))
FLINT_OPENBLAS(dgelss_,
               (const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb,
                double *s, const double *rcond, int *rank, double *work, const int *lwork, int *info),
               (m, n, nrhs, a, lda, b, ldb, s, rcond, rank, work, lwork, info))
FLINT_OPENBLAS(dgels_,
               (const char *trans, const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
                const int *ldb, double *work, const int *lwork, int *info, size_t trans_len),
               (trans, m, n, nrhs, a, lda, b, ldb, work, lwork, info, trans_len))
FLINT_OPENBLAS(dgeev_,
               (const char *jobvl, const char *jobvr, const int *n, double *a, const int *lda, double *wr, double *wi,
                double *vl, const int *ldvl, double *vr, const int *ldvr, double *work, const int *lwork, int *info,
                size_t jobvl_len, size_t jobvr_len),
               (jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info, jobvl_len, jobvr_len))

#endif
