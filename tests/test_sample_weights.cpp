// Sample weights (dsc_fit_weighted): row i counts w_i times in the loss, the gradient and the
// curvature, and MEAN divides by sum w_i. References: float64 solves written here (weighted
// normal equations, weighted Newton for the logistic loss), the same rows repeated or left
// out, and the scalar kernels for every SIMD path.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "test_support.hpp"

namespace {

using dsct::Model;

// Rows in physical units: pressure near 1e5 Pa, strain near 1e-3, temperature near 290 K.
// LINEAR targets are a noisy linear response; LOGISTIC labels are drawn from a logistic model.
// Weights are log-uniform over [0.1, 10], with about one row in eight at exactly 0.
struct Physical {
    size_t n;
    static constexpr uint32_t d = 3;
    std::vector<float> X, y, w;
    Physical(size_t rows, bool logistic, uint64_t seed) : n(rows) {
        dsct::Rng r(seed);
        X.resize(n * d);
        y.resize(n);
        w.resize(n);
        for (size_t i = 0; i < n; ++i) {
            const double p = 1.0e5 + 2.5e3 * r.normal(), s = 1.0e-3 + 2.0e-4 * r.normal(),
                         t = 290.0 + 6.0 * r.normal();
            X[i * d] = (float)p;
            X[i * d + 1] = (float)s;
            X[i * d + 2] = (float)t;
            const double z = 4.0e-4 * (p - 1.0e5) + 3.0e3 * (s - 1.0e-3) - 0.15 * (t - 290.0);
            if (logistic) y[i] = r.uniform() < 1.0 / (1.0 + std::exp(-(z - 0.4))) ? 1.0f : 0.0f;
            else y[i] = (float)(12.0 + z + 0.8 * r.normal());
            w[i] = r.uniform() < 0.125 ? 0.0f : (float)std::pow(10.0, 2.0 * r.uniform() - 1.0);
        }
    }
};


// The float64 optimum of the weighted loss over a linear model in d raw columns: least squares
// (one solve) or BCE (Newton), in centred and scaled columns for conditioning, mapped back.
std::vector<double> weighted_optimum(const std::vector<float> &X, const std::vector<float> &y,
                                     const std::vector<float> &w, uint32_t d, bool logistic) {
    const size_t n = y.size();
    std::vector<double> mean(d, 0.0), sd(d, 0.0);
    for (size_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < d; ++j) mean[j] += X[i * d + j];
    for (double &m : mean) m /= (double)n;
    for (size_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < d; ++j) sd[j] += std::pow(X[i * d + j] - mean[j], 2);
    for (double &s : sd) s = std::sqrt(s / (double)n);
    const uint32_t p = d + 1;
    std::vector<double> th(p, 0.0);
    for (int it = 0; it < (logistic ? 60 : 1); ++it) {
        std::vector<std::vector<double>> H(p, std::vector<double>(p, 0.0));
        std::vector<double> g(p, 0.0);
        for (size_t i = 0; i < n; ++i) {
            std::vector<double> phi(p, 1.0);
            for (uint32_t j = 0; j < d; ++j) phi[j + 1] = (X[i * d + j] - mean[j]) / sd[j];
            double z = 0;
            for (uint32_t j = 0; j < p; ++j) z += th[j] * phi[j];
            double gr, h;
            if (logistic) {
                const double s = 1.0 / (1.0 + std::exp(-z));
                gr = s - y[i];
                h = s * (1.0 - s);
            } else {
                gr = z - y[i];
                h = 1.0;
            }
            for (uint32_t a = 0; a < p; ++a) {
                g[a] += w[i] * gr * phi[a];
                for (uint32_t b = 0; b < p; ++b) H[a][b] += w[i] * h * phi[a] * phi[b];
            }
        }
        const std::vector<double> step = dsct::solve(H, g);
        for (uint32_t j = 0; j < p; ++j) th[j] -= step[j];
    }
    std::vector<double> raw(p);
    raw[0] = th[0];
    for (uint32_t j = 0; j < d; ++j) {
        raw[j + 1] = th[j + 1] / sd[j];
        raw[0] -= raw[j + 1] * mean[j];
    }
    return raw;
}

// Weighted mean loss in float64 of raw parameters th over the rows.
double weighted_loss(const std::vector<float> &X, const std::vector<float> &y,
                     const std::vector<float> &w, uint32_t d, const std::vector<float> &th,
                     bool logistic) {
    double num = 0, den = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        double z = th[0];
        for (uint32_t j = 0; j < d; ++j) z += (double)th[j + 1] * X[i * d + j];
        const double l = logistic ? std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - y[i] * z
                                  : (z - y[i]) * (z - y[i]);
        num += w[i] * l;
        den += w[i];
    }
    return num / den;
}

double max_rel(const std::vector<float> &got, const std::vector<double> &want) {
    double e = 0;
    for (size_t j = 0; j < want.size(); ++j) e = std::max(e, std::abs(got[j] - want[j]) / std::abs(want[j]));
    return e;
}

// Largest difference relative to the largest magnitude of b.
double max_diff(const std::vector<float> &a, const std::vector<float> &b) {
    double e = 0, s = 0;
    for (size_t j = 0; j < a.size(); ++j) {
        e = std::max(e, (double)std::abs(a[j] - b[j]));
        s = std::max(s, (double)std::abs(b[j]));
    }
    return e / s;
}

// Rows repeated per integer weight (0: left out).
struct Expanded {
    std::vector<float> X, y;
    Expanded(const std::vector<float> &X0, const std::vector<float> &y0, const std::vector<float> &w,
             uint32_t cols) {
        for (size_t i = 0; i < y0.size(); ++i)
            for (int k = 0; k < (int)w[i]; ++k) {
                X.insert(X.end(), X0.begin() + i * cols, X0.begin() + (i + 1) * cols);
                y.push_back(y0[i]);
            }
    }
};

}  // namespace

TEST_CASE("sample weights: weighted least squares and logistic regression reach the float64 optimum") {
    for (bool logistic : {false, true}) {
        const Physical d(800, logistic, logistic ? 41 : 42);
        const std::vector<double> want = weighted_optimum(d.X, d.y, d.w, d.d, logistic);
        const std::vector<float> ones(d.n, 1.0f);
        const std::vector<double> plain = weighted_optimum(d.X, d.y, ones, d.d, logistic);
        // The weights matter: the unweighted optimum is far from the weighted one.
        std::vector<float> plainf(plain.begin(), plain.end());
        CHECK(max_rel(plainf, want) > 1e-2);
        for (uint32_t solver : {(uint32_t)DSC_SOLVER_AUTO, (uint32_t)DSC_SOLVER_GD}) {
            CAPTURE(logistic);
            CAPTURE(solver);
            dsc_config c;
            dsc_config_init(&c, logistic ? DSC_LOGISTIC : DSC_LINEAR, d.d);
            c.solver = solver;
            c.max_epochs = solver == DSC_SOLVER_GD ? 50000 : 100;
            Model m(c);
            REQUIRE(m.status == DSC_OK);
            dsc_fit_report rep;
            REQUIRE(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), d.w.data(), d.n, &rep) == DSC_OK);
            CHECK(rep.converged == 1);
            const double err = max_rel(m.params(), want);
            CHECK(err < (solver == DSC_SOLVER_GD ? 2e-4 : 2e-5));
            // The reported loss and dsc_loss_weighted are the weighted mean, sum w l / sum w.
            const double ref = weighted_loss(d.X, d.y, d.w, d.d, m.params(), logistic);
            float l = 0;
            REQUIRE(dsc_loss_weighted(m.m, d.X.data(), d.y.data(), d.w.data(), d.n, &l) == DSC_OK);
            CHECK(l == doctest::Approx(ref).epsilon(2e-5));
            CHECK(rep.final_loss == doctest::Approx(ref).epsilon(2e-5));
            MESSAGE(std::string(logistic ? "LOGISTIC" : "LINEAR") << " with sample weights, "
                    << std::string(solver == DSC_SOLVER_GD ? "GD" : "NEWTON") << ": " << rep.epochs_run
                    << " epochs, max relative parameter error " << err << " against float64");
        }
    }
}

TEST_CASE("sample weights: an integer weight equals the row repeated, for every model kind") {
    dsct::Rng r(7);
    for (uint32_t kind : {(uint32_t)DSC_LINEAR, (uint32_t)DSC_LOGISTIC, (uint32_t)DSC_POLYNOMIAL,
                          (uint32_t)DSC_LEGENDRE3}) {
        CAPTURE(kind);
        const bool linear = kind == DSC_LINEAR || kind == DSC_LOGISTIC;
        const uint32_t cols = linear ? 3 : 1;
        const size_t n = 300;
        std::vector<float> X, y, w(n);
        if (linear) {
            const Physical d(n, kind == DSC_LOGISTIC, 99);
            X = d.X;
            y = d.y;
        } else {
            for (size_t i = 0; i < n; ++i) {
                const double x = -2.0 + 4.0 * r.uniform();
                X.push_back((float)x);
                y.push_back((float)(std::sin(x) + 0.05 * r.normal()));
            }
        }
        for (float &v : w) v = (float)(r.next() % 4);  // 0, 1, 2 or 3 copies
        const Expanded e(X, y, w, cols);
        dsc_config c;
        dsc_config_init(&c, (dsc_model_kind)kind, cols);
        if (kind == DSC_POLYNOMIAL) c.degree = 3;
        Model a(c), b(c);
        if (kind == DSC_LEGENDRE3) {  // off the saddle at zero (descent.h)
            const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
            REQUIRE(dsc_set_params(a.m, start, 4) == DSC_OK);
            REQUIRE(dsc_set_params(b.m, start, 4) == DSC_OK);
        }
        dsc_fit_report ra, rb;
        REQUIRE(dsc_fit_weighted(a.m, X.data(), y.data(), w.data(), n, &ra) == DSC_OK);
        REQUIRE(dsc_fit(b.m, e.X.data(), e.y.data(), e.y.size(), &rb) == DSC_OK);
        CHECK(ra.converged == rb.converged);
        CHECK(ra.final_loss == doctest::Approx(rb.final_loss).epsilon(1e-5));
        const double diff = max_diff(a.params(), b.params());
        CHECK(diff < 2e-5);
        MESSAGE("kind " << kind << ": weights 0..3 against " << e.y.size()
                        << " repeated rows, parameters within " << diff << " (relative to the largest)");
    }
}

TEST_CASE("sample weights: a zero weight is the row left out; uniform weights change nothing") {
    const Physical d(500, false, 5);
    std::vector<float> Xk, yk;
    for (size_t i = 0; i < d.n; ++i)
        if (d.w[i] != 0.0f) {
            Xk.insert(Xk.end(), d.X.begin() + i * d.d, d.X.begin() + (i + 1) * d.d);
            yk.push_back(d.y[i]);
        }
    std::vector<float> binary(d.n);  // 0 / 1 weights: the kept rows
    for (size_t i = 0; i < d.n; ++i) binary[i] = d.w[i] != 0.0f ? 1.0f : 0.0f;
    SUBCASE("defaults (NEWTON)") {
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, d.d);
        Model a(c), b(c);
        REQUIRE(dsc_fit_weighted(a.m, d.X.data(), d.y.data(), binary.data(), d.n, nullptr) == DSC_OK);
        REQUIRE(dsc_fit(b.m, Xk.data(), yk.data(), yk.size(), nullptr) == DSC_OK);
        CHECK(max_diff(a.params(), b.params()) < 1e-5);
    }
    SUBCASE("full-batch GD, explicit rate, raw features: the same trajectory") {
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, d.d);
        dsct::raw_gd(&c);
        c.lr = 1e-11f;
        c.max_epochs = 40;
        Model a(c), b(c);
        dsc_fit_report ra, rb;
        REQUIRE(dsc_fit_weighted(a.m, d.X.data(), d.y.data(), binary.data(), d.n, &ra) == DSC_OK);
        REQUIRE(dsc_fit(b.m, Xk.data(), yk.data(), yk.size(), &rb) == DSC_OK);
        CHECK(ra.steps == rb.steps);
        CHECK(max_diff(a.params(), b.params()) < 1e-5);
        CHECK(ra.final_loss == doctest::Approx(rb.final_loss).epsilon(1e-5));
    }
    SUBCASE("uniform weights: the unweighted fit (MEAN divides by their sum)") {
        for (uint32_t batch : {0u, 16u}) {
            CAPTURE(batch);
            dsc_config c;
            dsc_config_init(&c, DSC_LINEAR, d.d);
            c.batch_size = batch;
            c.standardize = DSC_STANDARDIZE_ON;
            c.solver = DSC_SOLVER_GD;
            c.lr = 0.01f;
            c.momentum = 0.9f;
            c.max_epochs = 5;
            Model a(c), b(c);
            const std::vector<float> u(d.n, 2.5f);
            dsc_fit_report ra, rb;
            REQUIRE(dsc_fit_weighted(a.m, d.X.data(), d.y.data(), u.data(), d.n, &ra) == DSC_OK);
            REQUIRE(dsc_fit(b.m, d.X.data(), d.y.data(), d.n, &rb) == DSC_OK);
            CHECK(ra.steps == rb.steps);
            CHECK(max_diff(a.params(), b.params()) < 1e-5);
            CHECK(ra.final_loss == doctest::Approx(rb.final_loss).epsilon(1e-5));
        }
    }
    SUBCASE("a null weight array is dsc_fit, bit for bit") {
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, d.d);
        c.batch_size = 32;
        c.shuffle = 1;
        c.lr = 0.0f;
        Model a(c), b(c);
        REQUIRE(dsc_fit_weighted(a.m, d.X.data(), d.y.data(), nullptr, d.n, nullptr) == DSC_OK);
        REQUIRE(dsc_fit(b.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        CHECK(dsct::save_full(a.m) == dsct::save_full(b.m));
    }
}

TEST_CASE("sample weights: a minibatch of zero-weight rows takes no step and counts nothing") {
    dsct::Rng r(3);
    const size_t n = 64;
    const uint32_t cols = 3;
    std::vector<float> X(n * cols), y(n), w(n, 1.0f);
    for (float &v : X) v = (float)r.normal();
    for (size_t i = 0; i < n; ++i) y[i] = 1.0f + X[i * cols] - 2.0f * X[i * cols + 2] + 0.1f * (float)r.normal();
    for (size_t i = 16; i < 32; ++i) w[i] = 0.0f;  // batches 2 and 3 of 8 (shuffle off)
    std::vector<float> Xk, yk;
    for (size_t i = 0; i < n; ++i)
        if (w[i] != 0.0f) {
            Xk.insert(Xk.end(), X.begin() + i * cols, X.begin() + (i + 1) * cols);
            yk.push_back(y[i]);
        }
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, cols);
    dsct::raw_gd(&c);
    c.batch_size = 8;
    c.shuffle = 0;
    c.lr = 0.05f;
    c.momentum = 0.9f;
    c.schedule = DSC_LR_INVSCALING;
    c.max_epochs = 3;
    Model a(c), b(c);
    dsc_fit_report ra, rb;
    REQUIRE(dsc_fit_weighted(a.m, X.data(), y.data(), w.data(), n, &ra) == DSC_OK);
    REQUIRE(dsc_fit(b.m, Xk.data(), yk.data(), yk.size(), &rb) == DSC_OK);
    CHECK(ra.steps == 3u * 6u);  // 8 batches an epoch, 2 of them weightless
    CHECK(rb.steps == ra.steps);
    // The same batches, the same step count and schedule clock, the same momentum: the same bits.
    CHECK(a.params() == b.params());
    CHECK(ra.final_loss == rb.final_loss);
}

TEST_CASE("sample weights: every SIMD path's weighted passes agree with the scalar ones") {
    dsct::Rng r(9);
    const dsc::KernelTable &s = dsc::kScalarKernels;
    for (uint32_t cols : {1u, 3u, 8u, 17u, 40u}) {
        for (size_t n : {1u, 7u, 300u}) {
            for (bool indexed : {false, true}) {
                for (bool labels : {false, true}) {
                    CAPTURE(cols);
                    CAPTURE(n);
                    CAPTURE(indexed);
                    CAPTURE(labels);
                    const size_t rows = n + 5;
                    std::vector<float> X(rows * cols), y(rows), yb(rows), w(rows), theta(cols + 1);
                    for (float &v : X) v = (float)r.normal();
                    for (float &v : y) v = (float)r.normal();
                    for (float &v : yb) v = r.uniform() < 0.4 ? 1.0f : 0.0f;
                    for (float &v : w) v = r.uniform() < 0.2 ? 0.0f : (float)(3.0 * r.uniform());
                    for (float &v : theta) v = (float)(0.3 * r.normal());
                    std::vector<uint32_t> idx(n);
                    for (size_t i = 0; i < n; ++i) idx[i] = (uint32_t)((i * 7 + 3) % rows);
                    dsc::RowSet rs = {X.data(), y.data(), indexed ? idx.data() : nullptr, 2, n, cols};
                    rs.w = w.data();
                    dsc::RowSet rb = rs;
                    rb.y = yb.data();
                    if (labels) {
                        rb.lw0 = 0.5f;
                        rb.lw1 = 3.0f;
                    }
                    const size_t p = cols + 1;
                    std::vector<float> acc(p > 16 ? p : 16);
                    std::vector<double> g0(p), g1(p), scratch(p), h0(p * (p + 1) / 2), h1(h0.size()), cg0(p), cg1(p);
                    // The scalar MSE pass against a direct float64 weighted sum.
                    double l0, l1, ref = 0;
                    s.linear_mse(rs, theta.data(), 0, acc.data(), g0.data(), &l0);
                    for (size_t i = 0; i < n; ++i) {
                        const size_t row = indexed ? idx[i] : 2 + i;
                        double z = theta[0];
                        for (uint32_t j = 0; j < cols; ++j) z += (double)theta[j + 1] * X[row * cols + j];
                        ref += w[row] * (z - y[row]) * (z - y[row]);
                    }
                    CHECK(l0 == doctest::Approx(ref).epsilon(1e-5));
                    for (uint32_t b = DSC_BACKEND_SSE2; b <= DSC_BACKEND_NEON; ++b) {
                        const dsc::KernelTable *k = dsc::kernels_for(b);
                        if (!k) continue;
                        CAPTURE(k->name);
                        // Loss and gradient: MSE, BCE (with label weights on top), robust.
                        const auto same = [&](const std::vector<double> &a, const std::vector<double> &c) {
                            double sc = 0;
                            for (double v : a) sc = std::max(sc, std::abs(v));
                            if (sc == 0) sc = 1;
                            for (size_t j = 0; j < a.size(); ++j) CHECK(c[j] == doctest::Approx(a[j]).epsilon(1e-5).scale(sc));
                        };
                        s.linear_mse(rs, theta.data(), 0, acc.data(), g0.data(), &l0);
                        k->linear_mse(rs, theta.data(), 0, acc.data(), g1.data(), &l1);
                        CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                        same(g0, g1);
                        CHECK(k->linear_mse_loss(rs, theta.data(), 0) == doctest::Approx(s.linear_mse_loss(rs, theta.data(), 0)).epsilon(1e-5));
                        s.linear_bce(rb, theta.data(), 0, acc.data(), g0.data(), &l0);
                        k->linear_bce(rb, theta.data(), 0, acc.data(), g1.data(), &l1);
                        CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                        same(g0, g1);
                        CHECK(k->linear_bce_loss(rb, theta.data(), 0) == doctest::Approx(s.linear_bce_loss(rb, theta.data(), 0)).epsilon(1e-5));
                        if (s.linear_robust && k->linear_robust) {
                            s.linear_robust(rs, theta.data(), dsc::kRowHuber, 0.5f, acc.data(), g0.data(), &l0);
                            k->linear_robust(rs, theta.data(), dsc::kRowHuber, 0.5f, acc.data(), g1.data(), &l1);
                            CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                            same(g0, g1);
                        }
                        // Gram product and max w |phi|^2 (sample weights only).
                        double m0, m1;
                        s.linear_gram(rb, theta.data(), 0, acc.data(), g0.data(), &m0);
                        k->linear_gram(rb, theta.data(), 0, acc.data(), g1.data(), &m1);
                        CHECK(m1 == doctest::Approx(m0).epsilon(1e-5));
                        same(g0, g1);
                        // Curvature (double throughout): MSE and BCE.
                        const dsc::ColumnMap map = {nullptr, nullptr};
                        if (s.curv_linear_mse && k->curv_linear_mse) {
                            s.curv_linear_bce(rb, map, theta.data(), 0, scratch.data(), cg0.data(), h0.data(), &l0);
                            k->curv_linear_bce(rb, map, theta.data(), 0, scratch.data(), cg1.data(), h1.data(), &l1);
                            CHECK(l1 == doctest::Approx(l0).epsilon(1e-12));
                            same(cg0, cg1);
                            same(h0, h1);
                            s.curv_linear_mse(rs, map, theta.data(), 0, scratch.data(), cg0.data(), h0.data(), &l0);
                            k->curv_linear_mse(rs, map, theta.data(), 0, scratch.data(), cg1.data(), h1.data(), &l1);
                            CHECK(l1 == doctest::Approx(l0).epsilon(1e-12));
                            same(cg0, cg1);
                            same(h0, h1);
                        }
                        if (cols != 1) continue;
                        // One-column models: the cubic, Legendre3, and the polynomial Gram.
                        const float cubic[4] = {0.1f, -0.4f, 0.2f, 0.05f};
                        std::vector<double> q0(4), q1(4);
                        s.poly_mse(rs, cubic, 3, acc.data(), q0.data(), &l0);
                        k->poly_mse(rs, cubic, 3, acc.data(), q1.data(), &l1);
                        CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                        same(q0, q1);
                        CHECK(k->poly_mse_loss(rs, cubic, 3) == doctest::Approx(s.poly_mse_loss(rs, cubic, 3)).epsilon(1e-5));
                        s.legendre3_mse(rs, cubic, 0, acc.data(), q0.data(), &l0);
                        k->legendre3_mse(rs, cubic, 0, acc.data(), q1.data(), &l1);
                        CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                        same(q0, q1);
                        CHECK(k->legendre3_mse_loss(rs, cubic, 0) == doctest::Approx(s.legendre3_mse_loss(rs, cubic, 0)).epsilon(1e-5));
                        s.poly_gram(rs, cubic, 3, acc.data(), q0.data(), &m0);
                        k->poly_gram(rs, cubic, 3, acc.data(), q1.data(), &m1);
                        CHECK(m1 == doctest::Approx(m0).epsilon(1e-5));
                        same(q0, q1);
                    }
                }
            }
        }
    }
}

TEST_CASE("sample weights: bad weights are refused before anything changes") {
    const Physical d(120, true, 17);
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, d.d);
    Model m(c);
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    const std::vector<uint8_t> before = dsct::save_full(m.m);
    struct Case {
        float value;
        size_t row;
        dsc_status want;
    };
    for (const Case &k : {Case{NAN, 3, DSC_ERR_NONFINITE_INPUT}, Case{INFINITY, 0, DSC_ERR_NONFINITE_INPUT},
                          Case{-INFINITY, 119, DSC_ERR_NONFINITE_INPUT}, Case{-1e-30f, 50, DSC_ERR_INVALID_ARGUMENT}}) {
        CAPTURE(k.value);
        std::vector<float> w(d.n, 1.0f);
        w[k.row] = k.value;
        dsc_fit_report rep;
        CHECK(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), w.data(), d.n, &rep) == k.want);
        REQUIRE(rep.message != nullptr);
        CHECK(std::strstr(rep.message, "sample_weight") != nullptr);
        float l;
        CHECK(dsc_loss_weighted(m.m, d.X.data(), d.y.data(), w.data(), d.n, &l) == k.want);
    }
    const std::vector<float> zeros(d.n, 0.0f);
    dsc_fit_report rep;
    CHECK(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), zeros.data(), d.n, &rep) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(rep.message, "every weight is 0") != nullptr);
    CHECK(dsct::save_full(m.m) == before);

    // Early stopping: the held-out rows, or the training rows, all weightless.
    dsc_config e = c;
    e.solver = DSC_SOLVER_GD;
    e.early_stopping = 1;
    e.validation_fraction = 0.25f;
    Model es(e);
    REQUIRE(es.status == DSC_OK);
    const std::vector<uint8_t> es_before = dsct::save_full(es.m);
    std::vector<uint32_t> held(d.n);
    size_t n_val = 0;
    REQUIRE(dsc_validation_rows(&e, d.n, held.data(), held.size(), &n_val) == DSC_OK);
    std::vector<float> w(d.n, 1.0f);
    for (size_t i = 0; i < n_val; ++i) w[held[i]] = 0.0f;
    CHECK(dsc_fit_weighted(es.m, d.X.data(), d.y.data(), w.data(), d.n, &rep) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(rep.message, "held-out") != nullptr);
    for (float &v : w) v = v == 0.0f ? 1.0f : 0.0f;
    CHECK(dsc_fit_weighted(es.m, d.X.data(), d.y.data(), w.data(), d.n, &rep) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(rep.message, "training row") != nullptr);
    CHECK(dsct::save_full(es.m) == es_before);
    // A weight array inside the model's own arena is refused.
    CHECK(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), reinterpret_cast<const float *>(m.arena.data()), 8, &rep) ==
          DSC_ERR_INVALID_ARGUMENT);
}

TEST_CASE("sample weights: early stopping measures the weighted held-out loss") {
    const Physical d(400, false, 23);
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, d.d);
    c.solver = DSC_SOLVER_GD;
    c.early_stopping = 1;
    c.validation_fraction = 0.2f;
    c.max_epochs = 60;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), d.w.data(), d.n, &rep) == DSC_OK);
    std::vector<uint32_t> held(d.n);
    size_t n_val = 0;
    REQUIRE(dsc_validation_rows(&c, d.n, held.data(), held.size(), &n_val) == DSC_OK);
    std::vector<bool> is_held(d.n, false);
    for (size_t i = 0; i < n_val; ++i) is_held[held[i]] = true;
    std::vector<float> wv(d.w), wt(d.w);
    for (size_t i = 0; i < d.n; ++i) (is_held[i] ? wt : wv)[i] = 0.0f;
    // The reported losses are the weighted means over each part (float64 at the kept params).
    const std::vector<float> th = m.params();
    CHECK(rep.validation_loss == doctest::Approx(weighted_loss(d.X, d.y, wv, d.d, th, false)).epsilon(1e-4));
    CHECK(rep.final_loss == doctest::Approx(weighted_loss(d.X, d.y, wt, d.d, th, false)).epsilon(1e-4));
}

TEST_CASE("sample weights: small weights do not fake a separable logistic fit") {
    // The separability test compares the loss sum with log 2: weighted, with the smallest
    // nonzero row weight folded in. Uniform weights of 1e-3 (and class weights of 0.01) scale
    // the loss sum far below log 2 on overlapping classes; the fit must still converge to the
    // unweighted optimum.
    const Physical d(300, true, 29);
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, d.d);
    Model plain(c);
    dsc_fit_report rp;
    REQUIRE(dsc_fit(plain.m, d.X.data(), d.y.data(), d.n, &rp) == DSC_OK);
    REQUIRE(rp.stop_reason == DSC_STOP_CONVERGED);
    const std::vector<float> tiny(d.n, 1e-3f);
    dsc_config cw = c;
    cw.class_weight[0] = cw.class_weight[1] = 0.01f;
    for (const dsc_config &cfg : {c, cw}) {
        Model m(cfg);
        dsc_fit_report rep;
        REQUIRE(dsc_fit_weighted(m.m, d.X.data(), d.y.data(), tiny.data(), d.n, &rep) == DSC_OK);
        CHECK(rep.stop_reason == DSC_STOP_CONVERGED);
        CHECK(max_diff(m.params(), plain.params()) < 1e-4);
    }
    Model cwm(cw);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(cwm.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.stop_reason == DSC_STOP_CONVERGED);
    CHECK(max_diff(cwm.params(), plain.params()) < 1e-4);
}
