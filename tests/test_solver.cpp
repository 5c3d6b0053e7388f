// Reaching the optimum with default settings: standardization inside the model, the NEWTON
// solver, the convergence stop, on real data sets shipped with scikit-learn used as shipped
// and on synthetic data in physical units. Reference optima: tests/reference/make_optimum.py
// (float64, committed beside its output optimum_cases.h).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "reference/optimum_cases.h"
#include "test_support.hpp"

using dsct::Model;

namespace {

// Mean loss of raw-unit float parameters on the case's float32 data, in double: the quality
// of the parameters themselves, apart from float32 prediction arithmetic.
double raw_loss(const optimum::Case &c, const float *theta) {
    double s = 0.0;
    for (uint32_t i = 0; i < c.n; ++i) {
        const float *x = c.X + (size_t)i * c.d;
        double z;
        if (c.kind == optimum::kPoly) {
            z = theta[c.degree];
            for (uint32_t k = c.degree; k-- > 0;) z = z * (double)x[0] + theta[k];
        } else {
            z = theta[0];
            for (uint32_t j = 0; j < c.d; ++j) z += (double)theta[j + 1] * x[j];
        }
        const double y = c.y[i];
        if (c.kind == optimum::kLogistic) {
            const double az = z < 0 ? -z : z;
            s += (z > 0 ? z : 0.0) + std::log1p(std::exp(-az)) - y * z;
        } else {
            s += (z - y) * (z - y);
        }
    }
    return s / c.n;
}

dsc_config default_config(const optimum::Case &c) {
    dsc_config cfg;
    dsc_config_init(&cfg, (dsc_model_kind)c.kind, c.d);
    if (c.kind == optimum::kPoly) cfg.degree = c.degree;
    return cfg;
}

}  // namespace

TEST_CASE("solver: defaults reach the float64 optimum on real and physical-unit data") {
    for (size_t ci = 0; ci < optimum::kNumCases; ++ci) {
        const optimum::Case &c = optimum::kCases[ci];
        const std::string case_name = c.name;
        CAPTURE(case_name);
        const dsc_config cfg = default_config(c);
        Model model(cfg);
        REQUIRE(model.status == DSC_OK);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(model.m, c.X, c.y, c.n, &rep) == DSC_OK);
        CHECK(rep.solver == DSC_SOLVER_NEWTON);
        CHECK(rep.standardized == 1);
        std::vector<float> theta(c.p);
        REQUIRE(dsc_get_params(model.m, theta.data(), c.p) == DSC_OK);
        for (float t : theta) REQUIRE(std::isfinite(t));
        const double loss = raw_loss(c, theta.data());
        if (c.separable) {
            // No finite optimum: the fit must say so and keep finite, separating parameters.
            CHECK(rep.stop_reason == DSC_STOP_SEPARABLE);
            CHECK(rep.converged == 0);
            for (float t : theta) CHECK(std::isfinite(t));
            std::vector<float> label(c.n);
            REQUIRE(dsc_predict_label(model.m, c.X, c.n, label.data()) == DSC_OK);
            uint32_t wrong = 0;
            for (uint32_t i = 0; i < c.n; ++i) wrong += label[i] != c.y[i];
            CHECK(wrong == 0);
            MESSAGE(c.name << ": separable, stopped after " << rep.epochs_run << " passes");
            continue;
        }
        CHECK(rep.stop_reason == DSC_STOP_CONVERGED);
        CHECK(rep.converged == 1);
        const double gap = (loss - c.opt_loss) / c.opt_loss;
        MESSAGE(c.name << ": " << rep.epochs_run << " passes, relative loss gap " << gap);
        CHECK(gap <= 1e-6);
        CHECK(gap >= -1e-8);  // below the optimum would mean a wrong reference
        CHECK(rep.epochs_run <= (c.kind == optimum::kLogistic ? 20u : 5u));
    }
}

TEST_CASE("solver: AUTO picks NEWTON only for full-batch automatic fits within the parameter bound") {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 4);
    CHECK(cfg.standardize == DSC_STANDARDIZE_AUTO);
    CHECK(cfg.solver == DSC_SOLVER_AUTO);
    CHECK(cfg.conv_tol == 0.0f);
    CHECK(cfg.max_epochs == 1000u);
    const size_t newton_bytes = dsc_arena_size(&cfg);
    cfg.solver = DSC_SOLVER_GD;
    const size_t gd_bytes = dsc_arena_size(&cfg);
    // The two packed 5x5 matrices and the row Jacobian are there only for NEWTON.
    CHECK(newton_bytes - gd_bytes == (2 * 15 + 5) * sizeof(double));
    cfg.solver = DSC_SOLVER_AUTO;
    cfg.lr = 0.01f;  // explicit rate: plain GD on raw features, as PyTorch would run it
    CHECK(dsc_arena_size(&cfg) < gd_bytes);
    Model explicit_lr(cfg);
    float X[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[2] = {1, 2};
    dsc_fit_report rep;
    REQUIRE(dsc_fit(explicit_lr.m, X, y, 2, &rep) == DSC_OK);
    CHECK(rep.solver == DSC_SOLVER_GD);
    CHECK(rep.standardized == 0);
    CHECK(rep.epochs_run == 1000u);  // no convergence stop with an explicit rate
    CHECK(rep.stop_reason == DSC_STOP_MAX_EPOCHS);

    dsc_config_init(&cfg, DSC_LINEAR, DSC_NEWTON_AUTO_MAX_PARAMS);  // p = 257
    Model wide(cfg);
    REQUIRE(wide.status == DSC_OK);
    std::vector<float> Xw(4 * DSC_NEWTON_AUTO_MAX_PARAMS, 1.0f), yw(4, 1.0f);
    for (size_t i = 0; i < Xw.size(); ++i) Xw[i] = (float)((i * 7919) % 13);
    REQUIRE(dsc_fit(wide.m, Xw.data(), yw.data(), 4, &rep) == DSC_OK);
    CHECK(rep.solver == DSC_SOLVER_GD);

    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.batch_size = 8;
    Model mb(cfg);
    float Xm[24] = {0}, ym[8] = {0};
    for (int i = 0; i < 24; ++i) Xm[i] = (float)(i % 5);
    REQUIRE(dsc_fit(mb.m, Xm, ym, 8, &rep) == DSC_OK);
    CHECK(rep.solver == DSC_SOLVER_GD);
    CHECK(rep.standardized == 1);
}

TEST_CASE("solver: invalid combinations are rejected with a message") {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 2);
    cfg.solver = DSC_SOLVER_NEWTON;
    cfg.batch_size = 4;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.batch_size = 0;
    cfg.lr = 0.1f;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.lr = 0.0f;
    cfg.momentum = 0.5f;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.momentum = 0.0f;
    CHECK(dsc_check_config(&cfg) == nullptr);
    cfg.solver = 3;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.solver = DSC_SOLVER_AUTO;
    cfg.standardize = 3;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.standardize = DSC_STANDARDIZE_AUTO;
    cfg.conv_tol = std::nanf("");
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.conv_tol = 2.0f;
    CHECK(dsc_check_config(&cfg) != nullptr);
    dsc_config_init(&cfg, DSC_LINEAR, DSC_NEWTON_MAX_PARAMS);
    cfg.solver = DSC_SOLVER_NEWTON;
    CHECK(dsc_check_config(&cfg) != nullptr);  // p = 1025
    dsc_config_init(&cfg, DSC_LEGENDRE3, 1);
    CHECK(dsc_check_config(&cfg) == nullptr);  // automatic Legendre3 through Gauss-Newton
    cfg.batch_size = 4;
    CHECK(dsc_arena_size(&cfg) == 0);  // ... but not by minibatch SGD
}

namespace {
// y = 2 + 0.7 x1 - 3 x2 + 1.5 x3 + noise on columns in physical units: a pressure near 1e5 Pa,
// a strain near 1e-3, and a temperature that nearly duplicates another (corr 0.9999).
void physical_data(size_t n, std::vector<float> &X, std::vector<float> &y, uint64_t seed) {
    dsct::Rng r(seed);
    X.resize(n * 3);
    y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const double p = 1.013e5 + 800.0 * r.normal();
        const double s = 1e-3 + 2e-4 * r.normal();
        const double t = 293.0 + 4.0 * r.normal();
        X[i * 3 + 0] = (float)p;
        X[i * 3 + 1] = (float)s;
        X[i * 3 + 2] = (float)t;
        y[i] = (float)(2.0 + 7e-3 * (p - 1.013e5) - 3e3 * s + 1.5 * (t - 293.0) + 0.05 * r.normal());
    }
}

// Float64 least squares through the normal equations in standardized coordinates.
double lstsq_loss(const std::vector<float> &X, const std::vector<float> &y, size_t n, uint32_t d) {
    std::vector<double> mu(d, 0.0), sd(d, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < d; ++j) mu[j] += X[i * d + j];
    for (auto &v : mu) v /= (double)n;
    for (size_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < d; ++j) sd[j] += (X[i * d + j] - mu[j]) * (X[i * d + j] - mu[j]);
    for (auto &v : sd) v = std::sqrt(v / (double)n);
    const uint32_t p = d + 1;
    std::vector<double> A(p * p, 0.0), b(p, 0.0), z(p);
    for (size_t i = 0; i < n; ++i) {
        z[0] = 1.0;
        for (uint32_t j = 0; j < d; ++j) z[j + 1] = (X[i * d + j] - mu[j]) / sd[j];
        for (uint32_t a = 0; a < p; ++a) {
            b[a] += z[a] * y[i];
            for (uint32_t c = 0; c < p; ++c) A[a * p + c] += z[a] * z[c];
        }
    }
    for (uint32_t k = 0; k < p; ++k)  // Gauss-Jordan, SPD: no pivoting needed
        for (uint32_t i = 0; i < p; ++i) {
            if (i == k) continue;
            const double f = A[i * p + k] / A[k * p + k];
            for (uint32_t c = 0; c < p; ++c) A[i * p + c] -= f * A[k * p + c];
            b[i] -= f * b[k];
        }
    std::vector<double> th(p);
    for (uint32_t k = 0; k < p; ++k) th[k] = b[k] / A[k * p + k];
    double loss = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double out = th[0];
        for (uint32_t j = 0; j < d; ++j) out += th[j + 1] * (X[i * d + j] - mu[j]) / sd[j];
        loss += (out - y[i]) * (out - y[i]);
    }
    return loss / (double)n;
}
}  // namespace

TEST_CASE("solver: a continued fit keeps the statistics frozen and stays at the optimum") {
    std::vector<float> X, y, X2, y2;
    physical_data(3000, X, y, 11);
    physical_data(2000, X2, y2, 12);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    Model model(cfg);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(model.m, X.data(), y.data(), 3000, &rep) == DSC_OK);
    CHECK(rep.converged == 1);
    // Saved and loaded, the model carries its statistics and training parameters: the blob
    // round trip is byte-identical and predictions agree bit for bit.
    std::vector<uint8_t> blob(dsc_save_size(model.m));
    size_t written = 0;
    REQUIRE(dsc_save(model.m, blob.data(), blob.size(), &written) == DSC_OK);
    size_t need = 0;
    REQUIRE(dsc_load_arena_size(blob.data(), written, &need) == DSC_OK);
    std::vector<uint64_t> arena(need / 8 + 1);
    dsc_model *loaded = nullptr;
    REQUIRE(dsc_load(blob.data(), written, arena.data(), need, &loaded) == DSC_OK);
    std::vector<uint8_t> again(written);
    REQUIRE(dsc_save(loaded, again.data(), again.size(), &written) == DSC_OK);
    CHECK(again == blob);
    // The second fit, on other rows of the same process, converges to their optimum in the
    // frozen coordinates (the statistics of the first data set).
    REQUIRE(dsc_fit(loaded, X2.data(), y2.data(), 2000, &rep) == DSC_OK);
    CHECK(rep.converged == 1);
    float loss = 0.0f;
    REQUIRE(dsc_loss(loaded, X2.data(), y2.data(), 2000, &loss) == DSC_OK);
    const double opt = lstsq_loss(X2, y2, 2000, 3);
    CHECK(std::fabs(loss - opt) / opt < 1e-4);  // dsc_loss runs in float32 arithmetic
    // dsc_set_params restarts everything: the next fit measures the statistics anew.
    std::vector<float> zero(4, 0.0f);
    REQUIRE(dsc_set_params(loaded, zero.data(), 4) == DSC_OK);
    REQUIRE(dsc_fit(loaded, X.data(), y.data(), 3000, &rep) == DSC_OK);
    std::vector<float> a(4), b(4);
    dsc_get_params(loaded, a.data(), 4);
    dsc_get_params(model.m, b.data(), 4);
    for (int j = 0; j < 4; ++j) CHECK(a[j] == doctest::Approx(b[j]).epsilon(1e-5));
}

TEST_CASE("solver: explicit solver and standardization choices all reach the optimum") {
    std::vector<float> X, y;
    physical_data(2000, X, y, 5);
    const double opt = lstsq_loss(X, y, 2000, 3);
    struct Variant {
        uint32_t standardize, solver;
    } variants[] = {{DSC_STANDARDIZE_ON, DSC_SOLVER_NEWTON}, {DSC_STANDARDIZE_OFF, DSC_SOLVER_NEWTON}};
    for (const Variant &v : variants) {
        CAPTURE(v.standardize);
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LINEAR, 3);
        cfg.standardize = v.standardize;
        cfg.solver = v.solver;
        Model model(cfg);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(model.m, X.data(), y.data(), 2000, &rep) == DSC_OK);
        CHECK(rep.converged == 1);
        float theta[4];
        dsc_get_params(model.m, theta, 4);
        double s = 0;
        for (size_t i = 0; i < 2000; ++i) {
            double out = theta[0];
            for (int j = 0; j < 3; ++j) out += (double)theta[j + 1] * X[i * 3 + j];
            s += (out - y[i]) * (out - y[i]);
        }
        const double gap = (double)(s / 2000 - opt) / opt;
        MESSAGE("standardize " << v.standardize << ": gap " << gap << " in " << rep.epochs_run);
        CHECK(gap < (v.standardize == DSC_STANDARDIZE_ON ? 1e-6 : 1e-3));
    }
}

TEST_CASE("solver: GD with standardization converges where raw GD cannot, and says when it has not") {
    std::vector<float> X, y;
    physical_data(2000, X, y, 7);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.solver = DSC_SOLVER_GD;
    cfg.max_epochs = 100;
    Model model(cfg);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(model.m, X.data(), y.data(), 2000, &rep) == DSC_OK);
    CHECK(rep.standardized == 1);
    // Collinear-free standardized data: 1/L steps shrink the gap fast; whether 100 epochs
    // meet conv_tol = 1e-10 or not, the report must agree with the stop reason.
    CHECK(rep.converged == (rep.stop_reason == DSC_STOP_CONVERGED));
    cfg.standardize = DSC_STANDARDIZE_OFF;
    Model raw(cfg);
    REQUIRE(dsc_fit(raw.m, X.data(), y.data(), 2000, &rep) == DSC_OK);
    CHECK(rep.converged == 0);  // kappa ~ 1e16: 100 epochs cannot get there, and it says so
    CHECK(rep.stop_reason == DSC_STOP_MAX_EPOCHS);
}

TEST_CASE("solver: Legendre3 in automatic mode through Gauss-Newton") {
    // y = 0.4 - 1.7 P3(0.2 + 0.35 x) + noise on x in [-3, 3]: the walkthrough's model.
    dsct::Rng r(3);
    const size_t n = 1000;
    std::vector<float> X(n), y(n);
    for (size_t i = 0; i < n; ++i) {
        X[i] = (float)(-3.0 + 6.0 * r.uniform());
        const double t = 0.2 + 0.35 * X[i];
        y[i] = (float)(0.4 - 1.7 * 0.5 * t * (5 * t * t - 3) + 0.01 * r.normal());
    }
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LEGENDRE3, 1);
    Model model(cfg);
    REQUIRE(model.status == DSC_OK);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(model.m, X.data(), y.data(), n, &rep) == DSC_OK);
    CHECK(rep.solver == DSC_SOLVER_NEWTON);
    CHECK(rep.converged == 1);
    CHECK(rep.final_loss < 1.2e-4f);  // the noise variance is 1e-4
    MESSAGE("legendre3: " << rep.epochs_run << " passes, loss " << rep.final_loss << " stop " << rep.stop_reason);
}

TEST_CASE("solver: divergence keeps the parameters with the lowest loss of the fit") {
    // A rate far above 2/L: every step overshoots, so the starting point has the lowest loss.
    std::vector<float> X, y;
    physical_data(500, X, y, 9);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.lr = 1e-3f;
    cfg.max_epochs = 5000;
    Model model(cfg);
    const float start[4] = {1.0f, 0.0f, 0.0f, 0.0f};
    REQUIRE(dsc_set_params(model.m, start, 4) == DSC_OK);
    dsc_fit_report rep;
    CHECK(dsc_fit(model.m, X.data(), y.data(), 500, &rep) == DSC_ERR_DIVERGED);
    float theta[4];
    dsc_get_params(model.m, theta, 4);
    for (int j = 0; j < 4; ++j) CHECK(theta[j] == start[j]);
    float loss = 0.0f;
    REQUIRE(dsc_loss(model.m, X.data(), y.data(), 500, &loss) == DSC_OK);
    CHECK(std::isfinite(loss));
}
