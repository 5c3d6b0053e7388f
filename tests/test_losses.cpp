// The robust losses (config.loss, config.epsilon), issue 12: Huber, epsilon-insensitive (plain
// and squared) for LINEAR, hinge for LOGISTIC. Reference numbers: tests/reference/robust_cases.h,
// made by tests/reference/robust_reference.py (float64 optima: active-set Newton for the
// piecewise-quadratic losses, an exact LP for epsilon-insensitive; float64 replays of the
// minibatch update sequence for the trajectories).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "model.hpp"
#include "reference/robust_cases.h"
#include "test_support.hpp"

namespace {

using dsct::Model;
using dsct::Loaded;
using dsct::save_full;
namespace R = robust_ref;

// float64 mean objective of a LINEAR model under the given loss (the reference's formulas).
double objective(int loss, double e, const std::vector<float> &theta) {
    double s = 0.0;
    for (unsigned i = 0; i < R::kRegN; ++i) {
        double z = theta[0];
        for (unsigned j = 0; j < R::kRegD; ++j) z += (double)theta[j + 1] * R::kRegX[i * R::kRegD + j];
        const double r = z - R::kRegY[i], a = std::fabs(r);
        switch (loss) {
            case 0: s += r * r; break;
            case 1: s += a <= e ? 0.5 * r * r : e * (a - 0.5 * e); break;
            case 2: s += std::max(a - e, 0.0); break;
            default: s += std::max(a - e, 0.0) * std::max(a - e, 0.0); break;
        }
    }
    return s / R::kRegN;
}

const R::OptCase &opt_case(int loss) {
    for (const R::OptCase &c : R::kOpt)
        if (c.loss == loss) return c;
    FAIL("no reference case");
    return R::kOpt[0];
}

int record_loss(void *user, uint32_t, float loss) {
    static_cast<std::vector<float> *>(user)->push_back(loss);
    return 0;
}

}  // namespace

TEST_CASE("losses: defaults (lr = 0) reach the float64 optimum of Huber and squared "
          "epsilon-insensitive on physical units with outliers") {
    for (int loss : {(int)DSC_LOSS_HUBER, (int)DSC_LOSS_SQUARED_EPSILON_INSENSITIVE}) {
        const R::OptCase &ref = opt_case(loss);
        CAPTURE(ref.name);
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, R::kRegD);  // lr 0, solver AUTO, standardize AUTO
        c.loss = (uint32_t)loss;
        c.epsilon = ref.eps;
        c.max_epochs = 100000;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        dsc_fit_report r;
        REQUIRE(dsc_fit(M.m, R::kRegX, R::kRegY, R::kRegN, &r) == DSC_OK);
        CHECK(r.solver == DSC_SOLVER_GD);
        CHECK(r.standardized == 1);
        CHECK(r.converged == 1);
        CHECK(r.stop_reason == DSC_STOP_CONVERGED);
        const std::vector<float> p = M.params();
        const double f = objective(loss, ref.eps, p);
        INFO("objective " << f << " vs optimum " << ref.f_opt << " after " << r.epochs_run << " epochs");
        MESSAGE(std::string(ref.name) << ": " << r.epochs_run << " epochs, objective - optimum = "
                         << (f - ref.f_opt) / ref.f_opt << " (relative)");
        CHECK(f >= ref.f_opt * (1.0 - 1e-12));  // nothing beats the optimum: the formulas agree
        CHECK(f <= ref.f_opt * (1.0 + 1e-5));
        CHECK(std::fabs(r.final_loss - ref.f_opt) <= 1e-5 * ref.f_opt);
        for (unsigned j = 0; j <= R::kRegD; ++j) {
            CAPTURE(j);
            CHECK(std::fabs(p[j] - ref.theta[j]) <= 2e-3 * std::fabs(ref.theta[j]));
        }
        // Huber's fit is not dragged by the spikes the way least squares' is.
        if (loss == DSC_LOSS_HUBER) CHECK(std::fabs(p[2] - 5000.0) < std::fabs(opt_case(0).theta[2] - 5000.0));
    }
}

TEST_CASE("losses: epsilon-insensitive by subgradient steps approaches the exact LP optimum") {
    const R::OptCase &ref = opt_case(DSC_LOSS_EPSILON_INSENSITIVE);
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, R::kRegD);
    c.loss = DSC_LOSS_EPSILON_INSENSITIVE;
    c.epsilon = ref.eps;
    c.standardize = DSC_STANDARDIZE_ON;
    c.lr = 1.0f;
    c.schedule = DSC_LR_INVSCALING;
    c.power_t = 0.5f;
    c.max_epochs = 20000;
    Model M(c);
    REQUIRE(M.status == DSC_OK);
    dsc_fit_report r;
    REQUIRE(dsc_fit(M.m, R::kRegX, R::kRegY, R::kRegN, &r) == DSC_OK);
    CHECK(r.converged == 0);  // a subgradient method has no convergence test to pass
    const double f = objective(DSC_LOSS_EPSILON_INSENSITIVE, ref.eps, M.params());
    INFO("objective " << f << " vs LP optimum " << ref.f_opt);
    MESSAGE("epsins: " << r.epochs_run << " epochs, objective - LP optimum = "
                       << (f - ref.f_opt) / ref.f_opt << " (relative)");
    CHECK(f >= ref.f_opt * (1.0 - 1e-9));
    CHECK(f <= ref.f_opt * (1.0 + 1e-4));  // 1.9e-7 measured on x86-64
    CHECK(std::fabs(r.final_loss - f) <= 1e-5 * f);
}

TEST_CASE("losses: minibatch and full-batch runs follow the float64 replay of every update") {
    for (const R::TrajCase &t : R::kTraj) {
        CAPTURE(t.name);
        dsc_config c;
        dsc_config_init(&c, t.cls ? DSC_LOGISTIC : DSC_LINEAR, R::kTrajD);
        c.backend = DSC_BACKEND_AUTO;  // every path (the forced-path suites run this too)
        c.loss = (uint32_t)t.loss;
        if (t.loss != DSC_LOSS_HINGE) c.epsilon = t.eps;
        c.standardize = DSC_STANDARDIZE_OFF;
        c.solver = DSC_SOLVER_GD;
        c.lr = t.lr;
        c.momentum = t.momentum;
        c.batch_size = t.batch == R::kTrajN ? 0u : t.batch;
        c.shuffle = 0;
        c.max_epochs = t.epochs;
        std::vector<float> losses;
        c.on_epoch = record_loss;
        c.user = &losses;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        const float *X = t.cls ? R::kClsX : R::kTrajX;
        const float *y = t.cls ? R::kClsY : R::kTrajY;
        REQUIRE(dsc_fit(M.m, X, y, R::kTrajN, nullptr) == DSC_OK);
        // The whole run: losses per epoch from on_epoch, then the final parameters; then an
        // epoch-by-epoch rerun checks every intermediate point.
        REQUIRE(losses.size() == t.epochs);
        const std::vector<float> p = M.params();
        double scale = 0.0;
        for (unsigned j = 0; j <= R::kTrajD; ++j) scale = std::max(scale, std::fabs(t.params[(t.epochs - 1) * 4 + j]));
        for (unsigned j = 0; j <= R::kTrajD; ++j) {
            CAPTURE(j);
            CHECK(std::fabs(p[j] - t.params[(t.epochs - 1) * 4 + j]) <= 1e-5 * scale);
        }
        for (unsigned e = 0; e < t.epochs; ++e) {
            CAPTURE(e);
            CHECK(std::fabs(losses[e] - t.epoch_loss[e]) <= 1e-5 * std::max(1.0, std::fabs(t.epoch_loss[e])));
        }
        c.max_epochs = 1;
        c.on_epoch = nullptr;
        Model S(c);
        REQUIRE(S.status == DSC_OK);
        for (unsigned e = 0; e < t.epochs; ++e) {
            CAPTURE(e);
            REQUIRE(dsc_fit(S.m, X, y, R::kTrajN, nullptr) == DSC_OK);
            const std::vector<float> q = S.params();
            for (unsigned j = 0; j <= R::kTrajD; ++j) {
                CAPTURE(j);
                CHECK(std::fabs(q[j] - t.params[e * 4 + j]) <= 1e-5 * scale);
            }
        }
        CHECK(dsct::bits_equal(S.params(), p));  // one fit of k epochs = k fits of one
    }
}

TEST_CASE("losses: every SIMD path's robust pass agrees with scalar") {
    std::vector<const dsc::KernelTable *> tables;
    for (uint32_t b = DSC_BACKEND_SSE2; b <= DSC_BACKEND_NEON; ++b)
        if (const dsc::KernelTable *k = dsc::kernels_for(b)) tables.push_back(k);
    const dsc::KernelTable *ref = dsc::kernels_for(DSC_BACKEND_SCALAR);
    const bool has_robust = ref->linear_robust != nullptr;
    REQUIRE(has_robust);
    dsct::Rng rng(11);
    for (uint32_t d : {1u, 3u, 7u, 8u, 17u, 40u}) {
        for (size_t n : {1u, 5u, 255u, 256u, 700u}) {
            std::vector<float> X(n * d), y(n), yl(n), theta(d + 1);
            for (float &v : X) v = (float)rng.normal();
            for (float &v : theta) v = (float)(0.5 * rng.normal());
            for (size_t i = 0; i < n; ++i) {
                y[i] = (float)(2.0 * rng.normal());
                yl[i] = rng.normal() > 0.0 ? 1.0f : 0.0f;
            }
            std::vector<uint32_t> idx(n);
            for (size_t i = 0; i < n; ++i) idx[i] = (uint32_t)((i * 7919u) % n);
            for (uint32_t loss = 1; loss <= 4; ++loss) {
                const float *yy = loss == 4 ? yl.data() : y.data();
                for (int indexed = 0; indexed < 2; ++indexed) {
                    dsc::RowSet rs = {X.data(), yy, indexed ? idx.data() : nullptr, 0, n, d};
                    std::vector<float> acc(d + 1);
                    std::vector<double> g0(d + 1), g1(d + 1);
                    double l0, l1, lo0, lo1;
                    ref->linear_robust(rs, theta.data(), loss, 0.7f, acc.data(), g0.data(), &l0);
                    ref->linear_robust(rs, theta.data(), loss, 0.7f, nullptr, nullptr, &lo0);
                    CHECK(lo0 == l0);
                    for (const dsc::KernelTable *k : tables) {
                        CAPTURE(k->name);
                        CAPTURE(d);
                        CAPTURE(n);
                        CAPTURE(loss);
                        CAPTURE(indexed);
                        k->linear_robust(rs, theta.data(), loss, 0.7f, acc.data(), g1.data(), &l1);
                        k->linear_robust(rs, theta.data(), loss, 0.7f, nullptr, nullptr, &lo1);
                        CHECK(lo1 == l1);
                        // float32 block sums in a different order: a few ulp of the row sums.
                        double mag = 0.0;
                        for (size_t i = 0; i < n; ++i) mag += std::fabs((double)yy[i]) + 3.0;
                        CHECK(std::fabs(l1 - l0) <= 1e-5 * mag);
                        for (uint32_t j = 0; j <= d; ++j) CHECK(std::fabs(g1[j] - g0[j]) <= 1e-5 * mag);
                    }
                }
            }
        }
    }
}

TEST_CASE("losses: config checks name the field, and AUTO resolves to GD") {
    auto cfg = [](dsc_model_kind kind, uint32_t loss) {
        dsc_config c;
        dsc_config_init(&c, kind, 2);
        c.loss = loss;
        return c;
    };
    dsc_config c = cfg(DSC_LINEAR, 5);
    CHECK(dsc_arena_size(&c) == 0);
    CHECK(std::string(dsc_check_config(&c)).find("config.loss") != std::string::npos);
    c = cfg(DSC_LINEAR, DSC_LOSS_HINGE);
    CHECK(dsc_check_config(&c) != nullptr);
    c = cfg(DSC_LOGISTIC, DSC_LOSS_HUBER);
    CHECK(dsc_check_config(&c) != nullptr);
    c = cfg(DSC_POLYNOMIAL, DSC_LOSS_HUBER);
    c.n_features = 1;
    CHECK(dsc_check_config(&c) != nullptr);
    c = cfg(DSC_LEGENDRE3, DSC_LOSS_HUBER);
    c.n_features = 1;
    c.lr = 0.1f;
    CHECK(dsc_check_config(&c) != nullptr);
    // NEWTON, explicitly: refused; AUTO picks GD.
    c = cfg(DSC_LINEAR, DSC_LOSS_HUBER);
    CHECK(dsc_check_config(&c) == nullptr);
    CHECK(!dsc::resolve(c).newton);
    c.solver = DSC_SOLVER_NEWTON;
    CHECK(std::string(dsc_check_config(&c)).find("NEWTON") != std::string::npos);
    dsct::Model N(c);
    CHECK(N.status == DSC_ERR_UNSUPPORTED);
    // The non-smooth losses need an explicit rate; the smooth ones take lr = 0.
    for (uint32_t loss : {(uint32_t)DSC_LOSS_EPSILON_INSENSITIVE, (uint32_t)DSC_LOSS_HINGE}) {
        c = cfg(loss == DSC_LOSS_HINGE ? DSC_LOGISTIC : DSC_LINEAR, loss);
        CHECK(std::string(dsc_check_config(&c)).find("lr") != std::string::npos);
        c.lr = 0.01f;
        CHECK(dsc_check_config(&c) == nullptr);
    }
    c = cfg(DSC_LINEAR, DSC_LOSS_SQUARED_EPSILON_INSENSITIVE);
    CHECK(dsc_check_config(&c) == nullptr);
    // epsilon: finite, >= 0; Huber's > 0.
    c = cfg(DSC_LINEAR, DSC_LOSS_HUBER);
    for (float bad : {-1.0f, std::nanf(""), INFINITY, 0.0f}) {
        c.epsilon = bad;
        CHECK(std::string(dsc_check_config(&c)).find("epsilon") != std::string::npos);
    }
    c.loss = DSC_LOSS_EPSILON_INSENSITIVE;
    c.lr = 0.1f;
    c.epsilon = 0.0f;
    CHECK(dsc_check_config(&c) == nullptr);
    c.loss = DSC_LOSS_DEFAULT;
    c.epsilon = -0.5f;  // checked whatever the loss, so a blob can never carry garbage
    CHECK(dsc_check_config(&c) != nullptr);
    c.backend = DSC_BACKEND_CUDA;
    c.epsilon = 0.1f;
    c.loss = DSC_LOSS_HUBER;
    c.solver = DSC_SOLVER_GD;
    c.standardize = DSC_STANDARDIZE_OFF;
    CHECK(dsc_check_config(&c) != nullptr);
}

TEST_CASE("losses: HINGE takes labels exactly 0 or 1 and changes nothing otherwise") {
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, R::kTrajD);
    c.loss = DSC_LOSS_HINGE;
    c.lr = 0.05f;
    c.max_epochs = 3;
    Model M(c);
    REQUIRE(M.status == DSC_OK);
    std::vector<float> y(R::kClsY, R::kClsY + R::kTrajN);
    y[17] = 0.5f;
    const std::vector<float> before = M.params();
    CHECK(dsc_fit(M.m, R::kClsX, y.data(), R::kTrajN, nullptr) == DSC_ERR_LABEL_RANGE);
    float l = 0.0f;
    CHECK(dsc_loss(M.m, R::kClsX, y.data(), R::kTrajN, &l) == DSC_ERR_LABEL_RANGE);
    CHECK(dsct::bits_equal(M.params(), before));
    REQUIRE(dsc_fit(M.m, R::kClsX, R::kClsY, R::kTrajN, nullptr) == DSC_OK);
    // Labels come from the sign of the decision value.
    std::vector<float> z(R::kTrajN), lab(R::kTrajN);
    REQUIRE(dsc_predict_logit(M.m, R::kClsX, R::kTrajN, z.data()) == DSC_OK);
    REQUIRE(dsc_predict_label(M.m, R::kClsX, R::kTrajN, lab.data()) == DSC_OK);
    for (size_t i = 0; i < R::kTrajN; ++i) CHECK(lab[i] == (z[i] >= 0.0f ? 1.0f : 0.0f));
}

TEST_CASE("losses: blobs carry loss and epsilon; a format-3 blob loads with the defaults") {
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, R::kTrajD);
    c.loss = DSC_LOSS_HUBER;
    c.epsilon = 0.75f;
    c.lr = 0.05f;
    c.momentum = 0.9f;
    c.batch_size = 8;
    c.max_epochs = 3;
    Model whole(c), half(c);
    c.max_epochs = 6;
    Model six(c);
    REQUIRE(dsc_fit(six.m, R::kTrajX, R::kTrajY, R::kTrajN, nullptr) == DSC_OK);
    REQUIRE(dsc_fit(half.m, R::kTrajX, R::kTrajY, R::kTrajN, nullptr) == DSC_OK);
    const std::vector<uint8_t> blob = save_full(half.m);
    CHECK(blob[4] == 5);
    Loaded L(blob);
    dsc_config lc;
    REQUIRE(dsc_get_config(L.m, &lc) == DSC_OK);
    CHECK(lc.loss == (uint32_t)DSC_LOSS_HUBER);
    CHECK(lc.epsilon == 0.75f);
    CHECK(save_full(L.m) == blob);
    REQUIRE(dsc_fit(L.m, R::kTrajX, R::kTrajY, R::kTrajN, nullptr) == DSC_OK);
    std::vector<float> lp(R::kTrajD + 1);
    REQUIRE(dsc_get_params(L.m, lp.data(), lp.size()) == DSC_OK);
    CHECK(dsct::bits_equal(lp, six.params()));  // resumed = uninterrupted, bit for bit

    // Format 3 is format 5 without the last 24 bytes of the config (format 4's loss and
    // epsilon, format 5's early stopping and class weights): a DEFAULT-loss model's blob, cut
    // back to format 3, loads with loss DEFAULT and epsilon 0.1 and saves back as the original.
    dsc_config d;
    dsc_config_init(&d, DSC_LINEAR, R::kTrajD);
    d.lr = 0.05f;
    d.max_epochs = 2;
    Model D(d);
    REQUIRE(dsc_fit(D.m, R::kTrajX, R::kTrajY, R::kTrajN, nullptr) == DSC_OK);
    const std::vector<uint8_t> v5 = save_full(D.m);
    std::vector<uint8_t> v3(v5.begin(), v5.begin() + 176);
    v3.insert(v3.end(), v5.begin() + 200, v5.end() - 4);
    v3[4] = 3;
    const uint32_t total = (uint32_t)v3.size() + 4;
    for (int i = 0; i < 4; ++i) v3[8 + i] = (uint8_t)(total >> (8 * i));
    const uint32_t crc = dsc::crc32(v3.data(), v3.size(), 0);
    for (int i = 0; i < 4; ++i) v3.push_back((uint8_t)(crc >> (8 * i)));
    Loaded L3(v3);
    dsc_config c3;
    REQUIRE(dsc_get_config(L3.m, &c3) == DSC_OK);
    CHECK(c3.loss == (uint32_t)DSC_LOSS_DEFAULT);
    CHECK(c3.epsilon == 0.1f);
    CHECK(save_full(L3.m) == v5);
}
