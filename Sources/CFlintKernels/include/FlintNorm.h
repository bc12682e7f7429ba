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

#endif
