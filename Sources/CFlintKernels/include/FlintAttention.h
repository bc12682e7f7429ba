#ifndef FLINT_ATTENTION_H
#define FLINT_ATTENTION_H

// Fused scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention) in float32:
// O = (softmax(Q·Kᵀ·scale + mask) ∘ M)·V for each (batch, head), with M the dropout multipliers.
//
// Q, K, V and O are read and written in place through strides, so that the heads of a multi-head attention
// ([L, N, heads·E] as its projections leave them) need no split or merge copy: row i of head h of batch b of Q
// starts at q + b·q_batch + h·q_head + i·q_row, and its E values are contiguous. A gradient uses the strides of
// the tensor it is the gradient of. Each call takes the (batch, head) pairs bh0 ..< bh1, bh = b·heads + h,
// so that callers can split them over threads.

#include <stddef.h>

typedef struct {
    ptrdiff_t batch, heads, l, s, e, ev;
    ptrdiff_t q_batch, q_head, q_row;
    ptrdiff_t k_batch, k_head, k_row;
    ptrdiff_t v_batch, v_head, v_row;
    ptrdiff_t o_batch, o_head, o_row;
    float scale;
    /// Query i attends to keys j ≤ i (PyTorch's is_causal: the top-left triangle).
    int causal;
    /// Added to the scores (0 / −inf for boolean masks), or NULL: row i of pair (b, h) at
    /// mask + b·mask_batch + h·mask_head + i·s (strides 0 for one [L, S] mask shared by all pairs).
    const float *mask;
    ptrdiff_t mask_batch, mask_head;
    /// Added to every row of batch b's scores ([batch, S], key_padding_mask as 0 / −inf), or NULL.
    const float *key_mask;
    /// Dropout multipliers [batch·heads, L, S] applied to the probabilities (0 or 1/(1−p)), or NULL.
    const float *dropout;
} flint_attention;

/// O for pairs bh0 ..< bh1, with scratch for flint_attention_forward_scratch(a) floats. p, when not NULL, receives the probabilities softmax(...) before dropout,
/// [batch·heads, L, S] contiguous, which the backward needs; rows whose every key is masked get zeros
/// (PyTorch's safe softmax), so their output is zero.
void flint_attention_forward_f32(const flint_attention *a, const float *q, const float *k, const float *v, float *o,
                                 float *p, float *scratch, ptrdiff_t bh0, ptrdiff_t bh1);

/// dQ, dK, dV (each may be NULL) from dO and the forward's probabilities p, for pairs bh0 ..< bh1:
/// dV = (P∘M)ᵀ·dO, dP = (dO·Vᵀ)∘M, dS = P∘(dP − rowsum(P∘dP)), dQ = dS·K·scale, dK = dSᵀ·Q·scale.
/// dO has O's strides; dQ, dK, dV those of Q, K, V, and are overwritten. scratch holds
/// flint_attention_backward_scratch(a) floats.
void flint_attention_backward_f32(const flint_attention *a, const float *q, const float *k, const float *v,
                                  const float *p, const float *dout, float *dq, float *dk, float *dv, float *scratch,
                                  ptrdiff_t bh0, ptrdiff_t bh1);

/// The scratch floats each call needs, for one chunk of pairs.
ptrdiff_t flint_attention_forward_scratch(const flint_attention *a);
ptrdiff_t flint_attention_backward_scratch(const flint_attention *a);

#endif
