#ifndef FLINT_RECURRENT_H
#define FLINT_RECURRENT_H

// The elementwise half of one LSTM time step, fused (torch.nn.LSTM's cell; gates stacked i, f, g, o).
// Rows are the batch: `pre` and `gates` are [n, 4·hidden], the states [n, hidden], all contiguous.
// The matrix products around it (x·W_ihᵀ for all steps at once, h·W_hhᵀ per step) are GEMMs.

#include <stddef.h>

/// Forward: gates = (i, f, g, o) = (σ, σ, tanh, σ)(pre + gates), read and overwritten in place
/// (`gates` holds h_prev·W_hhᵀ on entry and the activations, saved for the backward, on exit);
/// c = f⊙c_prev + i⊙g; h = o⊙tanh(c).
void flint_lstm_cell_f32(const float *pre, float *gates, const float *c_prev, float *c, float *h,
                         ptrdiff_t n, ptrdiff_t hidden);
void flint_lstm_cell_f64(const double *pre, double *gates, const double *c_prev, double *c, double *h,
                         ptrdiff_t n, ptrdiff_t hidden);

/// Backward of one step from the saved activations: `dh` is the gradient of h, `dc` that of c on entry
/// and that of c_prev on exit; writes the gradient of the pre-activations (pre + h_prev·W_hhᵀ) to `dpre`.
void flint_lstm_cell_backward_f32(const float *gates, const float *c_prev, const float *c, const float *dh,
                                  float *dc, float *dpre, ptrdiff_t n, ptrdiff_t hidden);
void flint_lstm_cell_backward_f64(const double *gates, const double *c_prev, const double *c, const double *dh,
                                  double *dc, double *dpre, ptrdiff_t n, ptrdiff_t hidden);

#endif
