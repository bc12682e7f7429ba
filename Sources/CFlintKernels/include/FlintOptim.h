#ifndef FLINT_OPTIM_H
#define FLINT_OPTIM_H

// The fused parameter updates of SGD and the Adam family over contiguous
// buffers, one vectorised loop per setting. The arithmetic is PyTorch's
// single-tensor update, operation by operation and never contracted into FMA,
// so a step gives the same bits on every CPU (and as the Swift loops did).

#include <stddef.h>

/// SGD: d = sign·g + decay·w; without a momentum buffer (`buf` NULL) w −= lr·d. With one, on the
/// first step (`fresh`) buf = d, later buf = momentum·buf + damp·d (damp = 1 − dampening); then
/// w −= lr·buf, or with `nesterov` w −= lr·(d + momentum·buf).
void flint_sgd_f32(float *w, const float *g, float *buf, ptrdiff_t n, float lr, float momentum, float damp,
                   float decay, float sign, int fresh, int nesterov);
void flint_sgd_f64(double *w, const double *g, double *buf, ptrdiff_t n, double lr, double momentum, double damp,
                   double decay, double sign, int fresh, int nesterov);

/// Adam's constants for one step (t): `step_size` = −lr / (1 − β₁ᵗ), `bc2_sqrt` = √(1 − β₂ᵗ),
/// `w1` = 1 − β₁, `b2` = β₂, `w2` = 1 − β₂; `decay` = wd added to the gradient when `coupled`,
/// `shrink` = 1 − lr·wd applied to w first when `decoupled` (AdamW); `near` picks lerp's form
/// for |w1| < ½ as torch.lerp does.
typedef struct { float sign, decay, shrink, w1, b2, w2, step_size, bc2_sqrt, eps; int coupled, decoupled, near; } flint_adam_f32_step;
typedef struct { double sign, decay, shrink, w1, b2, w2, step_size, bc2_sqrt, eps; int coupled, decoupled, near; } flint_adam_f64_step;

/// d = sign·g (+ decay·w); m = lerp(m, d, w1); v = b2·v + w2·d²; with AMSGrad (`vmax` not NULL)
/// vmax = max(vmax, v) takes v's place in w += step_size·m / (√v / bc2_sqrt + eps).
void flint_adam_f32(float *w, const float *g, float *m, float *v, float *vmax, ptrdiff_t n, const flint_adam_f32_step *k);
void flint_adam_f64(double *w, const double *g, double *m, double *v, double *vmax, ptrdiff_t n, const flint_adam_f64_step *k);

/// Σ x[i]² in double (the 2-norm's square for clip_grad_norm_), in 16 running lanes so that it vectorises.
double flint_sum_squares_f32(const float *x, ptrdiff_t n);
double flint_sum_squares_f64(const double *x, ptrdiff_t n);

#endif
