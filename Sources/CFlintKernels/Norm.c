#include "FlintKernels.h"
#include "FlintNorm.h"

#include <math.h>

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

#define LAYER_NORM_KERNELS(T, SUFFIX)                                                                           \
    FLINT_CLONES void flint_layer_norm_##SUFFIX(const T *x, const T *w, const T *b, T *y, ptrdiff_t d,           \
                                                ptrdiff_t r0, ptrdiff_t r1, double eps, double *mean,            \
                                                double *invstd) {                                                \
        for (ptrdiff_t r = r0; r < r1; r++) {                                                                    \
            const T *xr = x + r * d;                                                                             \
            T *yr = y + r * d;                                                                                   \
            double m = (double)sum_about_##SUFFIX(xr, d, 0, 0) / (double)d;                                      \
            double v = (double)sum_about_##SUFFIX(xr, d, (T)m, 1) / (double)d;                                  \
            double inv = 1.0 / sqrt(v + eps);                                                                    \
            mean[r] = m;                                                                                         \
            invstd[r] = inv;                                                                                     \
            T tm = (T)m, ti = (T)inv;                                                                            \
            for (ptrdiff_t j = 0; j < d; j++) {                                                                  \
                T v_ = (xr[j] - tm) * ti;                                                                        \
                if (w) v_ = v_ * w[j];                                                                           \
                if (b) v_ = v_ + b[j];                                                                           \
                yr[j] = v_;                                                                                      \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_layer_norm_backward_##SUFFIX(const T *x, const T *dy, const T *w,                   \
                                                         const double *mean, const double *invstd, T *dx,        \
                                                         ptrdiff_t d, ptrdiff_t r0, ptrdiff_t r1) {              \
        for (ptrdiff_t r = r0; r < r1; r++) {                                                                    \
            const T *xr = x + r * d, *gr = dy + r * d;                                                           \
            T *dr = dx + r * d;                                                                                  \
            T tm = (T)mean[r], ti = (T)invstd[r];                                                                \
            double sg = 0, sgx = 0;                                                                              \
            for (ptrdiff_t j = 0; j < d; j++) {                                                                  \
                T g = w ? gr[j] * w[j] : gr[j];                                                                  \
                sg += g;                                                                                         \
                sgx += g * ((xr[j] - tm) * ti);                                                                  \
            }                                                                                                    \
            T mg = (T)(sg / (double)d), mgx = (T)(sgx / (double)d);                                              \
            for (ptrdiff_t j = 0; j < d; j++) {                                                                  \
                T g = w ? gr[j] * w[j] : gr[j];                                                                  \
                dr[j] = ti * (g - mg - (xr[j] - tm) * ti * mgx);                                                 \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_layer_norm_param_grads_##SUFFIX(const T *x, const T *dy, const double *mean,        \
                                                            const double *invstd, T *dw, T *db, ptrdiff_t d,     \
                                                            ptrdiff_t rows) {                                    \
        for (ptrdiff_t j = 0; j < d; j++) {                                                                      \
            if (dw) dw[j] = 0;                                                                                   \
            if (db) db[j] = 0;                                                                                   \
        }                                                                                                        \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                                   \
            const T *xr = x + r * d, *gr = dy + r * d;                                                           \
            T tm = (T)mean[r], ti = (T)invstd[r];                                                                \
            if (dw)                                                                                              \
                for (ptrdiff_t j = 0; j < d; j++) dw[j] += gr[j] * ((xr[j] - tm) * ti);                          \
            if (db)                                                                                              \
                for (ptrdiff_t j = 0; j < d; j++) db[j] += gr[j];                                                \
        }                                                                                                        \
    }

LAYER_NORM_KERNELS(float, f32)
LAYER_NORM_KERNELS(double, f64)
