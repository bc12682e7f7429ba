#ifndef FLINT_NORM_H
#define FLINT_NORM_H

// Batch norm with batch statistics (torch.nn.functional.batch_norm in training) as four passes over an
// [n, c, s] input (s: the positions of one channel in one sample), each over channels c0 ..< c1 so that the
// caller can split channels over threads. Sums run in 16 lanes of the element type per row of s and in
// double across rows.

#include <stddef.h>

/// Per channel: mean[ch] and the biased variance var[ch] (two passes: the mean first, then squares about it).
void flint_batch_norm_stats_f32(const float *x, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s, ptrdiff_t c0, ptrdiff_t c1,
                                double *mean, double *var);
void flint_batch_norm_stats_f64(const double *x, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s, ptrdiff_t c0, ptrdiff_t c1,
                                double *mean, double *var);

/// Per channel: sum_dy[ch] = Σ dy and sum_dy_xmu[ch] = Σ dy·(x − mean[ch]).
void flint_batch_norm_backward_sums_f32(const float *x, const float *dy, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s,
                                        ptrdiff_t c0, ptrdiff_t c1, const double *mean, double *sum_dy, double *sum_dy_xmu);
void flint_batch_norm_backward_sums_f64(const double *x, const double *dy, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s,
                                        ptrdiff_t c0, ptrdiff_t c1, const double *mean, double *sum_dy, double *sum_dy_xmu);

/// out = a[ch]·u + b[ch]·v + k[ch] elementwise (v may be NULL: then b is unused). The forward's normalise and
/// affine is out = scale·x + shift; the input gradient is dx = a·dy + b·x + k.
void flint_batch_norm_affine_f32(const float *u, const float *v, float *out, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s,
                                 ptrdiff_t c0, ptrdiff_t c1, const float *a, const float *b, const float *k);
void flint_batch_norm_affine_f64(const double *u, const double *v, double *out, ptrdiff_t n, ptrdiff_t c, ptrdiff_t s,
                                 ptrdiff_t c0, ptrdiff_t c1, const double *a, const double *b, const double *k);

// Layer norm (torch.nn.functional.layer_norm) over rows of d contiguous values, rows r0 ..< r1.

/// y = (x − mean)·invstd·w + b per row (w, b of d values, either may be NULL); writes each row's mean and
/// invstd = 1/√(biased var + eps) for the backward.
void flint_layer_norm_f32(const float *x, const float *w, const float *b, float *y, ptrdiff_t d, ptrdiff_t r0,
                          ptrdiff_t r1, double eps, double *mean, double *invstd);
void flint_layer_norm_f64(const double *x, const double *w, const double *b, double *y, ptrdiff_t d, ptrdiff_t r0,
                          ptrdiff_t r1, double eps, double *mean, double *invstd);

/// dx per row, with g = dy·w (w may be NULL) and x̂ = (x − mean)·invstd:
/// dx = invstd·(g − mean(g) − x̂·mean(g·x̂)).
void flint_layer_norm_backward_f32(const float *x, const float *dy, const float *w, const double *mean,
                                   const double *invstd, float *dx, ptrdiff_t d, ptrdiff_t r0, ptrdiff_t r1);
void flint_layer_norm_backward_f64(const double *x, const double *dy, const double *w, const double *mean,
                                   const double *invstd, double *dx, ptrdiff_t d, ptrdiff_t r0, ptrdiff_t r1);

/// The affine parameters' gradients over all rows: dw[j] = Σ dy·x̂, db[j] = Σ dy (either may be NULL).
void flint_layer_norm_param_grads_f32(const float *x, const float *dy, const double *mean, const double *invstd,
                                      float *dw, float *db, ptrdiff_t d, ptrdiff_t rows);
void flint_layer_norm_param_grads_f64(const double *x, const double *dy, const double *mean, const double *invstd,
                                      double *dw, double *db, ptrdiff_t d, ptrdiff_t rows);

#endif
