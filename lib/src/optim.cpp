// The SGD step over all parameters (torch.optim.SGD semantics, per-parameter arithmetic in
// portable.hpp, float32 in torch's order) and the learning-rate schedules.
#include <math.h>

#include "model.hpp"
#include "portable.hpp"

namespace dsc {

bool sgd_step(dsc_model *m, const StepInput &in, float *out) {
    const dsc_config &c = m->cfg;
    const float *theta = train_params(m);
    float *buf = at<float>(m, m->lay.velocity);
    const bool first = !m->st.has_buf;
    const SgdCoeffs k = {in.lr, c.momentum, c.dampening, c.weight_decay, c.nesterov != 0, buf != nullptr};
    float unused = 0.0f;
    uint32_t bad = 0;
    for (uint32_t j = 0; j < m->n_params; ++j) {
        out[j] = sgd_update(theta[j], (float)(in.grad[j] * in.scale), buf ? &buf[j] : &unused, first, k);
        bad |= (uint32_t)!isfinite(out[j]);
    }
    if (buf) m->st.has_buf = 1;
    return bad == 0;
}

}  // namespace dsc
