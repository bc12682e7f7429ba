#include "FlintKernels.h"
#include "FlintRecurrent.h"

#include <math.h>

// One body for both precisions: float uses the vectorisable polynomials of FlintKernels.h, double libm
// (double is for gradient checks, where accuracy matters and speed does not).
static inline double sigmoid_f64(double x) { return 1.0 / (1.0 + exp(-x)); }

// Row kernels take each gate's row as its own restrict pointer (noalias arguments, inlined into each ISA's
// clone): given one row pointer and offsets, the vectoriser's run-time overlap checks between the gate rows
// failed and the scalar loop ran.
#define LSTM_CELL(T, SUFFIX, SIGMOID, TANH)                                                                   \
    static inline __attribute__((always_inline)) void lstm_row_##SUFFIX(                                      \
        const T *restrict pi, const T *restrict pf, const T *restrict pg, const T *restrict po,               \
        T *restrict ai, T *restrict af, T *restrict ag, T *restrict ao, const T *restrict cp,                  \
        T *restrict cr, T *restrict hr, ptrdiff_t hidden) {                                                    \
        for (ptrdiff_t j = 0; j < hidden; j++) {                                                               \
            T i = SIGMOID(pi[j] + ai[j]), f = SIGMOID(pf[j] + af[j]);                                          \
            T g = TANH(pg[j] + ag[j]), o = SIGMOID(po[j] + ao[j]);                                             \
            T next = f * cp[j] + i * g;                                                                        \
            ai[j] = i; af[j] = f; ag[j] = g; ao[j] = o;                                                        \
            cr[j] = next;                                                                                      \
            hr[j] = o * TANH(next);                                                                            \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    FLINT_CLONES void flint_lstm_cell_##SUFFIX(const T *pre, T *gates, const T *c_prev, T *c, T *h,            \
                                               ptrdiff_t n, ptrdiff_t hidden) {                                \
        for (ptrdiff_t r = 0; r < n; r++) {                                                                    \
            const T *p = pre + r * 4 * hidden;                                                                 \
            T *a = gates + r * 4 * hidden;                                                                     \
            lstm_row_##SUFFIX(p, p + hidden, p + 2 * hidden, p + 3 * hidden, a, a + hidden, a + 2 * hidden,    \
                              a + 3 * hidden, c_prev + r * hidden, c + r * hidden, h + r * hidden, hidden);    \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    static inline __attribute__((always_inline)) void lstm_row_backward_##SUFFIX(                             \
        const T *restrict ai, const T *restrict af, const T *restrict ag, const T *restrict ao,               \
        const T *restrict cp, const T *restrict cr, const T *restrict dhr, T *restrict dcr,                    \
        T *restrict di_, T *restrict df_, T *restrict dg_, T *restrict do_, ptrdiff_t hidden) {                \
        for (ptrdiff_t j = 0; j < hidden; j++) {                                                               \
            T i = ai[j], f = af[j], g = ag[j], o = ao[j];                                                      \
            T tc = TANH(cr[j]);                                                                                \
            /* h = o·tanh(c): both reach c, the one from h through tanh's derivative. */                       \
            T dcTotal = dcr[j] + dhr[j] * o * (1 - tc * tc);                                                   \
            di_[j] = dcTotal * g * i * (1 - i);                                                                \
            df_[j] = dcTotal * cp[j] * f * (1 - f);                                                            \
            dg_[j] = dcTotal * i * (1 - g * g);                                                                \
            do_[j] = dhr[j] * tc * o * (1 - o);                                                                \
            dcr[j] = dcTotal * f;                                                                              \
        }                                                                                                      \
    }                                                                                                          \
                                                                                                               \
    FLINT_CLONES void flint_lstm_cell_backward_##SUFFIX(const T *gates, const T *c_prev, const T *c,           \
                                                        const T *dh, T *dc, T *dpre, ptrdiff_t n,              \
                                                        ptrdiff_t hidden) {                                    \
        for (ptrdiff_t r = 0; r < n; r++) {                                                                    \
            const T *a = gates + r * 4 * hidden;                                                               \
            T *d = dpre + r * 4 * hidden;                                                                      \
            lstm_row_backward_##SUFFIX(a, a + hidden, a + 2 * hidden, a + 3 * hidden, c_prev + r * hidden,     \
                                       c + r * hidden, dh + r * hidden, dc + r * hidden, d, d + hidden,        \
                                       d + 2 * hidden, d + 3 * hidden, hidden);                                \
        }                                                                                                      \
    }

LSTM_CELL(float, f32, flint_sigmoidf, flint_tanhf)
LSTM_CELL(double, f64, sigmoid_f64, tanh)
