#include "FlintKernels.h"
#include "FlintRecurrent.h"

#include <math.h>

// One body for both precisions: float uses the vectorisable polynomials of FlintKernels.h, double libm
// (double is for gradient checks, where accuracy matters and speed does not).
static inline double sigmoid_f64(double x) { return 1.0 / (1.0 + exp(-x)); }

#define LSTM_CELL(T, SUFFIX, SIGMOID, TANH)                                                                   \
    FLINT_CLONES void flint_lstm_cell_##SUFFIX(const T *pre, T *gates, const T *c_prev, T *c, T *h,            \
                                               ptrdiff_t n, ptrdiff_t hidden) {                                \
        for (ptrdiff_t r = 0; r < n; r++) {                                                                    \
            /* The five rows never overlap (restrict lets the loop vectorise without run-time checks). */     \
            const T *restrict p = pre + r * 4 * hidden;                                                        \
            T *restrict a = gates + r * 4 * hidden;                                                            \
            const T *restrict cp = c_prev + r * hidden;                                                        \
            T *restrict cr = c + r * hidden, *restrict hr = h + r * hidden;                                    \
            for (ptrdiff_t j = 0; j < hidden; j++) {                                                           \
                T i = SIGMOID(p[j] + a[j]);                                                                    \
                T f = SIGMOID(p[hidden + j] + a[hidden + j]);                                                  \
                T g = TANH(p[2 * hidden + j] + a[2 * hidden + j]);                                             \
                T o = SIGMOID(p[3 * hidden + j] + a[3 * hidden + j]);                                          \
                T next = f * cp[j] + i * g;                                                                    \
                a[j] = i; a[hidden + j] = f; a[2 * hidden + j] = g; a[3 * hidden + j] = o;                     \
                cr[j] = next;                                                                                  \
                hr[j] = o * TANH(next);                                                                        \
            }                                                                                                  \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    FLINT_CLONES void flint_lstm_cell_backward_##SUFFIX(const T *gates, const T *c_prev, const T *c,           \
                                                        const T *dh, T *dc, T *dpre, ptrdiff_t n,              \
                                                        ptrdiff_t hidden) {                                    \
        for (ptrdiff_t r = 0; r < n; r++) {                                                                    \
            const T *restrict a = gates + r * 4 * hidden;                                                      \
            const T *restrict cp = c_prev + r * hidden, *restrict cr = c + r * hidden;                         \
            const T *restrict dhr = dh + r * hidden;                                                           \
            T *restrict dcr = dc + r * hidden, *restrict d = dpre + r * 4 * hidden;                            \
            for (ptrdiff_t j = 0; j < hidden; j++) {                                                           \
                T i = a[j], f = a[hidden + j], g = a[2 * hidden + j], o = a[3 * hidden + j];                   \
                T tc = TANH(cr[j]);                                                                            \
                /* h = o·tanh(c): both reach c, the one from h through tanh's derivative. */                   \
                T dcTotal = dcr[j] + dhr[j] * o * (1 - tc * tc);                                               \
                T di = dcTotal * g, df = dcTotal * cp[j], dg = dcTotal * i, dout = dhr[j] * tc;                \
                d[j] = di * i * (1 - i);                                                                       \
                d[hidden + j] = df * f * (1 - f);                                                              \
                d[2 * hidden + j] = dg * (1 - g * g);                                                          \
                d[3 * hidden + j] = dout * o * (1 - o);                                                        \
                dcr[j] = dcTotal * f;                                                                          \
            }                                                                                                  \
        }                                                                                                      \
    }

LSTM_CELL(float, f32, flint_sigmoidf, flint_tanhf)
LSTM_CELL(double, f64, sigmoid_f64, tanh)
