// The SGD update with torch.optim.SGD's semantics, and the learning-rate schedules.
//
//   g = grad * scale (+ weight_decay * theta)          coupled L2, before momentum
//   buf = g                       on the first step     (no dampening factor then)
//   buf = momentum * buf + (1 - dampening) * g          afterwards
//   g = nesterov ? g + momentum * buf : buf
//   theta = theta - lr * g
// Arithmetic is float32 in this order, as torch does it, so trajectories match to rounding.
#include <math.h>

#include "model.hpp"

namespace dsc {

bool sgd_step(dsc_model *m, const StepInput &in, float *out) {
    const dsc_config &c = m->cfg;
    const float *theta = params(m);
    float *buf = at<float>(m, m->lay.velocity);
    const bool first = !m->st.has_buf;
    uint32_t bad = 0;
    for (uint32_t j = 0; j < m->n_params; ++j) {
        float g = (float)(in.grad[j] * in.scale);
        if (c.weight_decay != 0.0f) g = g + c.weight_decay * theta[j];
        if (buf) {
            buf[j] = first ? g : c.momentum * buf[j] + (1.0f - c.dampening) * g;
            g = c.nesterov ? g + c.momentum * buf[j] : buf[j];
        }
        out[j] = theta[j] + (-in.lr) * g;
        bad |= (uint32_t)!isfinite(out[j]);
    }
    if (buf) m->st.has_buf = 1;
    return bad == 0;
}

float scheduled_lr(const dsc_config &cfg, float base, uint64_t t) {
    if (cfg.schedule != DSC_LR_INVSCALING || cfg.power_t == 0.0f) return base;
    return (float)((double)base / pow((double)t, (double)cfg.power_t));
}

}  // namespace dsc
