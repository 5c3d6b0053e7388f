// Class weights (config.class_weight, LOGISTIC): a row with label y counts
// w0 (1 - y) + w1 y times in the loss, gradient and curvature. References: a float64 Newton
// solve written here, the same rows repeated, and the scalar kernels for every SIMD path.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "test_support.hpp"

namespace {

using dsct::Model;

// Imbalanced classes in physical units: pressure near 1e5 Pa, temperature near 290 K, about
// one row in six positive.
struct Imbalanced {
    size_t n = 600;
    std::vector<float> X, y;
    explicit Imbalanced(uint64_t seed = 11) {
        dsct::Rng r(seed);
        X.resize(n * 2);
        y.resize(n);
        for (size_t i = 0; i < n; ++i) {
            const double p = 1.0e5 + 2.0e3 * r.normal(), t = 290.0 + 8.0 * r.normal();
            X[i * 2] = (float)p;
            X[i * 2 + 1] = (float)t;
            const double z = -2.2 + 6.0e-4 * (p - 1.0e5) + 0.12 * (t - 290.0);
            y[i] = r.uniform() < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
        }
    }
};

// The weighted BCE optimum in float64: Newton on centred and scaled columns (for its
// conditioning), mapped back to raw units.
std::vector<double> weighted_optimum(const Imbalanced &d, double w0, double w1) {
    double mean[2] = {0, 0}, sd[2] = {0, 0};
    for (size_t i = 0; i < d.n; ++i)
        for (int j = 0; j < 2; ++j) mean[j] += d.X[i * 2 + j];
    for (double &m : mean) m /= (double)d.n;
    for (size_t i = 0; i < d.n; ++i)
        for (int j = 0; j < 2; ++j) sd[j] += std::pow(d.X[i * 2 + j] - mean[j], 2);
    for (double &s : sd) s = std::sqrt(s / (double)d.n);
    double th[3] = {0, 0, 0};
    for (int it = 0; it < 100; ++it) {
        double g[3] = {0, 0, 0}, H[3][3] = {};
        for (size_t i = 0; i < d.n; ++i) {
            const double phi[3] = {1.0, (d.X[i * 2] - mean[0]) / sd[0], (d.X[i * 2 + 1] - mean[1]) / sd[1]};
            double z = 0;
            for (int j = 0; j < 3; ++j) z += th[j] * phi[j];
            const double s = 1.0 / (1.0 + std::exp(-z)), yi = d.y[i];
            const double om = w0 * (1.0 - yi) + w1 * yi;
            for (int a = 0; a < 3; ++a) {
                g[a] += om * (s - yi) * phi[a];
                for (int b = 0; b < 3; ++b) H[a][b] += om * s * (1 - s) * phi[a] * phi[b];
            }
        }
        // Solve H step = g (3 x 3, Gaussian elimination with the matrix as it is: SPD).
        double A[3][4];
        for (int a = 0; a < 3; ++a) {
            for (int b = 0; b < 3; ++b) A[a][b] = H[a][b];
            A[a][3] = g[a];
        }
        for (int c = 0; c < 3; ++c)
            for (int r = c + 1; r < 3; ++r) {
                const double f = A[r][c] / A[c][c];
                for (int k = c; k < 4; ++k) A[r][k] -= f * A[c][k];
            }
        double step[3];
        for (int r = 2; r >= 0; --r) {
            double s = A[r][3];
            for (int k = r + 1; k < 3; ++k) s -= A[r][k] * step[k];
            step[r] = s / A[r][r];
        }
        for (int j = 0; j < 3; ++j) th[j] -= step[j];
    }
    const double w1r = th[1] / sd[0], w2r = th[2] / sd[1];
    return {th[0] - w1r * mean[0] - w2r * mean[1], w1r, w2r};
}

double max_rel(const std::vector<float> &got, const std::vector<double> &want) {
    double e = 0;
    for (size_t j = 0; j < want.size(); ++j) e = std::max(e, std::abs(got[j] - want[j]) / std::abs(want[j]));
    return e;
}

}  // namespace

TEST_CASE("class weights: the weighted optimum, by NEWTON and by GD, matches a float64 solve") {
    const Imbalanced d;
    size_t pos = 0;
    for (float v : d.y) pos += v == 1.0f;
    REQUIRE(pos > 50);
    REQUIRE(pos < d.n / 3);
    // 'balanced': n / (2 n_c) per class, as scikit-learn computes it.
    const float w0 = (float)d.n / (2.0f * (float)(d.n - pos)), w1 = (float)d.n / (2.0f * (float)pos);
    const std::vector<double> want = weighted_optimum(d, w0, w1);
    const std::vector<double> plain = weighted_optimum(d, 1.0, 1.0);
    CHECK(std::abs(want[0] - plain[0]) > 0.5);  // the weights move the intercept: not a no-op
    for (uint32_t solver : {(uint32_t)DSC_SOLVER_AUTO, (uint32_t)DSC_SOLVER_GD}) {
        CAPTURE(solver);
        dsc_config c;
        dsc_config_init(&c, DSC_LOGISTIC, 2);
        c.class_weight[0] = w0;
        c.class_weight[1] = w1;
        c.solver = solver;
        c.max_epochs = solver == DSC_SOLVER_GD ? 20000 : 100;
        Model m(c);
        REQUIRE(m.status == DSC_OK);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
        CHECK(rep.converged == 1);
        CHECK(rep.solver == (solver == DSC_SOLVER_GD ? (uint32_t)DSC_SOLVER_GD : (uint32_t)DSC_SOLVER_NEWTON));
        const double err = max_rel(m.params(), want);
        CHECK(err < 2e-4);
        MESSAGE("class weights {" << w0 << ", " << w1 << "}, " << std::string(solver ? "GD" : "NEWTON") << ": "
                << rep.epochs_run << " epochs, max relative parameter error " << err
                << " against float64 (unweighted intercept " << plain[0] << ", weighted " << want[0] << ")");
        // dsc_loss is the weighted mean loss.
        double ref = 0;
        const std::vector<float> th = m.params();
        for (size_t i = 0; i < d.n; ++i) {
            const double z = th[0] + (double)th[1] * d.X[i * 2] + (double)th[2] * d.X[i * 2 + 1];
            const double yi = d.y[i];
            ref += (w0 * (1 - yi) + w1 * yi) * (std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - yi * z);
        }
        float l = 0;
        REQUIRE(dsc_loss(m.m, d.X.data(), d.y.data(), d.n, &l) == DSC_OK);
        CHECK(l == doctest::Approx(ref / (double)d.n).epsilon(1e-5));
    }
}

TEST_CASE("class weights: an integer weight equals the rows repeated; a zero weight equals the rows left out") {
    const Imbalanced d(23);
    // Weight 3 on class 1 against every class-1 row three times (sum reduction: the same
    // objective, so the same optimum).
    std::vector<float> Xr, yr;
    for (size_t i = 0; i < d.n; ++i)
        for (int k = 0; k < (d.y[i] == 1.0f ? 3 : 1); ++k) {
            Xr.insert(Xr.end(), d.X.begin() + i * 2, d.X.begin() + i * 2 + 2);
            yr.push_back(d.y[i]);
        }
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, 2);
    c.reduction = DSC_REDUCTION_SUM;
    dsc_config w = c;
    w.class_weight[1] = 3.0f;
    Model a(w), b(c);
    dsc_fit_report ra, rb;
    REQUIRE(dsc_fit(a.m, d.X.data(), d.y.data(), d.n, &ra) == DSC_OK);
    REQUIRE(dsc_fit(b.m, Xr.data(), yr.data(), yr.size(), &rb) == DSC_OK);
    CHECK(ra.converged == 1);
    CHECK(rb.converged == 1);
    CHECK(ra.final_loss == doctest::Approx(rb.final_loss).epsilon(1e-6));
    const std::vector<float> pa = a.params(), pb = b.params();
    for (size_t j = 0; j < pa.size(); ++j) CHECK(pa[j] == doctest::Approx(pb[j]).epsilon(1e-5));

    // Weight 0 on class 0: those rows contribute nothing (explicit-rate GD, sum reduction, so
    // the step sizes are comparable): the trajectory is the one without them.
    std::vector<float> Xp, yp;
    for (size_t i = 0; i < d.n; ++i)
        if (d.y[i] == 1.0f) {
            Xp.insert(Xp.end(), d.X.begin() + i * 2, d.X.begin() + i * 2 + 2);
            yp.push_back(1.0f);
        }
    dsc_config g;
    dsc_config_init(&g, DSC_LOGISTIC, 2);
    g.reduction = DSC_REDUCTION_SUM;
    g.lr = 1e-12f;
    g.max_epochs = 50;
    dsc_config g0 = g;
    g0.class_weight[0] = 0.0f;
    Model z(g0), only(g);
    REQUIRE(dsc_fit(z.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    REQUIRE(dsc_fit(only.m, Xp.data(), yp.data(), yp.size(), nullptr) == DSC_OK);
    const std::vector<float> pz = z.params(), po = only.params();
    for (size_t j = 0; j < pz.size(); ++j) CHECK(pz[j] == doctest::Approx(po[j]).epsilon(1e-5));
}

TEST_CASE("class weights: every SIMD path's weighted passes agree with the scalar ones") {
    dsct::Rng r(5);
    for (uint32_t cols : {1u, 3u, 8u, 17u, 40u}) {
        for (size_t n : {1u, 7u, 300u}) {
            CAPTURE(cols);
            CAPTURE(n);
            std::vector<float> X(n * cols), y(n), theta(cols + 1);
            for (float &v : X) v = (float)r.normal();
            for (float &v : y) v = r.uniform() < 0.3 ? 1.0f : r.uniform() < 0.5 ? 0.0f : 0.25f;
            for (float &v : theta) v = (float)(0.3 * r.normal());
            dsc::RowSet rs = {X.data(), y.data(), nullptr, 0, n, cols};
            rs.lw0 = 0.4f;
            rs.lw1 = 2.5f;
            std::vector<float> acc(cols + 1);
            std::vector<double> g0(cols + 1), g1(cols + 1), scratch(cols + 1), h0((cols + 1) * (cols + 2) / 2),
                h1(h0.size()), cg0(cols + 1), cg1(cols + 1);
            double l0, l1, c0, c1;
            const dsc::KernelTable &s = dsc::kScalarKernels;
            s.linear_bce(rs, theta.data(), 0, acc.data(), g0.data(), &l0);
            const double lonly0 = s.linear_bce_loss(rs, theta.data(), 0);
            const dsc::ColumnMap map = {nullptr, nullptr};
            if (s.curv_linear_bce) s.curv_linear_bce(rs, map, theta.data(), 0, scratch.data(), cg0.data(), h0.data(), &c0);
            // The weighted pass is the unweighted one with each row's terms scaled: check the
            // scalar loss against a direct float64 sum first.
            double ref = 0;
            for (size_t i = 0; i < n; ++i) {
                double z = theta[0];
                for (uint32_t j = 0; j < cols; ++j) z += (double)theta[j + 1] * X[i * cols + j];
                ref += (0.4 * (1 - y[i]) + 2.5 * y[i]) * (std::log1p(std::exp(-std::abs(z))) + std::max(z, 0.0) - y[i] * z);
            }
            CHECK(l0 == doctest::Approx(ref).epsilon(1e-5));
            CHECK(lonly0 == doctest::Approx(ref).epsilon(1e-5));
            for (uint32_t b = DSC_BACKEND_SSE2; b <= DSC_BACKEND_NEON; ++b) {
                const dsc::KernelTable *k = dsc::kernels_for(b);
                if (!k) continue;
                CAPTURE(k->name);
                k->linear_bce(rs, theta.data(), 0, acc.data(), g1.data(), &l1);
                CHECK(l1 == doctest::Approx(l0).epsilon(1e-5));
                CHECK(k->linear_bce_loss(rs, theta.data(), 0) == doctest::Approx(lonly0).epsilon(1e-5));
                double gn = 0;
                for (double v : g0) gn = std::max(gn, std::abs(v));
                for (size_t j = 0; j <= cols; ++j) CHECK(g1[j] == doctest::Approx(g0[j]).epsilon(1e-5).scale(gn));
                if (s.curv_linear_bce && k->curv_linear_bce) {
                    k->curv_linear_bce(rs, map, theta.data(), 0, scratch.data(), cg1.data(), h1.data(), &c1);
                    CHECK(c1 == doctest::Approx(c0).epsilon(1e-12));
                    for (size_t j = 0; j < h0.size(); ++j) CHECK(h1[j] == doctest::Approx(h0[j]).epsilon(1e-12).scale(1.0));
                }
            }
        }
    }
}

TEST_CASE("class weights: hinge takes them; refusals name the field") {
    const Imbalanced d(31);
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, 2);
    c.loss = DSC_LOSS_HINGE;
    c.lr = 1e-3f;
    c.standardize = DSC_STANDARDIZE_ON;
    c.max_epochs = 300;
    Model plain(c);
    c.class_weight[1] = 4.0f;
    Model weighted(c);
    REQUIRE(dsc_fit(plain.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    REQUIRE(dsc_fit(weighted.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    // Weighting the rare class up predicts it more often.
    std::vector<float> a(d.n), b(d.n);
    REQUIRE(dsc_predict_label(plain.m, d.X.data(), d.n, a.data()) == DSC_OK);
    REQUIRE(dsc_predict_label(weighted.m, d.X.data(), d.n, b.data()) == DSC_OK);
    size_t pa = 0, pb = 0;
    for (size_t i = 0; i < d.n; ++i) {
        pa += a[i] == 1.0f;
        pb += b[i] == 1.0f;
    }
    CHECK(pb > pa);

    dsc_config bad;
    dsc_config_init(&bad, DSC_LINEAR, 2);
    bad.class_weight[1] = 2.0f;
    const char *msg = dsc_check_config(&bad);
    REQUIRE(msg != nullptr);
    CHECK(std::strstr(msg, "class_weight") != nullptr);
    dsc_config_init(&bad, DSC_LOGISTIC, 2);
    for (float v : {-1.0f, NAN, INFINITY}) {
        bad.class_weight[0] = v;
        msg = dsc_check_config(&bad);
        REQUIRE(msg != nullptr);
        CHECK(std::strstr(msg, "class_weight") != nullptr);
    }
    bad.class_weight[0] = 0.0f;
    bad.class_weight[1] = 0.0f;
    CHECK(dsc_check_config(&bad) != nullptr);
    bad.class_weight[1] = 1.0f;
    CHECK(dsc_check_config(&bad) == nullptr);  // one class may weigh nothing
}
