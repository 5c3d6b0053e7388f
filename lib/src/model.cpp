// Per-kind facts: parameter counts and the starting state of a model.
#include <string.h>

#include "model.hpp"

namespace dsc {

bool is_linear_kind(uint32_t kind) { return kind == DSC_LINEAR || kind == DSC_LOGISTIC; }

uint32_t param_count(const dsc_config &cfg) {
    switch (cfg.kind) {
        case DSC_LINEAR:
        case DSC_LOGISTIC: return cfg.n_features + 1;
        case DSC_POLYNOMIAL: return cfg.degree + 1;
        case DSC_LEGENDRE3: return 4;
        default: return 0;
    }
}

void reset_train_state(dsc_model *m) {
    m->st.step = 0;
    m->st.epoch = 0;
    m->st.has_buf = 0;
    m->st.lr = m->cfg.lr;
    m->st.best_loss = __builtin_inff();
    m->st.prev_loss = __builtin_inff();
    m->st.no_improve = 0;
    if (float *v = at<float>(m, m->lay.velocity)) memset(v, 0, m->n_params * sizeof(float));
}

}  // namespace dsc
