#include "FlintKernels.h"
#include "FlintActivation.h"

FLINT_CLONES void flint_gelu_f32(const float *x, float *cdf, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = x[i];
        float c = 0.5f * (1.0f + flint_erff(v * 0.707106781186547524f));
        cdf[i] = c;
        y[i] = v * c;
    }
}

FLINT_CLONES void flint_gelu_backward_f32(const float *g, const float *x, const float *cdf, float *dx, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = x[i];
        dx[i] = g[i] * (cdf[i] + v * (flint_expf(-0.5f * v * v) * 0.398942280401432678f));
    }
}
