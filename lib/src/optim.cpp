// The SGD step over all parameters (torch.optim.SGD semantics, per-parameter arithmetic in
// portable.hpp, float32 in torch's order) and the learning-rate schedules.
#include <math.h>
#include <string.h>

#include "model.hpp"
#include "portable.hpp"

namespace dsc {

// The elastic-net penalty (config.alpha) spares the intercepts: the LINEAR/LOGISTIC bias, the
// POLYNOMIAL constant c0, each SOFTMAX class's bias (LEGENDRE3 refuses alpha). Its L2 part joins the gradient before
// momentum, like weight_decay; its L1 part is the proximal step after the update, so the
// momentum buffer never sees the shrinkage.
bool sgd_step(dsc_model *m, const StepInput &in, float *out) {
    const dsc_config &c = m->cfg;
    const float *theta = train_params(m);
    float *buf = at<float>(m, m->lay.velocity);
    const bool first = !m->st.has_buf;
    const SgdCoeffs k = {in.lr, c.momentum, c.dampening, c.weight_decay, c.nesterov != 0, buf != nullptr};
#ifdef DESCENT_NO_PENALTY  // check_config refuses config.alpha
    constexpr float l2 = 0.0f, thr = 0.0f;
#else
    const float l2 = c.alpha * (1.0f - c.l1_ratio);
    const float thr = in.lr * (c.alpha * c.l1_ratio);
#endif
    float unused = 0.0f;
    uint32_t bad = 0;
    for (uint32_t j = 0; j < m->n_params; ++j) {
        float g = (float)(in.grad[j] * in.scale);
        const bool w = !is_intercept(c, j);
        if (w && l2 != 0.0f) g = g + l2 * theta[j];
        out[j] = sgd_update(theta[j], g, buf ? &buf[j] : &unused, first, k);
        if (w && thr > 0.0f) out[j] = soft_threshold(out[j], thr);
        bad |= (uint32_t)!isfinite(out[j]);
    }
    if (buf) m->st.has_buf = 1;
    return bad == 0;
}

// In float: it only feeds the automatic rate's safeguard (a comparison with 1e-6 slack), and
// MCUs have a single-precision FPU.
float penalty_value(const dsc_model *m) {
    const float *theta = train_params(m);
    float l1 = 0.0f, l2 = 0.0f;
    for (uint32_t j = 1; j < m->n_params; ++j) {
        if (is_intercept(m->cfg, j)) continue;
        l1 += fabsf(theta[j]);
        l2 += theta[j] * theta[j];
    }
    // A sum that overflowed to +inf counts only where its weight is not zero: 0 * inf would
    // make the safeguard's objective NaN, which the blob rightly refuses to load.
    const float r = m->cfg.l1_ratio;
    float v = 0.0f;
    if (r != 0.0f) v += r * l1;
    if (r != 1.0f) v += 0.5f * (1.0f - r) * l2;
    return m->cfg.alpha * v;
}

#ifndef DESCENT_NO_AVERAGE
// scikit-learn's rule: the step that brings the samples seen to `average` or beyond is the
// first one averaged; avg_count counts the averaged steps, avg += (theta - avg) / avg_count.
void average_step(dsc_model *m) {
    if (!m->lay.avg || m->seen < m->cfg.average) return;
    double *avg = at<double>(m, m->lay.avg);
    const float *theta = train_params(m);
    m->avg_count += 1;
    const double count = (double)m->avg_count;
    for (uint32_t j = 0; j < m->n_params; ++j) avg[j] += ((double)theta[j] - avg[j]) / count;
}

bool publish_average(dsc_model *m) {
    if (!m->lay.avg || !m->lay.avg_raw) return true;  // both or neither (arena.cpp)
    const double *avg = at<double>(m, m->lay.avg);
    float *raw = at<float>(m, m->lay.avg_raw);
    float *f = standardized(m) && m->has_stats ? at<float>(m, m->lay.work) : raw;
    for (uint32_t j = 0; j < m->n_params; ++j) f[j] = (float)avg[j];
    if (f != raw) raw_from_std(m, f, raw);
    return all_finite(raw, m->n_params);
}

// A mean of finite iterates whose raw maps were finite can still round past FLT_MAX in its
// own raw map (iterates at the float range's edge): the average then restarts at the current
// parameters, whose raw map adopt_train_params has already checked.
void refresh_average(dsc_model *m) {
    if (!m->avg_count || publish_average(m)) return;
    double *avg = at<double>(m, m->lay.avg);
    const float *theta = train_params(m);
    for (uint32_t j = 0; j < m->n_params; ++j) avg[j] = theta[j];
    m->avg_count = 1;
    // Training parameters whose own raw map overflows exist only in a crafted blob (loaded
    // as saved): prediction then uses the finite raw parameters (fuzz_load_crc).
    if (!publish_average(m))
        memcpy(at<float>(m, m->lay.avg_raw), params(m), m->n_params * sizeof(float));
}
#else  // DESCENT_AVERAGE=OFF: check_config refuses config.average, so there is never an average
void average_step(dsc_model *) {}
bool publish_average(dsc_model *) { return true; }
void refresh_average(dsc_model *) {}
#endif

}  // namespace dsc
