// descent's SGD against PyTorch: every step of torch.optim.SGD + MSELoss / BCE trajectories,
// recorded by tests/reference/torch_sgd.py into tests/reference/torch_sgd_cases.h.
//
// Tolerance ("relative 1e-5", the same bound the generator uses, with 1e-6, to check that
// torch's own float32 run is that close to float64):
//   loss:      |got - want| <= 1e-5 * max(|want|, 1e-3)
//   parameter: |got - want| <= 1e-5 * max(|want|, 0.1 * max_k |want_k|, 1e-3)
// where want_k runs over the reference parameter vector of that step. The 0.1*max_k floor is
// there because a component passing near zero (a bias of 0.03 beside weights of 1.7, legendre3's
// d crossing 0) carries rounding error of the size of the vector's other terms, not its own.
#include <descent.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "reference/torch_sgd_cases.h"

namespace {

constexpr double kRelTol = 1e-5;
constexpr double kFloor = 1e-3;
constexpr double kVecFloor = 0.1;

bool loss_close(float got, float want) {
    return std::fabs(double(got) - double(want)) <=
           kRelTol * std::max(std::fabs(double(want)), kFloor);
}

// Compares a parameter vector against the reference vector `want` (n values).
void check_params(const char *what, size_t step, const float *got, const float *want, size_t n) {
    double vmax = 0.0;
    for (size_t k = 0; k < n; ++k) vmax = std::max(vmax, std::fabs(double(want[k])));
    const double floor = std::max(kFloor, kVecFloor * vmax);
    for (size_t k = 0; k < n; ++k) {
        const double bound = kRelTol * std::max(std::fabs(double(want[k])), floor);
        INFO(doctest::String(what)
             << ": step " << step << " param " << k << " got " << got[k] << " want " << want[k]
             << " (|diff| " << std::fabs(double(got[k]) - double(want[k])) << ", bound " << bound
             << ")");
        CHECK(std::fabs(double(got[k]) - double(want[k])) <= bound);
    }
}

struct LossLog {
    std::vector<float> losses;
    std::vector<uint32_t> epochs;
};

int record_loss(void *user, uint32_t epoch, float loss) {
    auto *log = static_cast<LossLog *>(user);
    log->losses.push_back(loss);
    log->epochs.push_back(epoch);
    return 0;
}

const torch_sgd_case &find_case(const char *name) {
    for (const auto &c : torch_sgd_cases)
        if (std::strcmp(c.name, name) == 0) return c;
    FAIL("no reference case named " << name);
    return torch_sgd_cases[0];
}

dsc_config make_config(const torch_sgd_case &c, LossLog *log) {
    dsc_config cfg;
    dsc_config_init(&cfg, static_cast<dsc_model_kind>(c.kind), c.n_features);
    if (c.kind == DSC_POLYNOMIAL) cfg.degree = c.degree;
    cfg.reduction = c.reduction;
    cfg.batch_size = c.batch_size;
    cfg.shuffle = 0;
    cfg.max_epochs = 1;
    cfg.lr = c.lr;
    cfg.momentum = c.momentum;
    cfg.dampening = c.dampening;
    cfg.weight_decay = c.weight_decay;
    cfg.nesterov = c.nesterov;
    cfg.schedule = DSC_LR_CONSTANT;
    cfg.tol = -1.0f;  // run exactly max_epochs
    cfg.on_epoch = log ? record_loss : nullptr;
    cfg.user = log;
    return cfg;
}

// A model built in an owned arena, started at the case's initial parameters.
struct Model {
    std::vector<unsigned char> arena;
    dsc_model *m = nullptr;

    Model(const torch_sgd_case &c, const dsc_config &cfg) {
        const char *why = dsc_check_config(&cfg);
        INFO("dsc_check_config: " << doctest::String(why ? why : "ok"));
        REQUIRE(why == nullptr);
        const size_t need = dsc_arena_size(&cfg);
        REQUIRE(need > 0);
        arena.resize(need + DSC_ARENA_ALIGN);  // vector storage is malloc-aligned; slack anyway
        REQUIRE(dsc_create(&cfg, arena.data(), arena.size(), &m) == DSC_OK);
        REQUIRE(m != nullptr);
        REQUIRE(dsc_param_count(m) == c.n_params);
        const bool zero_init =
            std::all_of(c.init, c.init + c.n_params, [](float v) { return v == 0.0f; });
        if (zero_init) {
            // A new model starts at all zeros, as the zeroed torch.nn.Linear / coefficients.
            std::vector<float> p(c.n_params, 1.0f);
            REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
            for (float v : p) REQUIRE(v == 0.0f);
        } else {
            REQUIRE(dsc_set_params(m, c.init, c.n_params) == DSC_OK);
        }
    }

    std::vector<float> params() const {
        std::vector<float> p(dsc_param_count(m));
        REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
        return p;
    }
};

// One dsc_fit of one epoch per reference epoch: the parameters after every epoch, the epoch
// loss handed to on_epoch and report.final_loss. For full batch an epoch is one step, so this
// is the whole trajectory; the callback's loss is the loss before that step (torch's
// loss.item()).
void check_epoch_by_epoch(const torch_sgd_case &c) {
    LossLog log;
    const dsc_config cfg = make_config(c, &log);
    Model model(c, cfg);
    const size_t np = c.n_params;
    for (uint32_t e = 0; e < c.epochs; ++e) {
        dsc_fit_report rep;
        std::memset(&rep, 0, sizeof rep);
        const dsc_status s = dsc_fit(model.m, c.X, c.y, c.n_samples, &rep);
        INFO(doctest::String(c.name)
             << ": epoch " << e + 1 << " status " << doctest::String(dsc_status_string(s)) << " ("
             << doctest::String(rep.message ? rep.message : "") << ")");
        REQUIRE(s == DSC_OK);
        CHECK(rep.epochs_run == 1u);
        CHECK(rep.steps == uint64_t(c.steps_per_epoch));
        CHECK(rep.stop_reason == uint32_t(DSC_STOP_MAX_EPOCHS));
        const size_t last = size_t(e + 1) * c.steps_per_epoch - 1;  // last step of the epoch
        check_params(c.name, last + 1, model.params().data(), c.params + last * np, np);

        INFO("report.final_loss " << rep.final_loss << " want " << c.epoch_end_loss[e]);
        CHECK(loss_close(rep.final_loss, c.epoch_end_loss[e]));

        REQUIRE(log.losses.size() == size_t(e) + 1);
        CHECK(log.epochs[e] == e + 1);  // epoch counts from 1 over the model's life
        // The epoch loss is what the epoch's steps computed: for full batch the loss before the
        // one step; for minibatches the batch losses summed (sum) or weighted by batch rows and
        // divided by n (mean), i.e. the per-row average over the epoch.
        double want = 0.0;
        for (uint32_t k = 0; k < c.steps_per_epoch; ++k) {
            const size_t stp = size_t(e) * c.steps_per_epoch + k;
            const size_t first = size_t(k) * (c.batch_size ? c.batch_size : c.n_samples);
            const size_t rows =
                std::min<size_t>(c.n_samples - first, c.batch_size ? c.batch_size : c.n_samples);
            want += c.reduction == DSC_REDUCTION_MEAN ? double(c.loss[stp]) * double(rows)
                                                      : double(c.loss[stp]);
        }
        if (c.reduction == DSC_REDUCTION_MEAN) want /= double(c.n_samples);
        INFO("on_epoch loss " << log.losses[e] << " want " << want);
        CHECK(loss_close(log.losses[e], float(want)));
    }
}

// One dsc_fit over the whole run (max_epochs = epochs) from a fresh model must land on the same
// parameters, bit for bit, as the epoch-by-epoch fits (optimizer state carries across fits).
void check_single_fit(const torch_sgd_case &c) {
    dsc_config cfg = make_config(c, nullptr);
    cfg.max_epochs = c.epochs;
    Model whole(c, cfg);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(whole.m, c.X, c.y, c.n_samples, &rep) == DSC_OK);
    CHECK(rep.epochs_run == c.epochs);
    CHECK(rep.steps == uint64_t(c.epochs) * c.steps_per_epoch);

    dsc_config one = make_config(c, nullptr);
    Model stepped(c, one);
    for (uint32_t e = 0; e < c.epochs; ++e)
        REQUIRE(dsc_fit(stepped.m, c.X, c.y, c.n_samples, nullptr) == DSC_OK);

    const std::vector<float> a = whole.params(), b = stepped.params();
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    const size_t last = size_t(c.epochs) * c.steps_per_epoch - 1;
    check_params(c.name, last + 1, a.data(), c.params + last * c.n_params, c.n_params);
}

// Minibatch, shuffle off: batches are rows [0,b), [b,2b), ... and the last partial one. Fitting
// each batch's rows on their own (one batch, one step per dsc_fit) reproduces the minibatch run
// step by step, so every step's parameters and batch loss can be compared.
void check_step_by_step_minibatch(const torch_sgd_case &c) {
    REQUIRE(c.batch_size > 0);
    LossLog log;
    const dsc_config cfg = make_config(c, &log);
    Model model(c, cfg);
    const size_t np = c.n_params, d = c.n_features;
    size_t step = 0;
    for (uint32_t e = 0; e < c.epochs; ++e) {
        for (size_t start = 0; start < c.n_samples; start += c.batch_size, ++step) {
            const size_t rows = std::min<size_t>(c.batch_size, c.n_samples - start);
            dsc_fit_report rep;
            REQUIRE(dsc_fit(model.m, c.X + start * d, c.y + start, rows, &rep) == DSC_OK);
            CHECK(rep.steps == 1u);
            check_params(c.name, step + 1, model.params().data(), c.params + step * np, np);
            REQUIRE(log.losses.size() == step + 1);
            INFO(doctest::String(c.name) << ": step " << step + 1 << " batch loss "
                                         << log.losses[step] << " want " << c.loss[step]);
            CHECK(loss_close(log.losses[step], c.loss[step]));
        }
    }
    CHECK(step == size_t(c.epochs) * c.steps_per_epoch);
}

void check_case(const char *name) {
    const torch_sgd_case &c = find_case(name);
    REQUIRE(c.steps_per_epoch ==
            (c.batch_size ? (c.n_samples + c.batch_size - 1) / c.batch_size : 1u));
    SUBCASE("epoch by epoch") { check_epoch_by_epoch(c); }
    SUBCASE("one fit equals epoch-by-epoch fits") { check_single_fit(c); }
    if (c.batch_size) {
        SUBCASE("step by step, one batch per fit") { check_step_by_step_minibatch(c); }
    }
}

}  // namespace

TEST_CASE("optim torch: linear, sum, plain GD") { check_case("linear_sum_gd"); }
TEST_CASE("optim torch: linear, mean, momentum") { check_case("linear_mean_momentum"); }
TEST_CASE("optim torch: linear, mean, nesterov") { check_case("linear_mean_nesterov"); }
TEST_CASE("optim torch: linear, mean, weight decay + dampening") {
    check_case("linear_mean_wd_dampening");
}
TEST_CASE("optim torch: logistic, mean BCE, momentum") { check_case("logistic_mean_momentum"); }
TEST_CASE("optim torch: logistic, sum BCE, plain GD") { check_case("logistic_sum_gd"); }
TEST_CASE("optim torch: polynomial degree 3, sum, plain GD") { check_case("poly3_sum_gd"); }
TEST_CASE("optim torch: linear, minibatch 16 in order, mean, momentum") {
    check_case("linear_minibatch16_momentum");
}
TEST_CASE("optim torch: legendre3, sum, plain GD") { check_case("legendre3_sum_gd"); }
