#ifndef FLINT_POOL_H
#define FLINT_POOL_H

// Max pooling with 2×2 windows that tile the plane (kernel 2, stride 2, no
// padding: the pooling of most CNNs), branch-free so that it vectorises: a
// branch per comparison mispredicts on half of the random maxima.

#include <stddef.h>
#include <stdint.h>

/// y[p][oy][ox] = max of x[p][2oy..2oy+1][2ox..2ox+1] over planes of h × w (oh = h / 2, ow = w / 2 windows
/// each way, any last odd row or column unread); idx = its flat index in the plane. Scanned row by row, a
/// value replaces the best when it is greater or NaN, as PyTorch's CPU kernel does.
void flint_max_pool2x2_f32(const float *x, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w, float *y, int64_t *idx);

#endif
