#include "FlintKernels.h"
#include "FlintAttention.h"

// One (batch, head) pair at a time, all in L1 for the sequence lengths of the models (K and V of one head
// at L = 64, E = 32 are 8 KB each). Every inner loop runs over a contiguous row (the keys of one score
// row through Kᵀ, or the E values of one head's row) so that it vectorises; the pair's Kᵀ and Vᵀ are
// transposed once into scratch.

enum { ATTENTION_LANES = 16 };

/// Σ x[j]·y[j] in lanes, so that it vectorises without reassociating.
static inline float dot_lanes(const float *restrict x, const float *restrict y, ptrdiff_t n) {
    float lane[ATTENTION_LANES] = {0};
    ptrdiff_t j = 0;
    for (; j + ATTENTION_LANES <= n; j += ATTENTION_LANES)
        for (int l = 0; l < ATTENTION_LANES; l++) lane[l] += x[j + l] * y[j + l];
    float total = 0;
    for (int l = 0; l < ATTENTION_LANES; l++) total += lane[l];
    for (; j < n; j++) total += x[j] * y[j];
    return total;
}

/// The largest of row[0 ..< n] (−inf when empty), in lanes so that it vectorises.
static inline float row_max(const float *x, ptrdiff_t n) {
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

/// row[j] = Σ_d x[d]·t[d·s + j] for j < n: one row of X·Yᵀ through Yᵀ (t, [e, s]).
static inline void row_times_transposed(const float *restrict x, const float *restrict t, float *restrict row,
                                        ptrdiff_t e, ptrdiff_t s, ptrdiff_t n, float scale) {
    for (ptrdiff_t j = 0; j < n; j++) row[j] = 0;
    for (ptrdiff_t d = 0; d < e; d++) {
        float xd = x[d] * scale;
        const float *td = t + d * s;
        for (ptrdiff_t j = 0; j < n; j++) row[j] += xd * td[j];
    }
}

/// t[d·s + j] = x[j·stride + d]: the transpose of s rows of e values.
static inline void transpose_rows(const float *restrict x, ptrdiff_t stride, float *restrict t, ptrdiff_t s, ptrdiff_t e) {
    for (ptrdiff_t j = 0; j < s; j++)
        for (ptrdiff_t d = 0; d < e; d++) t[d * s + j] = x[j * stride + d];
}

/// How many keys row i sees: all s, or j ≤ i when causal.
static inline ptrdiff_t keys_seen(const flint_attention *a, ptrdiff_t i) {
    return a->causal ? (i + 1 < a->s ? i + 1 : a->s) : a->s;
}

FLINT_CLONES void flint_attention_forward_f32(const flint_attention *a, const float *q, const float *k, const float *v,
                                              float *o, float *p, float *scratch, ptrdiff_t bh0, ptrdiff_t bh1) {
    const ptrdiff_t L = a->l, S = a->s, E = a->e, EV = a->ev;
    float *kt = scratch, *spare = scratch + E * S;
    for (ptrdiff_t bh = bh0; bh < bh1; bh++) {
        ptrdiff_t b = bh / a->heads, h = bh % a->heads;
        const float *qb = q + b * a->q_batch + h * a->q_head, *kb = k + b * a->k_batch + h * a->k_head;
        const float *vb = v + b * a->v_batch + h * a->v_head;
        float *ob = o + b * a->o_batch + h * a->o_head;
        const float *mask = a->mask ? a->mask + b * a->mask_batch + h * a->mask_head : NULL;
        const float *key_mask = a->key_mask ? a->key_mask + b * S : NULL;
        transpose_rows(kb, a->k_row, kt, S, E);
        for (ptrdiff_t i = 0; i < L; i++) {
            ptrdiff_t n = keys_seen(a, i);
            float *row = p ? p + (bh * L + i) * S : spare, *oi = ob + i * a->o_row;
            row_times_transposed(qb + i * a->q_row, kt, row, E, S, n, a->scale);
            if (mask)
                for (ptrdiff_t j = 0; j < n; j++) row[j] += mask[i * S + j];
            if (key_mask)
                for (ptrdiff_t j = 0; j < n; j++) row[j] += key_mask[j];
            float m = row_max(row, n);
            for (ptrdiff_t e = 0; e < EV; e++) oi[e] = 0;
            if (m == -__builtin_inff()) {
                // Every key masked: the row attends to nothing (zeros, as PyTorch's safe softmax gives).
                for (ptrdiff_t j = 0; j < S; j++) row[j] = 0;
                continue;
            }
            float lane[ATTENTION_LANES] = {0};
            ptrdiff_t j = 0;
            for (; j + ATTENTION_LANES <= n; j += ATTENTION_LANES)
                for (int l = 0; l < ATTENTION_LANES; l++) {
                    float x = flint_expf(row[j + l] - m);
                    row[j + l] = x;
                    lane[l] += x;
                }
            float total = 0;
            for (int l = 0; l < ATTENTION_LANES; l++) total += lane[l];
            for (; j < n; j++) {
                row[j] = flint_expf(row[j] - m);
                total += row[j];
            }
            float inv = 1.0f / total;
            for (j = 0; j < n; j++) row[j] *= inv;
            for (j = n; j < S; j++) row[j] = 0;
            const float *drop = a->dropout ? a->dropout + (bh * L + i) * S : NULL;
            for (j = 0; j < n; j++) {
                float w = drop ? row[j] * drop[j] : row[j];
                if (w == 0) continue;
                const float *vj = vb + j * a->v_row;
                for (ptrdiff_t e = 0; e < EV; e++) oi[e] += w * vj[e];
            }
        }
    }
}

FLINT_CLONES void flint_attention_backward_f32(const flint_attention *a, const float *q, const float *k, const float *v,
                                               const float *p, const float *dout, float *dq, float *dk, float *dv,
                                               float *scratch, ptrdiff_t bh0, ptrdiff_t bh1) {
    const ptrdiff_t L = a->l, S = a->s, E = a->e, EV = a->ev;
    float *vt = scratch, *ds = scratch + EV * S;
    for (ptrdiff_t bh = bh0; bh < bh1; bh++) {
        ptrdiff_t b = bh / a->heads, h = bh % a->heads;
        ptrdiff_t qo = b * a->q_batch + h * a->q_head, ko = b * a->k_batch + h * a->k_head;
        ptrdiff_t vo = b * a->v_batch + h * a->v_head, oo = b * a->o_batch + h * a->o_head;
        const float *qb = q + qo, *kb = k + ko, *vb = v + vo, *dob = dout + oo;
        float *dqb = dq ? dq + qo : NULL, *dkb = dk ? dk + ko : NULL, *dvb = dv ? dv + vo : NULL;
        for (ptrdiff_t j = 0; j < S; j++) {
            if (dkb)
                for (ptrdiff_t d = 0; d < E; d++) dkb[j * a->k_row + d] = 0;
            if (dvb)
                for (ptrdiff_t e = 0; e < EV; e++) dvb[j * a->v_row + e] = 0;
        }
        if (dqb || dkb) transpose_rows(vb, a->v_row, vt, S, EV);
        for (ptrdiff_t i = 0; i < L; i++) {
            ptrdiff_t n = keys_seen(a, i);
            const float *row = p + (bh * L + i) * S, *doi = dob + i * a->o_row, *qi = qb + i * a->q_row;
            const float *drop = a->dropout ? a->dropout + (bh * L + i) * S : NULL;
            if (dvb)
                for (ptrdiff_t j = 0; j < n; j++) {
                    float w = drop ? row[j] * drop[j] : row[j];
                    if (w == 0) continue;
                    float *dvj = dvb + j * a->v_row;
                    for (ptrdiff_t e = 0; e < EV; e++) dvj[e] += w * doi[e];
                }
            if (!dqb && !dkb) continue;
            row_times_transposed(doi, vt, ds, EV, S, n, 1.0f);
            if (drop)
                for (ptrdiff_t j = 0; j < n; j++) ds[j] *= drop[j];
            float delta = dot_lanes(row, ds, n);
            for (ptrdiff_t j = 0; j < n; j++) ds[j] = row[j] * (ds[j] - delta) * a->scale;
            if (dqb) {
                float *dqi = dqb + i * a->q_row;
                for (ptrdiff_t d = 0; d < E; d++) dqi[d] = 0;
                for (ptrdiff_t j = 0; j < n; j++) {
                    float s = ds[j];
                    if (s == 0) continue;
                    const float *kj = kb + j * a->k_row;
                    for (ptrdiff_t d = 0; d < E; d++) dqi[d] += s * kj[d];
                }
            }
            if (dkb)
                for (ptrdiff_t j = 0; j < n; j++) {
                    float s = ds[j];
                    if (s == 0) continue;
                    float *dkj = dkb + j * a->k_row;
                    for (ptrdiff_t d = 0; d < E; d++) dkj[d] += s * qi[d];
                }
        }
    }
}
