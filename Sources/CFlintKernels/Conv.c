#include "FlintConv.h"

#include <string.h>

// Output channels per register tile; packed weights come in blocks of this many.
enum { CB = 16 };

static ptrdiff_t blocks(ptrdiff_t channels) { return (channels + CB - 1) / CB; }

ptrdiff_t flint_conv2d_packed_count(ptrdiff_t out, ptrdiff_t in, ptrdiff_t kh, ptrdiff_t kw) {
    return blocks(out) * CB * in * kh * kw;
}

// packed[ob][ci][i][j][l] = weight of output channel ob·16 + l (zero past the last).
void flint_conv2d_pack_f32(const float *weight, ptrdiff_t o, ptrdiff_t c, ptrdiff_t kh, ptrdiff_t kw,
                           int transposed, float *packed) {
    ptrdiff_t out = transposed ? c : o, in = transposed ? o : c, taps = kh * kw;
    for (ptrdiff_t ob = 0; ob < blocks(out); ob++)
        for (ptrdiff_t ci = 0; ci < in; ci++)
            for (ptrdiff_t t = 0; t < taps; t++)
                for (ptrdiff_t l = 0; l < CB; l++) {
                    ptrdiff_t co = ob * CB + l;
                    float v = 0;
                    // The input gradient correlates gy with the kernel flipped in both axes.
                    if (co < out) v = transposed ? weight[(ci * c + co) * taps + (taps - 1 - t)] : weight[(co * c + ci) * taps + t];
                    *packed++ = v;
                }
}

ptrdiff_t flint_conv2d_scratch_count(ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh, ptrdiff_t kw,
                                     ptrdiff_t ph, ptrdiff_t pw) {
    (void)kh; (void)kw;
    return c * (h + 2 * ph) * (w + 2 * pw);
}

/// Copies the planes of one sample into `dst` with `ph` zero rows and `pw` zero columns around each.
static void pad_sample(const float *x, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t ph, ptrdiff_t pw, float *dst) {
    ptrdiff_t hp = h + 2 * ph, wp = w + 2 * pw;
    if (ph == 0 && pw == 0) {
        memcpy(dst, x, (size_t)(c * h * w) * sizeof(float));
        return;
    }
    memset(dst, 0, (size_t)(c * hp * wp) * sizeof(float));
    for (ptrdiff_t ci = 0; ci < c; ci++)
        for (ptrdiff_t r = 0; r < h; r++)
            memcpy(dst + (ci * hp + r + ph) * wp + pw, x + (ci * h + r) * w, (size_t)w * sizeof(float));
}

// Register tiles, written once with GCC vector types and compiled per ISA and stride.
//
// Forward tile: 16 output channels × P consecutive pixels of one output row,
// y[l][p] = bias[l] + Σ_(ci, i, j) w[ci][i][j][l] · x[ci][i][S·p + j] over the
// padded input rows at `x` (channel stride cs, row stride wp).
#define FWD_TILE(NAME, TARGET, VL, P, S)                                                                      \
    TARGET static void NAME(const float *x, ptrdiff_t cs, ptrdiff_t wp, const float *wk, ptrdiff_t c,           \
                            ptrdiff_t kh, ptrdiff_t kw, const float *bias, float *y, ptrdiff_t plane,         \
                            ptrdiff_t oc) {                                                                   \
        typedef float v __attribute__((vector_size(VL * 4)));                                                 \
        enum { NV = CB / VL };                                                                                \
        v acc[P][NV];                                                                                         \
        for (int p = 0; p < P; p++)                                                                           \
            for (int q = 0; q < NV; q++) memcpy(&acc[p][q], bias + q * VL, sizeof(v));                        \
        for (ptrdiff_t ci = 0; ci < c; ci++)                                                                  \
            for (ptrdiff_t i = 0; i < kh; i++) {                                                              \
                const float *r = x + ci * cs + i * wp;                                                        \
                for (ptrdiff_t j = 0; j < kw; j++, wk += CB) {                                                \
                    v wv[NV];                                                                                 \
                    for (int q = 0; q < NV; q++) memcpy(&wv[q], wk + q * VL, sizeof(v));                      \
                    for (int p = 0; p < P; p++) {                                                             \
                        float s = r[j + S * p];                                                               \
                        for (int q = 0; q < NV; q++) acc[p][q] += s * wv[q];                                  \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        float t[P][CB];                                                                                       \
        for (int p = 0; p < P; p++)                                                                           \
            for (int q = 0; q < NV; q++) memcpy(&t[p][q * VL], &acc[p][q], sizeof(v));                        \
        for (ptrdiff_t l = 0; l < oc; l++)                                                                    \
            for (int p = 0; p < P; p++) y[l * plane + p] = t[p][l];                                           \
    }

// Weight-gradient tile: 16 output channels × T taps, each tap a pointer into
// the padded input; dw[l][t] = Σ over samples and output pixels (y, x) of
// gy[pixel][l] · tap[t][S·y·wp + S·x], summed in pixel order.
#define WGRAD_TILE(NAME, TARGET, VL, T, S)                                                                    \
    TARGET static void NAME(const float *const *tap, ptrdiff_t ss, ptrdiff_t wp, const float *gy,             \
                            ptrdiff_t gstride, ptrdiff_t n, ptrdiff_t oh, ptrdiff_t ow, float *dw,            \
                            ptrdiff_t ldw, ptrdiff_t oc) {                                                    \
        typedef float v __attribute__((vector_size(VL * 4)));                                                 \
        enum { NV = CB / VL };                                                                                \
        v acc[T][NV];                                                                                         \
        const float *tp[T];                                                                                   \
        for (int t = 0; t < T; t++) {                                                                         \
            tp[t] = tap[t];                                                                                   \
            for (int q = 0; q < NV; q++) acc[t][q] = (v){0};                                                  \
        }                                                                                                     \
        for (ptrdiff_t s = 0; s < n; s++)                                                                     \
            for (ptrdiff_t y = 0; y < oh; y++) {                                                              \
                ptrdiff_t row = s * ss + S * y * wp;                                                          \
                for (ptrdiff_t x = 0; x < ow; x++, gy += gstride) {                                           \
                    v g[NV];                                                                                  \
                    for (int q = 0; q < NV; q++) memcpy(&g[q], gy + q * VL, sizeof(v));                       \
                    for (int t = 0; t < T; t++) {                                                             \
                        float b = tp[t][row + S * x];                                                         \
                        for (int q = 0; q < NV; q++) acc[t][q] += b * g[q];                                   \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        float r[T][CB];                                                                                       \
        for (int t = 0; t < T; t++)                                                                           \
            for (int q = 0; q < NV; q++) memcpy(&r[t][q * VL], &acc[t][q], sizeof(v));                        \
        for (ptrdiff_t l = 0; l < oc; l++)                                                                    \
            for (int t = 0; t < T; t++) dw[l * ldw + t] = r[t][l];                                            \
    }

typedef void (*fwd_tile)(const float *, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t,
                         const float *, float *, ptrdiff_t, ptrdiff_t);
typedef void (*wgrad_tile)(const float *const *, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t,
                           ptrdiff_t, ptrdiff_t, float *, ptrdiff_t, ptrdiff_t);

/// One ISA's tiles for one stride: a wide one, one half as wide for narrow planes (7×7 outputs
/// with AVX-512), and a one-pixel (one-tap) one for what's left.
struct tiles {
    fwd_tile fwd, fwd_half, fwd1;
    wgrad_tile wgrad, wgrad1;
    int p, t;
};

// Tile sizes keep 8–14 accumulators in registers: 14 (or 8) zmm, 6×2 ymm or 3×4 xmm.
#define STRIDE_TILES(ISA, TARGET, VL, P, T, S)                 \
    FWD_TILE(ISA##_fwd_s##S, TARGET, VL, P, S)                 \
    FWD_TILE(ISA##_fwd_half_s##S, TARGET, VL, P / 2, S)        \
    FWD_TILE(ISA##_fwd1_s##S, TARGET, VL, 1, S)                \
    WGRAD_TILE(ISA##_wgrad_s##S, TARGET, VL, T, S)             \
    WGRAD_TILE(ISA##_wgrad1_s##S, TARGET, VL, 1, S)            \
    static const struct tiles ISA##_tiles_s##S = {ISA##_fwd_s##S, ISA##_fwd_half_s##S, ISA##_fwd1_s##S, \
                                                   ISA##_wgrad_s##S, ISA##_wgrad1_s##S, P, T};
// Strides 1 and 2 (a ResNet's downsampling convolution) each get their own compiled tiles.
#define ISA_TILES(ISA, TARGET, VL, P, T)         \
    STRIDE_TILES(ISA, TARGET, VL, P, T, 1)       \
    STRIDE_TILES(ISA, TARGET, VL, P, T, 2)       \
    static const struct tiles *const ISA##_tiles[2] = {&ISA##_tiles_s1, &ISA##_tiles_s2};

ISA_TILES(base, , 4, 3, 3)
#if defined(__x86_64__) && defined(__clang__)
ISA_TILES(avx2, __attribute__((target("avx2,fma"))), 8, 6, 6)
ISA_TILES(avx512, __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma"))), 16, 14, 8)
#endif

/// The tiles of this CPU for `stride` (1 or 2).
static const struct tiles *pick_tiles(ptrdiff_t stride) {
    int si = stride == 2 ? 1 : 0;
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return avx512_tiles[si];
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return avx2_tiles[si];
#endif
    return base_tiles[si];
}

void flint_conv2d_f32(const float *x, ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,
                      const float *packed, ptrdiff_t o, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ph, ptrdiff_t pw,
                      ptrdiff_t stride, const float *bias, float *y, float *scratch) {
    const struct tiles *k = pick_tiles(stride);
    ptrdiff_t hp = h + 2 * ph, wp = w + 2 * pw, oh = (hp - kh) / stride + 1, ow = (wp - kw) / stride + 1;
    ptrdiff_t cs = hp * wp, plane = oh * ow, kk = c * kh * kw;
    for (ptrdiff_t s = 0; s < n; s++) {
        pad_sample(x + s * c * h * w, c, h, w, ph, pw, scratch);
        for (ptrdiff_t ob = 0; ob < blocks(o); ob++) {
            ptrdiff_t oc = o - ob * CB < CB ? o - ob * CB : CB;
            float b[CB] = {0};
            if (bias) memcpy(b, bias + ob * CB, (size_t)oc * sizeof(float));
            const float *wk = packed + ob * kk * CB;
            float *yb = y + (s * o + ob * CB) * plane;
            for (ptrdiff_t oy = 0; oy < oh; oy++) {
                const float *xr = scratch + oy * stride * wp;
                float *yr = yb + oy * ow;
                int p = ow >= k->p ? k->p : k->p / 2;
                if (ow < p) {
                    for (ptrdiff_t ox = 0; ox < ow; ox++)
                        k->fwd1(xr + ox * stride, cs, wp, wk, c, kh, kw, b, yr + ox, plane, oc);
                    continue;
                }
                // The last tile overlaps the one before it rather than running short; the
                // overlapped pixels are computed the same way twice.
                for (ptrdiff_t ox = 0; ox < ow; ox += p) {
                    ptrdiff_t at = ox + p <= ow ? ox : ow - p;
                    (p == k->p ? k->fwd : k->fwd_half)(xr + at * stride, cs, wp, wk, c, kh, kw, b, yr + at, plane, oc);
                }
            }
        }
    }
}

ptrdiff_t flint_conv2d_gy_transposed_count(ptrdiff_t n, ptrdiff_t o, ptrdiff_t oh, ptrdiff_t ow) {
    return n * oh * ow * blocks(o) * CB;
}

void flint_conv2d_transpose_gy_f32(const float *gy, ptrdiff_t n, ptrdiff_t o, ptrdiff_t plane, float *gt) {
    enum { PB = 16 };
    ptrdiff_t opad = blocks(o) * CB;
    for (ptrdiff_t s = 0; s < n; s++) {
        const float *src = gy + s * o * plane;
        float *g = gt + s * plane * opad;
        // Blocks of PB pixels: each channel's run is read contiguously and the
        // PB rows written stay in L1 (a pixel-outer loop read o strided streams).
        for (ptrdiff_t p0 = 0; p0 < plane; p0 += PB) {
            ptrdiff_t pn = plane - p0 < PB ? plane - p0 : PB;
            for (ptrdiff_t oi = 0; oi < o; oi++)
                for (ptrdiff_t p = 0; p < pn; p++) g[(p0 + p) * opad + oi] = src[oi * plane + p0 + p];
            if (opad > o)
                for (ptrdiff_t p = 0; p < pn; p++) memset(g + (p0 + p) * opad + o, 0, (size_t)(opad - o) * sizeof(float));
        }
    }
}

ptrdiff_t flint_conv2d_weight_grad_scratch_count(ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t ph, ptrdiff_t pw) {
    return n * c * (h + 2 * ph) * (w + 2 * pw);
}

void flint_conv2d_weight_grad_f32(const float *x, const float *gt, ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,
                                  ptrdiff_t o, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t stride,
                                  ptrdiff_t k0, ptrdiff_t k1, float *dw, float *scratch) {
    const struct tiles *k = pick_tiles(stride);
    ptrdiff_t hp = h + 2 * ph, wp = w + 2 * pw, oh = (hp - kh) / stride + 1, ow = (wp - kw) / stride + 1;
    ptrdiff_t taps = kh * kw, kk = c * taps, opad = blocks(o) * CB;
    if (k0 >= k1 || n == 0) return;
    // The padded planes of the channels that k0..<k1 touch.
    ptrdiff_t c0 = k0 / taps, c1 = (k1 - 1) / taps + 1, cn = c1 - c0, ss = cn * hp * wp;
    float *xp = scratch;
    for (ptrdiff_t s = 0; s < n; s++) pad_sample(x + (s * c + c0) * h * w, cn, h, w, ph, pw, xp + s * ss);
    const float *tap[64];
    for (ptrdiff_t ob = 0; ob < blocks(o); ob++) {
        ptrdiff_t oc = o - ob * CB < CB ? o - ob * CB : CB;
        int t = k1 - k0 >= k->t ? k->t : 1;
        for (ptrdiff_t kt = k0; kt < k1; kt += t) {
            ptrdiff_t at = kt + t <= k1 ? kt : k1 - t;
            for (int u = 0; u < t; u++) {
                ptrdiff_t kc = at + u, ci = kc / taps, i = (kc % taps) / kw, j = kc % kw;
                tap[u] = xp + (ci - c0) * hp * wp + i * wp + j;
            }
            (t == 1 ? k->wgrad1 : k->wgrad)(tap, ss, wp, gt + ob * CB, opad, n, oh, ow, dw + ob * CB * kk + at, kk, oc);
        }
    }
}
