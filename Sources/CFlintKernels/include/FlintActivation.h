#ifndef FLINT_ACTIVATION_H
#define FLINT_ACTIVATION_H

// Exact GELU (PyTorch's `approximate='none'`) over contiguous floats, forward
// and backward each in one vectorised pass with `flint_erff` (FlintKernels.h).
// The forward keeps Φ(x) for the backward, which then needs no erf.

#include <stddef.h>

/// cdf[i] = Φ(x[i]) = ½(1 + erf(x[i]/√2)) and y[i] = x[i]·cdf[i], as PyTorch's kernel computes them.
void flint_gelu_f32(const float *x, float *cdf, float *y, ptrdiff_t n);

/// dx[i] = g[i]·(cdf[i] + x[i]·φ(x[i])), φ(x) = e^(−x²/2)/√(2π): GELU's input gradient from the forward's Φ(x).
void flint_gelu_backward_f32(const float *g, const float *x, const float *cdf, float *dx, ptrdiff_t n);

#endif
