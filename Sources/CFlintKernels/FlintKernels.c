#include "FlintKernels.h"

FLINT_CLONES void flint_exp_f32(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = flint_expf(x[i]);
}

FLINT_CLONES void flint_log_f32(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = flint_logf(x[i]);
}

FLINT_CLONES void flint_tanh_f32(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = flint_tanhf(x[i]);
}

FLINT_CLONES void flint_sigmoid_f32(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = flint_sigmoidf(x[i]);
}

FLINT_CLONES void flint_erf_f32(const float *x, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = flint_erff(x[i]);
}

// Reductions keep 16 running lanes so that they vectorise without reassociating.
enum { LANES = 16 };

/// The largest of n floats (−inf when empty), ignoring NaN.
static inline float row_max(const float *x, ptrdiff_t n) {
    float lane[LANES];
    for (int j = 0; j < LANES; j++) lane[j] = -__builtin_inff();
    ptrdiff_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int j = 0; j < LANES; j++) lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
    float m = -__builtin_inff();
    for (int j = 0; j < LANES; j++) m = lane[j] > m ? lane[j] : m;
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/// The sum of n floats, lanes combined in double every 1024 elements.
static inline float row_sum(const float *x, ptrdiff_t n) {
    double total = 0;
    ptrdiff_t i = 0;
    while (i < n) {
        ptrdiff_t end = n - i < 1024 ? n : i + 1024;
        float lane[LANES] = {0};
        for (; i + LANES <= end; i += LANES)
            for (int j = 0; j < LANES; j++) lane[j] += x[i + j];
        float block = 0;
        for (int j = 0; j < LANES; j++) block += lane[j];
        for (; i < end; i++) block += x[i];
        total += block;
    }
    return (float)total;
}

FLINT_CLONES void flint_softmax_rows_f32(const float *x, float *y, ptrdiff_t rows, ptrdiff_t n, int log) {
    for (ptrdiff_t row = 0; row < rows; row++) {
        const float *xr = x + row * n;
        float *yr = y + row * n;
        float m = row_max(xr, n);
        if (m == -__builtin_inff()) m = 0;
        for (ptrdiff_t i = 0; i < n; i++) yr[i] = flint_expf(xr[i] - m);
        float total = row_sum(yr, n);
        if (log) {
            float lse = m + flint_logf(total);
            for (ptrdiff_t i = 0; i < n; i++) yr[i] = xr[i] - lse;
        } else {
            float inv = 1.0f / total;
            for (ptrdiff_t i = 0; i < n; i++) yr[i] *= inv;
        }
    }
}
