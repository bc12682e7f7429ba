#include "FlintKernels.h"
#include "FlintOptim.h"

// PyTorch rounds after every operation; so do these loops on every CPU.
#pragma STDC FP_CONTRACT OFF

#define INLINE static inline __attribute__((always_inline))

#define OPTIM_KERNELS(T, S)                                                                                      \
    FLINT_CLONES void flint_sgd_##S(T *restrict w, const T *restrict g, T *restrict buf, ptrdiff_t n, T lr,      \
                                    T momentum, T damp, T decay, T sign, int fresh, int nesterov) {              \
        if (!buf) {                                                                                              \
            for (ptrdiff_t i = 0; i < n; i++) w[i] -= lr * (sign * g[i] + decay * w[i]);                         \
        } else if (fresh && !nesterov) {                                                                         \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                  \
                T d = sign * g[i] + decay * w[i];                                                                \
                buf[i] = d;                                                                                      \
                w[i] -= lr * d;                                                                                  \
            }                                                                                                    \
        } else if (fresh) {                                                                                      \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                  \
                T d = sign * g[i] + decay * w[i];                                                                \
                buf[i] = d;                                                                                      \
                w[i] -= lr * (d + momentum * d);                                                                 \
            }                                                                                                    \
        } else if (!nesterov) {                                                                                  \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                  \
                T d = sign * g[i] + decay * w[i];                                                                \
                T b = momentum * buf[i] + damp * d;                                                              \
                buf[i] = b;                                                                                      \
                w[i] -= lr * b;                                                                                  \
            }                                                                                                    \
        } else {                                                                                                 \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                  \
                T d = sign * g[i] + decay * w[i];                                                                \
                T b = momentum * buf[i] + damp * d;                                                              \
                buf[i] = b;                                                                                      \
                w[i] -= lr * (d + momentum * b);                                                                 \
            }                                                                                                    \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    /* One loop of the Adam update; each call passes constant flags, so each becomes its own branch-free loop. */ \
    INLINE void adam_loop_##S(T *restrict w, const T *restrict g, T *restrict m, T *restrict v, T *restrict vmax, \
                              ptrdiff_t n, const flint_adam_##S##_step *k, int coupled, int decoupled, int near,  \
                              int amsgrad) {                                                                     \
        const T sign = k->sign, decay = k->decay, shrink = k->shrink, w1 = k->w1, b2 = k->b2, w2 = k->w2;        \
        const T step_size = k->step_size, bc2_sqrt = k->bc2_sqrt, eps = k->eps;                                  \
        for (ptrdiff_t i = 0; i < n; i++) {                                                                      \
            T wi = decoupled ? w[i] * shrink : w[i];                                                             \
            T d = coupled ? sign * g[i] + decay * wi : sign * g[i];                                              \
            T mi = m[i];                                                                                         \
            T mn = near ? mi + w1 * (d - mi) : d - (d - mi) * ((T)1 - w1);                                       \
            m[i] = mn;                                                                                           \
            T vn = v[i] * b2 + w2 * d * d;                                                                       \
            v[i] = vn;                                                                                           \
            T second = vn;                                                                                       \
            if (amsgrad) {                                                                                       \
                second = vn >= vmax[i] ? vn : vmax[i];                                                           \
                vmax[i] = second;                                                                                \
            }                                                                                                    \
            T denom = __builtin_elementwise_sqrt(second) / bc2_sqrt + eps;                                       \
            w[i] = wi + step_size * mn / denom;                                                                  \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    FLINT_CLONES void flint_adam_##S(T *w, const T *g, T *m, T *v, T *vmax, ptrdiff_t n,                         \
                                     const flint_adam_##S##_step *k) {                                           \
        int decay = k->coupled ? 1 : (k->decoupled ? 2 : 0);                                                     \
        switch (decay * 4 + (k->near ? 2 : 0) + (vmax ? 1 : 0)) {                                                \
        case 0: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 0, 0, 0); break;                                        \
        case 1: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 0, 0, 1); break;                                        \
        case 2: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 0, 1, 0); break;                                        \
        case 3: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 0, 1, 1); break;                                        \
        case 4: adam_loop_##S(w, g, m, v, vmax, n, k, 1, 0, 0, 0); break;                                        \
        case 5: adam_loop_##S(w, g, m, v, vmax, n, k, 1, 0, 0, 1); break;                                        \
        case 6: adam_loop_##S(w, g, m, v, vmax, n, k, 1, 0, 1, 0); break;                                        \
        case 7: adam_loop_##S(w, g, m, v, vmax, n, k, 1, 0, 1, 1); break;                                        \
        case 8: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 1, 0, 0); break;                                        \
        case 9: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 1, 0, 1); break;                                        \
        case 10: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 1, 1, 0); break;                                       \
        default: adam_loop_##S(w, g, m, v, vmax, n, k, 0, 1, 1, 1); break;                                       \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    /* Σ x² in double: the lanes are combined once at the end, in a fixed order. */                             \
    FLINT_CLONES double flint_sum_squares_##S(const T *x, ptrdiff_t n) {                                         \
        double lane[16] = {0};                                                                                   \
        ptrdiff_t i = 0;                                                                                         \
        for (; i + 16 <= n; i += 16)                                                                             \
            for (int l = 0; l < 16; l++) lane[l] += (double)x[i + l] * (double)x[i + l];                         \
        double total = 0;                                                                                        \
        for (int l = 0; l < 16; l++) total += lane[l];                                                           \
        for (; i < n; i++) total += (double)x[i] * (double)x[i];                                                 \
        return total;                                                                                            \
    }

OPTIM_KERNELS(float, f32)
OPTIM_KERNELS(double, f64)
