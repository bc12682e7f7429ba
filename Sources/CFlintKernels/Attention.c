#include "FlintKernels.h"
#include "FlintAttention.h"

// One (batch, head) pair at a time, all in L1 for the sequence lengths of the models (K and V of one head
// at L = 64, E = 32 are 8 KB each). Every product is `combine`: a weighted sum of rows accumulated in
// registers over blocks of 16 to 64 columns, so that each step is one broadcast, one load and one FMA per
// vector (written as loops over rows of Kᵀ it ran at half the speed of one cblas_sgemm per product). The
// pair's operands are first copied into scratch with rows padded to a multiple of 16 columns, which lets
// every block read whole vectors; the padding columns are computed and never stored.

enum { ATTENTION_LANES = 16 };

static inline __attribute__((always_inline)) ptrdiff_t round16(ptrdiff_t n) { return (n + 15) & ~(ptrdiff_t)15; }

/// Σ x[j]·y[j] in lanes, so that it vectorises without reassociating.
static inline __attribute__((always_inline)) float dot_lanes(const float *restrict x, const float *restrict y, ptrdiff_t n) {
    float lane[ATTENTION_LANES] = {0};
    ptrdiff_t j = 0;
    for (; j + ATTENTION_LANES <= n; j += ATTENTION_LANES)
        for (int l = 0; l < ATTENTION_LANES; l++) lane[l] += x[j + l] * y[j + l];
    float total = 0;
    for (int l = 0; l < ATTENTION_LANES; l++) total += lane[l];
    for (; j < n; j++) total += x[j] * y[j];
    return total;
}

/// The largest of x[0 ..< n] (−inf when empty), in lanes so that it vectorises.
static inline __attribute__((always_inline)) float row_max(const float *x, ptrdiff_t n) {
    float lane[ATTENTION_LANES];
    for (int l = 0; l < ATTENTION_LANES; l++) lane[l] = -__builtin_inff();
    ptrdiff_t j = 0;
    for (; j + ATTENTION_LANES <= n; j += ATTENTION_LANES)
        for (int l = 0; l < ATTENTION_LANES; l++) lane[l] = x[j + l] > lane[l] ? x[j + l] : lane[l];
    float m = -__builtin_inff();
    for (int l = 0; l < ATTENTION_LANES; l++) m = lane[l] > m ? lane[l] : m;
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

#define COMBINE_BLOCK(W)                                                                                        \
    {                                                                                                           \
        float acc[W] = {0};                                                                                     \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                                  \
            float c = coef[r * coef_stride];                                                                    \
            const float *mr = m + r * m_stride + c0;                                                            \
            for (int l = 0; l < W; l++) acc[l] += c * mr[l];                                                    \
        }                                                                                                       \
        if (c0 + W <= width)                                                                                    \
            for (int l = 0; l < W; l++) dst[c0 + l] = acc[l] * scale;                                           \
        else                                                                                                    \
            for (int l = 0; l < W && c0 + l < width; l++) dst[c0 + l] = acc[l] * scale;                         \
        c0 += W;                                                                                                \
    }

/// dst[c] = scale·Σ_{r < rows} coef[r·coef_stride]·m[r·m_stride + c] for c < width, where m's rows may be read up
/// to round16(width) columns: every product of the kernel (scores through Kᵀ, the weighted sum of V, and each
/// gradient) is this weighted sum of rows.
static inline __attribute__((always_inline)) void combine(const float *restrict coef, ptrdiff_t coef_stride, const float *restrict m, ptrdiff_t m_stride,
                           ptrdiff_t rows, float *restrict dst, ptrdiff_t width, float scale) {
    ptrdiff_t padded = round16(width), c0 = 0;
    while (padded - c0 >= 64) COMBINE_BLOCK(64)
    if (padded - c0 >= 32) COMBINE_BLOCK(32)
    if (padded - c0 >= 16) COMBINE_BLOCK(16)
}

/// t[d·ts + j] = x[j·stride + d] for j < s, d < e: s rows of e values transposed, and zeros in columns
/// s ..< ts, so that products over padded widths stay finite.
static inline __attribute__((always_inline)) void transpose_rows(const float *restrict x, ptrdiff_t stride, float *restrict t, ptrdiff_t ts, ptrdiff_t s,
                                  ptrdiff_t e) {
    for (ptrdiff_t j = 0; j < s; j++)
        for (ptrdiff_t d = 0; d < e; d++) t[d * ts + j] = x[j * stride + d];
    for (ptrdiff_t d = 0; d < e; d++)
        for (ptrdiff_t j = s; j < ts; j++) t[d * ts + j] = 0;
}

/// y[j·ys + d] = x[j·stride + d] for j < s, d < e: s rows of e values, re-strided.
static inline __attribute__((always_inline)) void copy_rows(const float *restrict x, ptrdiff_t stride, float *restrict y, ptrdiff_t ys, ptrdiff_t s,
                             ptrdiff_t e) {
    for (ptrdiff_t j = 0; j < s; j++)
        for (ptrdiff_t d = 0; d < e; d++) y[j * ys + d] = x[j * stride + d];
}

/// How many keys row i sees: all s, or j ≤ i when causal.
static inline __attribute__((always_inline)) ptrdiff_t keys_seen(const flint_attention *a, ptrdiff_t i) {
    return a->causal ? (i + 1 < a->s ? i + 1 : a->s) : a->s;
}

/// Scratch floats of the forward: Kᵀ, V padded, a score row and its dropped copy.
ptrdiff_t flint_attention_forward_scratch(const flint_attention *a) {
    ptrdiff_t sp = round16(a->s);
    return a->e * sp + a->s * round16(a->ev) + 2 * sp + 64;
}

/// Scratch floats of the backward: Vᵀ, K, Q and dO padded, dS and the dropped probabilities.
ptrdiff_t flint_attention_backward_scratch(const flint_attention *a) {
    ptrdiff_t sp = round16(a->s), ep = round16(a->e), evp = round16(a->ev);
    return a->ev * sp + a->s * ep + a->l * ep + a->l * evp + 2 * a->l * sp + 2 * sp + 64;
}

FLINT_CLONES void flint_attention_forward_f32(const flint_attention *a, const float *q, const float *k, const float *v,
                                              float *o, float *p, float *scratch, ptrdiff_t bh0, ptrdiff_t bh1) {
    const ptrdiff_t L = a->l, S = a->s, E = a->e, EV = a->ev, sp = round16(S), evp = round16(EV);
    float *kt = scratch, *vpad = kt + E * sp, *row = vpad + S * evp, *dropped = row + sp;
    for (ptrdiff_t bh = bh0; bh < bh1; bh++) {
        ptrdiff_t b = bh / a->heads, h = bh % a->heads;
        const float *qb = q + b * a->q_batch + h * a->q_head, *kb = k + b * a->k_batch + h * a->k_head;
        const float *vb = v + b * a->v_batch + h * a->v_head;
        float *ob = o + b * a->o_batch + h * a->o_head;
        const float *mask = a->mask ? a->mask + b * a->mask_batch + h * a->mask_head : NULL;
        const float *key_mask = a->key_mask ? a->key_mask + b * S : NULL;
        transpose_rows(kb, a->k_row, kt, sp, S, E);
        copy_rows(vb, a->v_row, vpad, evp, S, EV);
        for (ptrdiff_t i = 0; i < L; i++) {
            ptrdiff_t n = keys_seen(a, i);
            float *oi = ob + i * a->o_row, *pi = p ? p + (bh * L + i) * S : NULL;
            // Rows are handled over np = round16(n) columns, the padding at −inf (probability 0), so that
            // every pass runs in whole vectors with no scalar tail.
            ptrdiff_t np = round16(n);
            combine(qb + i * a->q_row, 1, kt, sp, E, row, np, a->scale);
            if (mask)
                for (ptrdiff_t j = 0; j < n; j++) row[j] += mask[i * S + j];
            if (key_mask)
                for (ptrdiff_t j = 0; j < n; j++) row[j] += key_mask[j];
            for (ptrdiff_t j = n; j < np; j++) row[j] = -__builtin_inff();
            float m = row_max(row, np);
            if (m == -__builtin_inff()) {
                // Every key masked: the row attends to nothing (zeros, as PyTorch's safe softmax gives).
                for (ptrdiff_t e = 0; e < EV; e++) oi[e] = 0;
                if (pi)
                    for (ptrdiff_t j = 0; j < S; j++) pi[j] = 0;
                continue;
            }
            float lane[ATTENTION_LANES] = {0};
            for (ptrdiff_t j = 0; j < np; j += ATTENTION_LANES)
                for (int l = 0; l < ATTENTION_LANES; l++) {
                    float x = flint_expf(row[j + l] - m);
                    row[j + l] = x;
                    lane[l] += x;
                }
            float total = 0;
            for (int l = 0; l < ATTENTION_LANES; l++) total += lane[l];
            float inv = 1.0f / total;
            for (ptrdiff_t j = 0; j < np; j++) row[j] *= inv;
            if (pi) {
                for (ptrdiff_t j = 0; j < n; j++) pi[j] = row[j];
                for (ptrdiff_t j = n; j < S; j++) pi[j] = 0;
            }
            const float *weights = row;
            if (a->dropout) {
                const float *drop = a->dropout + (bh * L + i) * S;
                for (ptrdiff_t j = 0; j < n; j++) dropped[j] = row[j] * drop[j];
                weights = dropped;
            }
            combine(weights, 1, vpad, evp, n, oi, EV, 1.0f);
        }
    }
}

FLINT_CLONES void flint_attention_backward_f32(const flint_attention *a, const float *q, const float *k, const float *v,
                                               const float *p, const float *dout, float *dq, float *dk, float *dv,
                                               float *scratch, ptrdiff_t bh0, ptrdiff_t bh1) {
    const ptrdiff_t L = a->l, S = a->s, E = a->e, EV = a->ev;
    const ptrdiff_t sp = round16(S), ep = round16(E), evp = round16(EV);
    float *vt = scratch, *kpad = vt + EV * sp, *qpad = kpad + S * ep, *dopad = qpad + L * ep;
    float *ds = dopad + L * evp, *pdrop = ds + L * sp, *dp = pdrop + L * sp, *prow = dp + sp;
    for (ptrdiff_t bh = bh0; bh < bh1; bh++) {
        ptrdiff_t b = bh / a->heads, h = bh % a->heads;
        ptrdiff_t qo = b * a->q_batch + h * a->q_head, ko = b * a->k_batch + h * a->k_head;
        ptrdiff_t vo = b * a->v_batch + h * a->v_head, oo = b * a->o_batch + h * a->o_head;
        const float *pb = p + bh * L * S, *drop = a->dropout ? a->dropout + bh * L * S : NULL;
        copy_rows(dout + oo, a->o_row, dopad, evp, L, EV);
        // dV = (P∘M)ᵀ·dO, column j of P∘M weighting the rows of dO.
        const float *weights = pb;
        ptrdiff_t weights_stride = S;
        if (drop && dv) {
            for (ptrdiff_t i = 0; i < L; i++)
                for (ptrdiff_t j = 0; j < S; j++) pdrop[i * sp + j] = pb[i * S + j] * drop[i * S + j];
            weights = pdrop;
            weights_stride = sp;
        }
        if (dv)
            for (ptrdiff_t j = 0; j < S; j++) {
                ptrdiff_t i0 = a->causal ? j : 0, rows = L > i0 ? L - i0 : 0;
                combine(weights + i0 * weights_stride + j, weights_stride, dopad + i0 * evp, evp, rows, dv + vo + j * a->v_row, EV, 1.0f);
            }
        if (!dq && !dk) continue;
        transpose_rows(v + vo, a->v_row, vt, sp, S, EV);
        copy_rows(k + ko, a->k_row, kpad, ep, S, E);
        copy_rows(q + qo, a->q_row, qpad, ep, L, E);
        for (ptrdiff_t i = 0; i < L; i++) {
            ptrdiff_t n = keys_seen(a, i);
            // P's row padded with zeros to np = round16(n) columns, so that every pass runs in whole vectors.
            ptrdiff_t np = round16(n);
            for (ptrdiff_t j = 0; j < n; j++) prow[j] = pb[i * S + j];
            for (ptrdiff_t j = n; j < np; j++) prow[j] = 0;
            float *dsi = ds + i * sp;
            // dP = (dO·Vᵀ)∘M; dS = P∘(dP − rowsum(P∘dP)), with the scale of the scores folded in.
            combine(dopad + i * evp, 1, vt, sp, EV, dp, np, 1.0f);
            if (drop)
                for (ptrdiff_t j = 0; j < n; j++) dp[j] *= drop[i * S + j];
            float delta = dot_lanes(prow, dp, np);
            for (ptrdiff_t j = 0; j < np; j++) dsi[j] = prow[j] * (dp[j] - delta) * a->scale;
            if (dq) combine(dsi, 1, kpad, ep, n, dq + qo + i * a->q_row, E, 1.0f);
        }
        if (dk)
            for (ptrdiff_t j = 0; j < S; j++) {
                ptrdiff_t i0 = a->causal ? j : 0, rows = L > i0 ? L - i0 : 0;
                combine(ds + i0 * sp + j, sp, qpad + i0 * ep, ep, rows, dk + ko + j * a->k_row, E, 1.0f);
            }
    }
}
