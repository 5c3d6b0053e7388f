// The elastic-net penalty (config.alpha, config.l1_ratio: a proximal step, exact zeros) and
// averaged SGD (config.average), issue 12. Reference numbers: tests/reference/penalty_cases.h,
// made by tests/reference/penalty_reference.py (scikit-learn's ElasticNet, Lasso and saga
// LogisticRegression, checked against the optimality conditions; a NumPy float64 rerun of
// the averaged update sequence); the one-step check computes its float64 reference here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "model.hpp"
#include "reference/penalty_cases.h"
#include "test_support.hpp"

namespace {

using dsct::Model;
using dsct::Loaded;
using dsct::save_full;

dsc_config gd_config(dsc_model_kind kind, uint32_t d) {
    dsc_config c;
    dsc_config_init(&c, kind, d);
    c.backend = DSC_BACKEND_SCALAR;
    c.standardize = DSC_STANDARDIZE_OFF;
    c.solver = DSC_SOLVER_GD;
    c.conv_tol = -1.0f;
    return c;
}

// The optimizer's own (non-averaged) raw parameters: tests may look inside.
std::vector<float> iterate(const dsc_model *m) {
    const float *p = dsc::params(m);
    return std::vector<float>(p, p + m->n_params);
}

// descent's objective in float64: loss (mean) + alpha (r |w|_1 + (1 - r)/2 |w|^2).
double objective(unsigned kind, const float *X, const float *y, size_t n, size_t d,
                 const std::vector<float> &p, double alpha, double r) {
    double loss = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double z = p[0];
        for (size_t j = 0; j < d; ++j) z += (double)p[j + 1] * X[i * d + j];
        if (kind == DSC_LINEAR) loss += (z - y[i]) * (z - y[i]);
        else loss += (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - y[i] * z;
    }
    double l1 = 0.0, l2 = 0.0;
    for (size_t j = 1; j < p.size(); ++j) {
        l1 += std::fabs((double)p[j]);
        l2 += (double)p[j] * p[j];
    }
    return loss / (double)n + alpha * (r * l1 + 0.5 * (1.0 - r) * l2);
}

}  // namespace

TEST_CASE("penalty: config values are checked, and each refusal names its field") {
    const float kNaN = std::nanf(""), kInf = INFINITY;
    auto refused = [](const dsc_config &c, dsc_status want, const char *field) {
        const char *msg = dsc_check_config(&c);
        REQUIRE(msg != nullptr);
        CHECK(std::strstr(msg, field) != nullptr);
        CHECK(dsc_arena_size(&c) == 0);
        uint64_t arena[512];
        dsc_model *m = nullptr;
        CHECK(dsc_create(&c, arena, sizeof arena, &m) == want);
        CHECK(m == nullptr);
    };
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 3);
    CHECK(c.alpha == 0.0f);
    CHECK(c.l1_ratio == 0.15f);
    CHECK(c.average == 0u);
    for (float bad : {kNaN, -kNaN, kInf, -kInf, -1.0f, -1e-30f}) {
        CAPTURE(bad);
        dsc_config b = c;
        b.alpha = bad;
        refused(b, DSC_ERR_INVALID_ARGUMENT, "config.alpha");
    }
    for (float bad : {kNaN, kInf, -kInf, -0.01f, 1.01f, 2.0f}) {
        CAPTURE(bad);
        dsc_config b = c;
        b.alpha = 0.1f;
        b.l1_ratio = bad;
        refused(b, DSC_ERR_INVALID_ARGUMENT, "config.l1_ratio");
    }
    {  // NEWTON is refused outright; AUTO picks GD instead
        dsc_config b = c;
        b.solver = DSC_SOLVER_NEWTON;
        b.alpha = 0.1f;
        refused(b, DSC_ERR_INVALID_ARGUMENT, "config.alpha");
        b.alpha = 0.0f;
        b.average = 1;
        refused(b, DSC_ERR_INVALID_ARGUMENT, "config.average");
    }
    {
        dsc_config b;
        dsc_config_init(&b, DSC_LEGENDRE3, 1);
        b.lr = 0.01f;
        b.alpha = 0.1f;
        refused(b, DSC_ERR_UNSUPPORTED, "config.alpha");
        b.alpha = 0.0f;
        b.average = 2;  // averaging is fine for LEGENDRE3
        CHECK(dsc_check_config(&b) == nullptr);
    }
    {
        dsc_config b = c;
        b.backend = DSC_BACKEND_CUDA;
        b.lr = 0.01f;
        b.alpha = 0.1f;
        // A CUDA build names the field; a build without CUDA refuses the backend itself.
        const char *msg = dsc_check_config(&b);
        REQUIRE(msg != nullptr);
#ifdef DESCENT_HAVE_CUDA
        CHECK(std::strstr(msg, "config.alpha") != nullptr);
#endif
    }
    // Valid edges: l1_ratio 0 and 1, alpha 0 with any l1_ratio, any average.
    for (float r : {0.0f, 1.0f, 0.5f}) {
        dsc_config b = c;
        b.alpha = 1e3f;
        b.l1_ratio = r;
        b.average = 0xFFFFFFFFu;
        CHECK(dsc_check_config(&b) == nullptr);
    }
}

TEST_CASE("penalty: AUTO resolves to GD with alpha or average, and lr = 0 picks the rate") {
    const dsct::Data d = dsct::linear_data(64, {1.0, -2.0, 0.5}, 0.3, 0.05, 7);
    for (int which = 0; which < 2; ++which) {
        CAPTURE(which);
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 3);  // lr 0, solver AUTO, standardize AUTO
        if (which == 0) c.alpha = 0.01f;
        else c.average = 1;
        c.max_epochs = 50;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        dsc_fit_report r;
        REQUIRE(dsc_fit(M.m, d.X.data(), d.y.data(), d.n, &r) == DSC_OK);
        CHECK(r.solver == DSC_SOLVER_GD);
        CHECK(r.standardized == 1);  // lr == 0 standardizes, as before
        CHECK(r.lr_initial > 0.0f);
    }
}

TEST_CASE("penalty: one proximal step equals its float64 computation") {
    // 16 rows, 4 features; the start puts two weights inside the threshold after the step.
    const size_t n = 16, d = 4;
    dsct::Rng rng(99);
    std::vector<float> X(n * d), y(n);
    for (float &v : X) v = (float)rng.normal();
    for (size_t i = 0; i < n; ++i) y[i] = (float)(0.5 + 1.2 * X[i * d] - 0.7 * X[i * d + 2] + 0.1 * rng.normal());
    const std::vector<float> start = {0.3f, 0.9f, 0.01f, -0.5f, -0.015f};
    for (float mom : {0.0f, 0.9f}) {
        CAPTURE(mom);
        dsc_config c = gd_config(DSC_LINEAR, d);
        c.lr = 0.1f;
        c.weight_decay = 0.01f;
        c.alpha = 0.5f;
        c.l1_ratio = 0.8f;
        c.momentum = mom;
        c.max_epochs = 1;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        REQUIRE(dsc_set_params(M.m, start.data(), start.size()) == DSC_OK);
        REQUIRE(dsc_fit(M.m, X.data(), y.data(), n, nullptr) == DSC_OK);
        const std::vector<float> got = M.params();
        // float64: gradient of the mean squared error, the coupled L2 terms, the step, the prox.
        std::vector<double> g(d + 1, 0.0);
        for (size_t i = 0; i < n; ++i) {
            double z = start[0];
            for (size_t j = 0; j < d; ++j) z += (double)start[j + 1] * X[i * d + j];
            const double e = 2.0 * (z - y[i]) / (double)n;
            g[0] += e;
            for (size_t j = 0; j < d; ++j) g[j + 1] += e * X[i * d + j];
        }
        size_t zeros = 0;
        for (size_t j = 0; j <= d; ++j) {
            CAPTURE(j);
            double gj = g[j] + 0.01 * start[j] + (j > 0 ? 0.5 * 0.2 * start[j] : 0.0);
            double v = start[j] - 0.1 * gj;  // the first momentum step is the plain step
            if (j > 0) {
                const double thr = 0.1 * 0.5 * 0.8;
                v = std::fabs(v) <= thr ? 0.0 : (v > 0 ? v - thr : v + thr);
            }
            if (v == 0.0) {
                ++zeros;
                CHECK(got[j] == 0.0f);  // an exact zero, not a small number
                CHECK(!std::signbit(got[j]));
            } else {
                CHECK(got[j] == doctest::Approx(v).epsilon(2e-6));
            }
        }
        CHECK(zeros == 2);
        CHECK(got[0] != 0.0f);  // the intercept is not thresholded
        // The momentum buffer holds the gradient (L2 terms included), never the shrinkage.
        if (mom != 0.0f) {
            const float *buf = dsc::at<float>(M.m, M.m->lay.velocity);
            for (size_t j = 0; j <= d; ++j) {
                const double gj = g[j] + 0.01 * start[j] + (j > 0 ? 0.5 * 0.2 * start[j] : 0.0);
                CHECK(buf[j] == doctest::Approx(gj).epsilon(2e-6));
            }
        }
    }
}

TEST_CASE("penalty: L1 gives exact zeros on irrelevant features, never on the intercept") {
    // Three informative columns, five of noise.
    const dsct::Data d = dsct::linear_data(400, {1.5, -2.0, 0.8, 0, 0, 0, 0, 0}, 0.7, 0.2, 11);
    struct Way {
        const char *name;
        uint32_t batch;
        float lr;
        uint32_t standardize;
    };
    // Minibatch SGD's plain proximal step keeps a weight at zero only while its batch gradient
    // stays below alpha l1_ratio (README): batches of 64 rows keep |g_j| on the irrelevant
    // columns near 0.1 (residuals ~0.3 with the shrunk weights), so those runs use alpha 0.3.
    struct Way2 {
        Way w;
        float alpha;
    };
    const Way2 ways2[] = {{{"full batch, automatic rate, standardized", 0, 0.0f, DSC_STANDARDIZE_AUTO}, 0.05f},
                          {{"minibatch 64, lr 0.01, raw", 64, 0.01f, DSC_STANDARDIZE_OFF}, 0.3f},
                          {{"minibatch 64, lr 0.01, standardized", 64, 0.01f, DSC_STANDARDIZE_ON}, 0.3f}};
    for (const Way2 &w2 : ways2) {
        const Way &w = w2.w;
        CAPTURE(w.name);
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 8);
        c.alpha = w2.alpha;
        c.l1_ratio = 1.0f;
        c.batch_size = w.batch;
        c.lr = w.lr;
        c.standardize = w.standardize;
        c.max_epochs = w.batch ? 200 : 3000;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        REQUIRE(dsc_fit(M.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        const std::vector<float> p = M.params();
        for (int j = 1; j <= 3; ++j) CHECK(std::fabs(p[j]) > 0.3f);
        // Full batch: the optimum's exact zeros. Minibatch: the plain proximal step leaves zero
        // whenever one batch's gradient exceeds alpha l1_ratio (a 4-sigma event here, among
        // thousands of draws), and decays back within a few steps: most are exact zeros and
        // all are small.
        int zeros = 0;
        for (int j = 4; j <= 8; ++j) {
            CAPTURE(j);
            if (w.batch == 0) CHECK(p[j] == 0.0f);
            CHECK(std::fabs(p[j]) < 0.005f);
            zeros += p[j] == 0.0f;
        }
        CHECK(zeros >= 3);
        CHECK(p[0] == doctest::Approx(0.7).epsilon(0.1));
    }
    // A huge alpha zeroes every weight; the intercept goes to the mean of y.
    dsc_config c = gd_config(DSC_LINEAR, 8);
    c.alpha = 1e4f;
    c.l1_ratio = 1.0f;
    c.lr = 0.05f;
    c.max_epochs = 500;
    Model M(c);
    REQUIRE(dsc_fit(M.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    double ybar = 0.0;
    for (float v : d.y) ybar += v;
    ybar /= (double)d.n;
    const std::vector<float> p = M.params();
    for (int j = 1; j <= 8; ++j) CHECK(p[j] == 0.0f);
    CHECK(p[0] == doctest::Approx(ybar).epsilon(1e-4));
}

TEST_CASE("penalty: POLYNOMIAL spares c0 and thresholds the other coefficients") {
    // y = 1 + 2x: the x^2 and x^3 coefficients go to exact zero, c0 is not shrunk.
    const size_t n = 64;
    std::vector<float> X(n), y(n);
    for (size_t i = 0; i < n; ++i) {
        X[i] = -1.0f + 2.0f * (float)i / (float)(n - 1);
        y[i] = 1.0f + 2.0f * X[i];
    }
    dsc_config c = gd_config(DSC_POLYNOMIAL, 1);
    c.degree = 3;
    c.lr = 0.1f;
    c.alpha = 0.01f;
    c.l1_ratio = 1.0f;
    c.max_epochs = 5000;
    Model M(c);
    REQUIRE(dsc_fit(M.m, X.data(), y.data(), n, nullptr) == DSC_OK);
    const std::vector<float> p = M.params();
    CHECK(p[0] == doctest::Approx(1.0).epsilon(1e-3));
    CHECK(p[1] > 1.9f);
    CHECK(p[2] == 0.0f);
    CHECK(p[3] == 0.0f);
}

TEST_CASE("penalty: full-batch proximal GD reaches scikit-learn's elastic-net optimum") {
    using namespace penalty_ref;
    for (const OptCase &k : kOptCases) {
        CAPTURE(k.name);
        dsc_config c = gd_config((dsc_model_kind)k.kind, (uint32_t)kD);
        c.lr = 0.0f;  // the automatic rate: 1 / (L_data + alpha (1 - l1_ratio))
        c.conv_tol = 1e-14f;  // on the proximal gradient mapping: to float32's resolution
        c.alpha = k.alpha;
        c.l1_ratio = k.l1_ratio;
        c.max_epochs = 20000;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        const float *y = k.kind == DSC_LINEAR ? kY : kYLogistic;
        dsc_fit_report r;
        REQUIRE(dsc_fit(M.m, kX, y, kN, &r) == DSC_OK);
        CHECK(r.solver == DSC_SOLVER_GD);
        const std::vector<float> p = M.params();
        double worst = 0.0;
        for (size_t j = 0; j <= kD; ++j) {
            CAPTURE(j);
            if (k.params[j] == 0.0) CHECK(p[j] == 0.0f);  // the same exact zeros
            else CHECK(p[j] != 0.0f);
            worst = std::fmax(worst, std::fabs(p[j] - k.params[j]));
        }
        const double obj = objective(k.kind, kX, y, kN, kD, p, k.alpha, k.l1_ratio);
        const double rel = (obj - k.objective) / k.objective;
        std::printf("penalty vs scikit-learn, %s: %u epochs, max |param - sklearn| %.3g, "
                    "objective rel. diff %.3g\n", k.name, r.epochs_run, worst, rel);
        // Float32 parameters: a few ulp of |w| ~ 1.5 each (1e-7), an objective that sits on the
        // optimum's float32 grid (its rel. excess ~ 1e-8), the gradient mapping's test at 1e-14.
        CHECK(worst <= 1e-5);
        CHECK(std::fabs(rel) <= 1e-7);
        // The report's loss is the data loss, without the penalty.
        CHECK(r.final_loss < (float)k.objective);
    }
}

TEST_CASE("averaging: averaged SGD matches a NumPy float64 reference of the same updates") {
    using namespace penalty_ref;
    for (const AvgCase &k : kAvgCases) {
        CAPTURE(k.name);
        dsc_config c = gd_config(DSC_LINEAR, (uint32_t)kAD);
        c.batch_size = k.batch;
        c.shuffle = 0;
        c.lr = k.lr;
        c.momentum = k.momentum;
        c.alpha = k.alpha;
        c.l1_ratio = k.l1_ratio;
        c.average = k.average;
        c.max_epochs = k.epochs;
        Model M(c);
        REQUIRE(M.status == DSC_OK);
        REQUIRE(dsc_fit(M.m, kXA, kYA, kAN, nullptr) == DSC_OK);
        const std::vector<float> avg = M.params(), theta = iterate(M.m);
        double worst_avg = 0.0, worst_theta = 0.0;
        for (size_t j = 0; j <= kAD; ++j) {
            CAPTURE(j);
            CHECK(avg[j] == doctest::Approx(k.avg[j]).epsilon(1e-5));
            CHECK(theta[j] == doctest::Approx(k.theta[j]).epsilon(1e-5));
            worst_avg = std::fmax(worst_avg, std::fabs(avg[j] - k.avg[j]));
            worst_theta = std::fmax(worst_theta, std::fabs(theta[j] - k.theta[j]));
        }
        std::printf("averaged SGD vs NumPy float64, %s: max |avg diff| %.3g, max |iterate diff| %.3g\n",
                    k.name, worst_avg, worst_theta);
        // Prediction and dsc_loss use the average.
        std::vector<float> pred(kAN);
        REQUIRE(dsc_predict(M.m, kXA, kAN, pred.data()) == DSC_OK);
        for (size_t i = 0; i < kAN; ++i) {
            double z = avg[0];
            for (size_t j = 0; j < kAD; ++j) z += (double)avg[j + 1] * kXA[i * kAD + j];
            CHECK(pred[i] == doctest::Approx(z).epsilon(1e-5));
        }
    }
}

TEST_CASE("averaging: the average starts after `average` samples and restarts with set_params") {
    const dsct::Data d = dsct::linear_data(10, {1.0, -1.0}, 0.2, 0.1, 3);
    dsc_config c = gd_config(DSC_LINEAR, 2);
    c.batch_size = 1;
    c.shuffle = 0;
    c.lr = 0.05f;
    c.average = 25;  // 10 rows an epoch: averaging starts at the 25th sample, in epoch 3
    c.max_epochs = 2;
    Model M(c);
    REQUIRE(dsc_fit(M.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(M.m->avg_count == 0);
    CHECK(dsct::bits_equal(M.params(), iterate(M.m)));  // not yet averaging: the parameters
    REQUIRE(dsc_fit(M.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(M.m->seen == 40);
    CHECK(M.m->avg_count == 16);  // samples 25..40
    CHECK(!dsct::bits_equal(M.params(), iterate(M.m)));
    // The predictor blob carries the average: a model loaded from it predicts with it.
    std::vector<uint8_t> pb(dsc_save_predictor_size(M.m));
    size_t w = 0;
    REQUIRE(dsc_save_predictor(M.m, pb.data(), pb.size(), &w) == DSC_OK);
    Loaded L(pb);
    std::vector<float> lp(3);
    REQUIRE(dsc_get_params(L.m, lp.data(), 3) == DSC_OK);
    CHECK(dsct::bits_equal(lp, M.params()));
    // dsc_loss measures the average.
    float loss = 0.0f;
    REQUIRE(dsc_loss(M.m, d.X.data(), d.y.data(), d.n, &loss) == DSC_OK);
    const std::vector<float> a = M.params();
    double ref = 0.0;
    for (size_t i = 0; i < d.n; ++i) {
        const double z = a[0] + (double)a[1] * d.X[2 * i] + (double)a[2] * d.X[2 * i + 1];
        ref += (z - d.y[i]) * (z - d.y[i]);
    }
    CHECK(loss == doctest::Approx(ref / (double)d.n).epsilon(1e-5));
    // set_params restarts the average: the parameters are what was set.
    const std::vector<float> s = {0.5f, 0.25f, -0.125f};
    REQUIRE(dsc_set_params(M.m, s.data(), 3) == DSC_OK);
    CHECK(M.m->avg_count == 0);
    CHECK(dsct::bits_equal(M.params(), s));
}

TEST_CASE("averaging: save, load and continue is bit-identical to an uninterrupted run") {
    const dsct::Data d = dsct::linear_data(53, {0.5, -1.5, 2.0}, -0.4, 0.1, 5);
    for (uint32_t stdz : {(uint32_t)DSC_STANDARDIZE_OFF, (uint32_t)DSC_STANDARDIZE_ON}) {
        CAPTURE(stdz);
        dsc_config c = gd_config(DSC_LINEAR, 3);
        c.standardize = stdz;
        c.batch_size = 4;
        c.shuffle = 1;
        c.seed = 17;
        c.lr = 0.02f;
        c.momentum = 0.5f;
        c.alpha = 0.02f;
        c.l1_ratio = 0.5f;
        c.average = 30;
        c.max_epochs = 6;
        Model whole(c);
        REQUIRE(dsc_fit(whole.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        c.max_epochs = 3;
        Model half(c);
        REQUIRE(dsc_fit(half.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        const std::vector<uint8_t> blob = save_full(half.m);
        CHECK(blob[4] == 5);
        Loaded L(blob);
        CHECK(save_full(L.m) == blob);
        REQUIRE(dsc_fit(L.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        REQUIRE(dsc_fit(half.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        CHECK(L.m->avg_count > 0);
        CHECK(dsct::bits_equal(whole.params(), half.params()));
        std::vector<float> lp(4);
        REQUIRE(dsc_get_params(L.m, lp.data(), 4) == DSC_OK);
        CHECK(dsct::bits_equal(whole.params(), lp));
        CHECK(dsct::bits_equal(iterate(whole.m), iterate(L.m)));
        // The loaded model's blob, after the same epochs, is the uninterrupted model's, byte for
        // byte, but for the stored max_epochs (6 there, 3 here).
        std::vector<uint8_t> a = save_full(whole.m), b = save_full(L.m);
        REQUIRE(a.size() == b.size());
        for (size_t i = 40; i < 44; ++i) a[i] = b[i] = 0;        // max_epochs
        for (size_t i = a.size() - 4; i < a.size(); ++i) a[i] = b[i] = 0;  // CRC
        CHECK(a == b);
    }
}

namespace {
// The 40 rows of tests/data/make_blobs_v2.cpp.
[[maybe_unused]] void v2_rows(std::vector<float> *X, std::vector<float> *y) {
    uint32_t s = 12345u;
    auto next = [&s]() {
        s = s * 1664525u + 1013904223u;
        return (float)((int32_t)(s >> 8) - (1 << 23)) / (float)(1 << 23);
    };
    for (int i = 0; i < 40; ++i) {
        const float a = 3.0f * next() + 1.0f, b = 0.5f * next(), c = 10.0f * next() - 2.0f;
        X->push_back(a);
        X->push_back(b);
        X->push_back(c);
        y->push_back(1.5f * a - 2.0f * b + 0.25f * c + 0.5f + 0.1f * next());
    }
}
}  // namespace

TEST_CASE("blob: a committed format-2 file loads with no penalty and no averaging, and resumes") {
    const std::string dir = DESCENT_TEST_DATA_DIR;
    std::vector<uint8_t> blob;
    {
        FILE *f = std::fopen((dir + "/linear_std_v2.dscb").c_str(), "rb");
        REQUIRE(f != nullptr);
        int ch;
        while ((ch = std::fgetc(f)) != EOF) blob.push_back((uint8_t)ch);
        std::fclose(f);
    }
    std::vector<float> expect(4);
    {
        FILE *f = std::fopen((dir + "/linear_std_v2.txt").c_str(), "r");
        REQUIRE(f != nullptr);
        char buf[256] = {0};
        REQUIRE(std::fgets(buf, sizeof buf, f) != nullptr);
        std::fclose(f);
        char *p = buf;
        for (float &v : expect) v = std::strtof(p, &p);
    }
    REQUIRE(blob.size() > 8);
    CHECK(blob[4] == 2);
    Loaded L(blob);
    std::vector<float> got(4);
    REQUIRE(dsc_get_params(L.m, got.data(), 4) == DSC_OK);
    CHECK(dsct::bits_equal(got, expect));
    dsc_config c;
    REQUIRE(dsc_get_config(L.m, &c) == DSC_OK);
    CHECK(c.alpha == 0.0f);
    CHECK(c.l1_ratio == 0.15f);
    CHECK(c.average == 0u);
    CHECK(c.standardize == (uint32_t)DSC_STANDARDIZE_ON);
    const std::vector<uint8_t> v3 = save_full(L.m);
    CHECK(v3[4] == 5);
    CHECK(v3.size() == blob.size() + 56);  // format 3's 32 bytes, format 4's 8 and format 5's 16
    CHECK(c.loss == (uint32_t)DSC_LOSS_DEFAULT);
    CHECK(c.epsilon == 0.1f);
    Loaded L3(v3);
    CHECK(save_full(L3.m) == v3);
    // This library, trained as make_blobs_v2 trained the format-2 library, reaches the same
    // bits; both then continue identically. The file was made on x86-64: bits across
    // instruction sets are not promised (aarch64's scalar code rounds differently), so the
    // training comparisons run where the file was made.
#if defined(__x86_64__) || defined(_M_X64)
    std::vector<float> X, y;
    v2_rows(&X, &y);
    dsc_config fresh;
    dsc_config_init(&fresh, DSC_LINEAR, 3);
    fresh.backend = DSC_BACKEND_SCALAR;
    fresh.lr = 0.05f;
    fresh.momentum = 0.9f;
    fresh.standardize = DSC_STANDARDIZE_ON;
    fresh.solver = DSC_SOLVER_GD;
    fresh.max_epochs = 5;
    Model M(fresh);
    REQUIRE(dsc_fit(M.m, X.data(), y.data(), 40, nullptr) == DSC_OK);
    CHECK(dsct::bits_equal(M.params(), expect));
    REQUIRE(dsc_fit(M.m, X.data(), y.data(), 40, nullptr) == DSC_OK);
    REQUIRE(dsc_fit(L.m, X.data(), y.data(), 40, nullptr) == DSC_OK);
    REQUIRE(dsc_get_params(L.m, got.data(), 4) == DSC_OK);
    CHECK(dsct::bits_equal(M.params(), got));
#endif
}
