#ifndef FLINT_KERNELS_H
#define FLINT_KERNELS_H

// Float math for Flint's elementwise kernels.
//
// The scalar functions are branch-free Cephes polynomials, so that loops
// calling them vectorise (a libm call per element does not); each result is
// within 2 ulp of glibc's, with the same special cases (±inf, NaN, zero,
// overflow, underflow into subnormals). Swift inlines them into its own loops.
//
// The array functions run the same code over contiguous buffers. They are
// compiled for AVX-512, for AVX2 with FMA and for baseline x86-64, and the
// loader picks the widest the CPU has, so a binary built for any x86-64
// still uses the vector units of the machine it runs on.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Included here so that module caches built before these headers existed see them.
#include "FlintConv.h"
#include "FlintRecurrent.h"
#include "FlintNorm.h"
#include "FlintPool.h"
#include "FlintAttention.h"
#include "FlintActivation.h"
#include "FlintOptim.h"

// Compiles a function for AVX-512, AVX2 with FMA and baseline x86-64; the loader picks one for the CPU.
#if defined(__x86_64__) && defined(__linux__)
#define FLINT_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FLINT_CLONES
#endif

static inline float flint_bits_to_float(uint32_t b) { float f; memcpy(&f, &b, sizeof f); return f; }
static inline uint32_t flint_float_to_bits(float f) { uint32_t b; memcpy(&b, &f, sizeof b); return b; }

/// e^x: x = n·ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 in two parts), a
/// degree-6 polynomial for e^r, and 2^n put into the exponent bits.
static inline float flint_expf(float x) {
    // Below -103.97, e^x rounds to zero even as a subnormal; above 88.72 it overflows.
    const float lo = -103.972076f, hi = 88.7228394f;
    float c = x < lo ? lo : x;
    c = c > hi ? hi : c;
    // Round to nearest by adding 1.5·2^23: the sum's low mantissa bits then hold n as an integer.
    float shifted = c * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    int32_t k = (int32_t)(flint_float_to_bits(shifted) - 0x4B400000u);
    float r = c - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    // 2^n in two normal factors: n runs from -150 (subnormal results) to 128 (just below
    // overflow), beyond a single float exponent at both ends. Only the last product rounds.
    int32_t half = k >> 1;
    float scale1 = flint_bits_to_float((uint32_t)(half + 127) << 23);
    float scale2 = flint_bits_to_float((uint32_t)(k - half + 127) << 23);
    float result = y * scale1 * scale2;
    return x != x ? x : (x > hi ? __builtin_inff() : (x < lo ? 0.0f : result));
}

/// ln x: x = m·2^e with m in [√½, √2), a degree-8 polynomial for ln m, and
/// e·ln2 added in two parts.
static inline float flint_logf(float x) {
    // Subnormals are scaled by 2^23 into the normal range first.
    int subnormal = x < 1.17549435e-38f;
    uint32_t bits = flint_float_to_bits(subnormal ? x * 8388608.0f : x);
    float e = (float)((int32_t)(bits >> 23) - 126) - (subnormal ? 23.0f : 0.0f);
    float m = flint_bits_to_float((bits & 0x007FFFFFu) | 0x3F000000u);  // in [0.5, 1)
    int below = m < 0.707106781186547524f;
    e = below ? e - 1.0f : e;
    m = below ? m + m - 1.0f : m - 1.0f;
    float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float y = p * m * z;
    y += e * -2.12194440e-4f;
    y -= 0.5f * z;
    float result = m + y + e * 0.693359375f;
    float inf = __builtin_inff();
    return x > 0.0f && x < inf ? result : (x == 0.0f ? -inf : (x == inf ? x : __builtin_nanf("")));
}

/// tanh x: an odd polynomial below |x| = 0.625, else 1 − 2/(e^2|x| + 1) with the sign of x.
static inline float flint_tanhf(float x) {
    float a = x < 0.0f ? -x : x;
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * x + x;
    float large = 1.0f - 2.0f / (flint_expf(a + a) + 1.0f);
    float signed_large = x < 0.0f ? -large : large;
    // x == 0 keeps the sign of zero.
    return a < 0.625f ? (x == 0.0f ? x : small) : signed_large;
}

/// erf x, branch-free (Norbert Juffa's float32 erff): below |x| = 475/512 an odd
/// polynomial x + x·p(x²); above, 1 − e^q(|x|) with a degree-7 polynomial q, given
/// the sign of x. Measured over every third float against erf in double: at most
/// 1.17 ulp without FMA contraction, 1.02 ulp with it (absolute error 7e-8).
static inline float flint_erff(float x) {
    float t = x < 0.0f ? -x : x;
    float s = x * x;
    float q = -1.72853470e-5f * t + 3.83197126e-4f;
    float u = -3.88396438e-3f * t + 2.42546219e-2f;
    q = q * s + u;
    q = q * t - 1.06777877e-1f;
    q = q * t - 6.34846687e-1f;
    q = q * t - 1.28717512e-1f;
    q = q * t - t;
    // copysign(1 − e^q, x) by bits; NaN takes the polynomial branch and stays NaN.
    float large = flint_bits_to_float(flint_float_to_bits(1.0f - flint_expf(q)) | (flint_float_to_bits(x) & 0x80000000u));
    float p = -5.96761703e-4f;
    p = p * s + 4.99119423e-3f;
    p = p * s - 2.67681349e-2f;
    p = p * s + 1.12819925e-1f;
    p = p * s - 3.76125336e-1f;
    p = p * s + 1.28379166e-1f;
    float small = p * x + x;
    return t > 0.927734375f ? large : small;
}

/// σ(x) = 1 / (1 + e^−x).
static inline float flint_sigmoidf(float x) { return 1.0f / (1.0f + flint_expf(-x)); }

/// y[i] = f(x[i]) for i < n; y may be x.
void flint_exp_f32(const float *x, float *y, ptrdiff_t n);
void flint_log_f32(const float *x, float *y, ptrdiff_t n);
void flint_tanh_f32(const float *x, float *y, ptrdiff_t n);
void flint_sigmoid_f32(const float *x, float *y, ptrdiff_t n);
void flint_erf_f32(const float *x, float *y, ptrdiff_t n);

/// Softmax (or log-softmax when `log` is nonzero) of each of `rows` contiguous
/// rows of `n` floats, from x into y. A NaN in a row makes the whole row NaN.
void flint_softmax_rows_f32(const float *x, float *y, ptrdiff_t rows, ptrdiff_t n, int log);

#endif
