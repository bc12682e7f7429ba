#ifndef FLINT_CONV_H
#define FLINT_CONV_H

// Direct float32 convolution for stride 1 or 2, dilation 1 and one group, the
// shape of most CNN layers. The im2col + GEMM route spends most of its time
// writing and re-reading the unfolded patches when the patches are short
// (kh·kw·C_in of 25 or 400); these kernels instead keep a tile of 16 output
// channels × a few pixels in vector registers and read the (zero-padded)
// input in place. Like FlintKernels.c they are compiled for AVX-512, AVX2
// and baseline x86-64, chosen once from the CPU's features.
//
// Layouts: x is [n, c, h, w], y is [n, o, oh, ow], weights are PyTorch's
// [o, c, kh, kw]; oh = (h + 2·ph − kh) / stride + 1, ow = (w + 2·pw − kw) / stride + 1.

#include <stddef.h>

/// Floats in the packed weights of a convolution from `in` to `out` channels.
ptrdiff_t flint_conv2d_packed_count(ptrdiff_t out, ptrdiff_t in, ptrdiff_t kh, ptrdiff_t kw);

/// Repacks weight [o, c, kh, kw] for `flint_conv2d_f32`. With `transposed`
/// nonzero it packs the weight of the convolution that computes the input
/// gradient instead (c ↔ o, kernel flipped), whose padding is kh − 1 − ph.
void flint_conv2d_pack_f32(const float *weight, ptrdiff_t o, ptrdiff_t c, ptrdiff_t kh, ptrdiff_t kw,
                           int transposed, float *packed);

/// Floats of scratch `flint_conv2d_f32` needs: one zero-padded input sample.
ptrdiff_t flint_conv2d_scratch_count(ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t kh, ptrdiff_t kw,
                                     ptrdiff_t ph, ptrdiff_t pw);

/// y = conv(x, weight, stride) + bias over n samples, with `packed` from
/// `flint_conv2d_pack_f32` for o output channels; stride 1 or 2; bias may be NULL.
void flint_conv2d_f32(const float *x, ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,
                      const float *packed, ptrdiff_t o, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ph, ptrdiff_t pw,
                      ptrdiff_t stride, const float *bias, float *y, float *scratch);

/// Floats of `flint_conv2d_transpose_gy_f32`'s output.
ptrdiff_t flint_conv2d_gy_transposed_count(ptrdiff_t n, ptrdiff_t o, ptrdiff_t oh, ptrdiff_t ow);

/// gy [n, o, plane] → gt [n, plane, o rounded up to 16 with zeros], the layout the
/// weight-gradient tiles read; done once per backward, before the work is split.
void flint_conv2d_transpose_gy_f32(const float *gy, ptrdiff_t n, ptrdiff_t o, ptrdiff_t plane, float *gt);

/// Floats of scratch `flint_conv2d_weight_grad_f32` needs (the padded input).
ptrdiff_t flint_conv2d_weight_grad_scratch_count(ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w, ptrdiff_t ph, ptrdiff_t pw);

/// dw[:, k0..<k1] = Σ over the n samples of gy ⋆ x (stride 1 or 2), where k indexes the
/// flattened (c, i, j) of dw [o, c·kh·kw] and `gt` is gy from
/// `flint_conv2d_transpose_gy_f32`. Each entry is one sum over the
/// pixels in a fixed order, so splitting k over threads changes nothing.
void flint_conv2d_weight_grad_f32(const float *x, const float *gt, ptrdiff_t n, ptrdiff_t c, ptrdiff_t h, ptrdiff_t w,
                                  ptrdiff_t o, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t stride,
                                  ptrdiff_t k0, ptrdiff_t k1, float *dw, float *scratch);

#endif
