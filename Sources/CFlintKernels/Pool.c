#include "FlintKernels.h"
#include "FlintPool.h"

FLINT_CLONES void flint_max_pool2x2_f32(const float *x, ptrdiff_t planes, ptrdiff_t h, ptrdiff_t w, float *y, int64_t *idx) {
    ptrdiff_t oh = h / 2, ow = w / 2;
    for (ptrdiff_t p = 0; p < planes; p++) {
        const float *src = x + p * h * w;
        for (ptrdiff_t oy = 0; oy < oh; oy++) {
            const float *r0 = src + 2 * oy * w, *r1 = r0 + w;
            float *yr = y + (p * oh + oy) * ow;
            int64_t *ir = idx + (p * oh + oy) * ow, top = 2 * oy * w;
            for (ptrdiff_t ox = 0; ox < ow; ox++) {
                int64_t at = top + 2 * ox;
                float best = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                // `|` (not `||`) and `v != v` for NaN keep every step a select.
                int tb = (b > best) | (b != b);
                best = tb ? b : best;
                at = tb ? top + 2 * ox + 1 : at;
                int tc = (c > best) | (c != c);
                best = tc ? c : best;
                at = tc ? top + w + 2 * ox : at;
                int td = (d > best) | (d != d);
                best = td ? d : best;
                at = td ? top + w + 2 * ox + 1 : at;
                yr[ox] = best;
                ir[ox] = at;
            }
        }
    }
}
