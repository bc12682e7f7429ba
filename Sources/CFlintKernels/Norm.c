#include "FlintKernels.h"
#include "FlintNorm.h"

enum { NORM_LANES = 16 };

#define NORM_KERNELS(T, SUFFIX)                                                                                 \
    /* Σ x − m over one row, in lanes so that it vectorises without reassociating. */                           \
    static inline T sum_about_##SUFFIX(const T *x, ptrdiff_t s, T m, int square) {                               \
        T lane[NORM_LANES] = {0};                                                                                \
        ptrdiff_t j = 0;                                                                                         \
        for (; j + NORM_LANES <= s; j += NORM_LANES)                                                             \
            for (int l = 0; l < NORM_LANES; l++) {                                                               \
                T d = x[j + l] - m;                                                                              \
                lane[l] += square ? d * d : d;                                                                   \
            }                                                                                                    \
        T total = 0;                                                                                             \
        for (int l = 0; l < NORM_LANES; l++) total += lane[l];                                                   \
        for (; j < s; j++) total += square ? (x[j] - m) * (x[j] - m) : x[j] - m;                                 \
        return total;                                                                                            \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_batch_norm_stats_##SUFFIX(const T *x, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s,         \
                                                      ptrdiff_t c0, ptrdiff_t c1, double *mean, double *var) {   \
        double count = (double)(n * s);                                                                          \
        for (ptrdiff_t ch = c0; ch < c1; ch++) {                                                                 \
            double total = 0;                                                                                    \
            for (ptrdiff_t i = 0; i < n; i++) total += sum_about_##SUFFIX(x + (i * c + ch) * s, s, 0, 0);        \
            double m = total / count, squares = 0;                                                               \
            for (ptrdiff_t i = 0; i < n; i++) squares += sum_about_##SUFFIX(x + (i * c + ch) * s, s, (T)m, 1);   \
            mean[ch] = m;                                                                                        \
            var[ch] = squares / count;                                                                           \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_batch_norm_backward_sums_##SUFFIX(const T *x, const T *dy, ptrdiff_t n, ptrdiff_t c, \
                                                              ptrdiff_t s, ptrdiff_t c0, ptrdiff_t c1,           \
                                                              const double *mean, double *sum_dy,                \
                                                              double *sum_dy_xmu) {                              \
        for (ptrdiff_t ch = c0; ch < c1; ch++) {                                                                 \
            double total = 0, product = 0;                                                                       \
            T m = (T)mean[ch];                                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                  \
                const T *xr = x + (i * c + ch) * s, *dr = dy + (i * c + ch) * s;                                 \
                T lane[NORM_LANES] = {0}, lane_xmu[NORM_LANES] = {0};                                            \
                ptrdiff_t j = 0;                                                                                 \
                for (; j + NORM_LANES <= s; j += NORM_LANES)                                                     \
                    for (int l = 0; l < NORM_LANES; l++) {                                                       \
                        lane[l] += dr[j + l];                                                                    \
                        lane_xmu[l] += dr[j + l] * (xr[j + l] - m);                                              \
                    }                                                                                            \
                T row = 0, row_xmu = 0;                                                                          \
                for (int l = 0; l < NORM_LANES; l++) { row += lane[l]; row_xmu += lane_xmu[l]; }                 \
                for (; j < s; j++) { row += dr[j]; row_xmu += dr[j] * (xr[j] - m); }                             \
                total += row;                                                                                    \
                product += row_xmu;                                                                              \
            }                                                                                                    \
            sum_dy[ch] = total;                                                                                  \
            sum_dy_xmu[ch] = product;                                                                            \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_batch_norm_affine_##SUFFIX(const T *u, const T *v, T *out, ptrdiff_t n, ptrdiff_t c, \
                                                       ptrdiff_t s, ptrdiff_t c0, ptrdiff_t c1, const T *a,      \
                                                       const T *b, const T *k) {                                 \
        for (ptrdiff_t i = 0; i < n; i++)                                                                        \
            for (ptrdiff_t ch = c0; ch < c1; ch++) {                                                             \
                ptrdiff_t at = (i * c + ch) * s;                                                                 \
                const T *ur = u + at;                                                                            \
                T *o = out + at, ac = a[ch], kc = k[ch];                                                         \
                if (v) {                                                                                         \
                    const T *vr = v + at;                                                                        \
                    T bc = b[ch];                                                                                \
                    for (ptrdiff_t j = 0; j < s; j++) o[j] = ac * ur[j] + bc * vr[j] + kc;                       \
                } else {                                                                                         \
                    for (ptrdiff_t j = 0; j < s; j++) o[j] = ac * ur[j] + kc;                                    \
                }                                                                                                \
            }                                                                                                    \
    }

NORM_KERNELS(float, f32)
NORM_KERNELS(double, f64)
