// Kernel gradients against float64 references: central finite differences of an independent
// float64 loss, and the 1e-5 accuracy target for a million rows.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels.h"
#include "model.hpp"
#include "test_support.hpp"

using dsct::Rng;

namespace {

enum class Kind { LinearMse, LinearBce, Poly, Legendre3 };

// Float64 loss summed over rows, written from the model definitions (not from the kernels).
double loss64(Kind k, const std::vector<float> &X, const std::vector<float> &y, size_t n,
              uint32_t cols, uint32_t degree, const std::vector<double> &t) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const float *x = &X[i * cols];
        double out;
        switch (k) {
            case Kind::LinearMse:
            case Kind::LinearBce:
                out = t[0];
                for (uint32_t j = 0; j < cols; ++j) out += t[j + 1] * x[j];
                break;
            case Kind::Poly:
                out = 0.0;
                for (uint32_t j = 0; j <= degree; ++j) out += t[j] * std::pow((double)x[0], (int)j);
                break;
            default: {
                double u = t[2] + t[3] * x[0];
                out = t[0] + t[1] * 0.5 * (5 * u * u * u - 3 * u);
            }
        }
        if (k == Kind::LinearBce) s += std::log1p(std::exp(-std::fabs(out))) + std::max(out, 0.0) - y[i] * out;
        else s += (out - y[i]) * (out - y[i]);
    }
    return s;
}

struct Case {
    const char *name;
    Kind kind;
    uint32_t cols, degree, p;
};

void check_against_fd(const Case &c, size_t n, uint64_t seed) {
    Rng r(seed);
    std::vector<float> X(n * c.cols), y(n), theta(c.p);
    for (auto &v : X) v = (float)(c.kind == Kind::Poly || c.kind == Kind::Legendre3 ? 2 * r.uniform() - 1 : r.normal());
    for (auto &v : y) v = c.kind == Kind::LinearBce ? (r.uniform() < 0.5 ? 0.0f : 1.0f) : (float)r.normal();
    for (auto &v : theta) v = (float)(0.5 * r.normal());
    const dsc::KernelTable &k = dsc::kScalarKernels;
    dsc::LossGradFn fn = c.kind == Kind::LinearMse ? k.linear_mse
                         : c.kind == Kind::LinearBce ? k.linear_bce
                         : c.kind == Kind::Poly ? k.poly_mse : k.legendre3_mse;
    dsc::LossFn lfn = c.kind == Kind::LinearMse ? k.linear_mse_loss
                      : c.kind == Kind::LinearBce ? k.linear_bce_loss
                      : c.kind == Kind::Poly ? k.poly_mse_loss : k.legendre3_mse_loss;
    dsc::RowSet rs = {X.data(), y.data(), nullptr, 0, n, c.cols};
    std::vector<float> acc(c.p);
    std::vector<double> grad(c.p);
    double loss;
    fn(rs, theta.data(), c.degree, acc.data(), grad.data(), &loss);

    std::vector<double> t(theta.begin(), theta.end());
    const double L = loss64(c.kind, X, y, n, c.cols, c.degree, t);
    CHECK(loss == doctest::Approx(L).epsilon(1e-5));
    CHECK(lfn(rs, theta.data(), c.degree) == doctest::Approx(L).epsilon(1e-5));
    double gnorm = 0.0;
    std::vector<double> fd(c.p);
    for (uint32_t j = 0; j < c.p; ++j) {
        const double h = 1e-5 * std::max(1.0, std::fabs(t[j]));
        std::vector<double> tp = t, tm = t;
        tp[j] += h;
        tm[j] -= h;
        fd[j] = (loss64(c.kind, X, y, n, c.cols, c.degree, tp) -
                 loss64(c.kind, X, y, n, c.cols, c.degree, tm)) / (2 * h);
        gnorm = std::max(gnorm, std::fabs(fd[j]));
    }
    for (uint32_t j = 0; j < c.p; ++j) {
        INFO(c.name, " n=", n, " param ", j, ": kernel ", grad[j], " fd ", fd[j]);
        // float32 row arithmetic against a float64 difference quotient: 1e-4 of the
        // largest component bounds both the float32 rounding and the O(h^2) error.
        CHECK(std::fabs(grad[j] - fd[j]) <= 1e-4 * gnorm);
    }
}

}  // namespace

TEST_CASE("kernel gradients match float64 central finite differences") {
    const Case cases[] = {
        {"linear mse d=1", Kind::LinearMse, 1, 0, 2},
        {"linear mse d=7", Kind::LinearMse, 7, 0, 8},
        {"logistic bce d=5", Kind::LinearBce, 5, 0, 6},
        {"polynomial k=3", Kind::Poly, 1, 3, 4},
        {"polynomial k=6", Kind::Poly, 1, 6, 7},
        {"legendre3", Kind::Legendre3, 1, 0, 4},
    };
    // Row counts around the 256-row block: below, at, just above, several blocks.
    for (const Case &c : cases)
        for (size_t n : {1u, 37u, 256u, 257u, 1000u}) check_against_fd(c, n, 1234 + n);
}

TEST_CASE("BCE from logits stays finite and exact for extreme logits") {
    // loss(z, y) = softplus(z) - y z; for |z| = 1e4 a naive log(sigmoid) gives -inf.
    std::vector<float> X = {1.0f}, y = {0.0f};
    dsc::RowSet rs = {X.data(), y.data(), nullptr, 0, 1, 1};
    std::vector<float> acc(2);
    std::vector<double> g(2);
    double loss;
    for (float z : {-1e4f, -100.0f, -20.0f, 0.0f, 20.0f, 100.0f, 1e4f}) {
        for (float label : {0.0f, 1.0f}) {
            y[0] = label;
            float theta[2] = {0.0f, z};
            dsc::kScalarKernels.linear_bce(rs, theta, 0, acc.data(), g.data(), &loss);
            const double ref = std::max((double)z, 0.0) + std::log1p(std::exp(-std::fabs((double)z))) - label * (double)z;
            INFO("z=", z, " y=", label);
            CHECK(std::isfinite(loss));
            CHECK(loss == doctest::Approx(ref).epsilon(1e-6));
            const double sig = 1.0 / (1.0 + std::exp(-(double)z));
            CHECK(g[0] == doctest::Approx(sig - label).epsilon(1e-6));
        }
    }
}

TEST_CASE("a million-row gradient is within 1e-5 of float64") {
    // Plain float32 accumulation misses this by ~2e-5; block sums folded in double meet it.
    const size_t n = 1000000, cols = 8;
    Rng r(99);
    std::vector<float> X(n * cols), y(n);
    for (auto &v : X) v = (float)r.uniform();  // non-centred: no component cancels to ~0
    for (auto &v : y) v = (float)(3.0 + r.normal());
    std::vector<float> theta(cols + 1);
    for (auto &v : theta) v = (float)(0.1 * r.normal());

    std::vector<double> ref(cols + 1, 0.0);
    double ref_loss = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double out = theta[0];
        for (size_t j = 0; j < cols; ++j) out += (double)theta[j + 1] * X[i * cols + j];
        const double res = out - y[i];
        ref_loss += res * res;
        ref[0] += 2 * res;
        for (size_t j = 0; j < cols; ++j) ref[j + 1] += 2 * res * X[i * cols + j];
    }

    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, cols);
    cfg.lr = 0.01f;
    dsct::Model model(cfg);
    REQUIRE(model.status == DSC_OK);
    REQUIRE(dsc_set_params(model.m, theta.data(), theta.size()) == DSC_OK);
    dsc::RowSet rs = {X.data(), y.data(), nullptr, 0, n, (uint32_t)cols};
    std::vector<double> grad(cols + 1);
    double loss;
    dsc::lossgrad_pass(model.m, rs, grad.data(), &loss);  // the pass training uses, chunked
    CHECK(loss == doctest::Approx(ref_loss).epsilon(1e-5));
    for (size_t j = 0; j <= cols; ++j) {
        INFO("component ", j, ": ", grad[j], " vs ", ref[j]);
        CHECK(std::fabs(grad[j] - ref[j]) <= 1e-5 * std::fabs(ref[j]));
    }
}

TEST_CASE("indexed row sets give the same sums as the rows copied out") {
    const size_t n = 600, cols = 3;
    dsct::Data d = dsct::linear_data(n, {1.0, -2.0, 0.5}, 0.3, 0.1, 5);
    std::vector<uint32_t> idx;
    for (size_t i = 0; i < n; i += 3) idx.push_back((uint32_t)(n - 1 - i));
    std::vector<float> Xs, ys;
    for (uint32_t i : idx) {
        Xs.insert(Xs.end(), &d.X[i * cols], &d.X[i * cols] + cols);
        ys.push_back(d.y[i]);
    }
    float theta[4] = {0.1f, 0.2f, -0.3f, 0.4f};
    std::vector<float> acc(4);
    double g1[4], g2[4], l1, l2;
    dsc::RowSet by_idx = {d.X.data(), d.y.data(), idx.data(), 0, idx.size(), (uint32_t)cols};
    dsc::RowSet copied = {Xs.data(), ys.data(), nullptr, 0, idx.size(), (uint32_t)cols};
    dsc::kScalarKernels.linear_mse(by_idx, theta, 0, acc.data(), g1, &l1);
    dsc::kScalarKernels.linear_mse(copied, theta, 0, acc.data(), g2, &l2);
    CHECK(l1 == l2);
    for (int j = 0; j < 4; ++j) CHECK(g1[j] == g2[j]);
}
