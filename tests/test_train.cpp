// Training behaviour: convergence of every model x optimizer, the automatic step size,
// stopping rules, schedules, callbacks and determinism.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "test_support.hpp"

using dsct::Data;
using dsct::Model;

namespace {

dsc_config linear_cfg(uint32_t d) {
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, d);
    dsct::raw_gd(&c);
    return c;
}

double max_abs_diff(const std::vector<float> &a, const std::vector<double> &b) {
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

struct Recorder {
    std::vector<float> losses;
    uint32_t stop_at = 0;
    std::vector<uint32_t> epochs;
    static int cb(void *user, uint32_t epoch, float loss) {
        Recorder *r = static_cast<Recorder *>(user);
        r->losses.push_back(loss);
        r->epochs.push_back(epoch);
        return r->stop_at != 0 && epoch >= r->stop_at;
    }
};

// Largest eigenvalue of Phi^T Phi in double by Jacobi-free power iteration run to convergence
// (many iterations, tight tolerance): the reference for the automatic rate.
double lambda_max(const Data &d, size_t cols) {
    const size_t p = cols + 1;
    std::vector<double> A(p * p, 0.0), phi(p);
    for (size_t i = 0; i < d.n; ++i) {
        phi[0] = 1;
        for (size_t j = 0; j < cols; ++j) phi[j + 1] = d.X[i * cols + j];
        for (size_t a = 0; a < p; ++a)
            for (size_t b = 0; b < p; ++b) A[a * p + b] += phi[a] * phi[b];
    }
    std::vector<double> v(p, 1.0), w(p);
    double lam = 0;
    for (int it = 0; it < 5000; ++it) {
        double nrm = 0;
        for (size_t a = 0; a < p; ++a) {
            w[a] = 0;
            for (size_t b = 0; b < p; ++b) w[a] += A[a * p + b] * v[b];
            nrm += w[a] * w[a];
        }
        nrm = std::sqrt(nrm);
        for (size_t a = 0; a < p; ++a) v[a] = w[a] / nrm;
        lam = nrm;
    }
    return lam;
}

}  // namespace

TEST_CASE("linear regression converges to least squares for every optimizer") {
    const std::vector<double> w = {1.0, 2.0, 4.0};
    Data d = dsct::linear_data(1000, w, 3.0, 1e-2, 11);
    const std::vector<double> ls = dsct::least_squares(d, 3);
    struct Opt {
        const char *name;
        uint32_t batch;
        float lr, momentum, dampening;
        uint32_t nesterov;
        uint32_t schedule;
        uint32_t epochs;
        double tol;
    };
    const Opt opts[] = {
        {"full batch, automatic lr", 0, 0.0f, 0, 0, 0, DSC_LR_CONSTANT, 200, 1e-4},
        {"full batch, lr 0.1", 0, 0.1f, 0, 0, 0, DSC_LR_CONSTANT, 400, 1e-4},
        {"full batch, momentum 0.9", 0, 0.05f, 0.9f, 0, 0, DSC_LR_CONSTANT, 400, 1e-4},
        {"full batch, nesterov", 0, 0.05f, 0.9f, 0, 1, DSC_LR_CONSTANT, 400, 1e-4},
        {"full batch, dampening", 0, 0.05f, 0.9f, 0.5f, 0, DSC_LR_CONSTANT, 400, 1e-4},
        // SGD noise at a constant rate keeps the iterate near, not at, the optimum.
        {"minibatch 32, lr 0.01", 32, 0.01f, 0, 0, 0, DSC_LR_CONSTANT, 60, 2e-2},
        {"minibatch 32, momentum", 32, 0.005f, 0.9f, 0, 1, DSC_LR_CONSTANT, 60, 2e-2},
        {"minibatch 32, automatic lr", 32, 0.0f, 0, 0, 0, DSC_LR_CONSTANT, 60, 2e-2},
        {"minibatch 1, invscaling", 1, 0.05f, 0, 0, 0, DSC_LR_INVSCALING, 20, 2e-2},
        {"minibatch 1000 (= full batch)", 1000, 0.1f, 0, 0, 0, DSC_LR_CONSTANT, 400, 1e-4},
    };
    for (const Opt &o : opts) {
        SUBCASE(o.name) {
            dsc_config c = linear_cfg(3);
            c.batch_size = o.batch;
            c.lr = o.lr;
            c.momentum = o.momentum;
            c.dampening = o.dampening;
            c.nesterov = o.nesterov;
            c.schedule = o.schedule;
            c.max_epochs = o.epochs;
            c.seed = 3;
            Model m(c);
            REQUIRE(m.status == DSC_OK);
            dsc_fit_report rep;
            REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
            CHECK(rep.stop_reason == DSC_STOP_MAX_EPOCHS);
            CHECK(rep.epochs_run == o.epochs);
            INFO(o.name, ": max |param - least squares| = ", max_abs_diff(m.params(), ls));
            CHECK(max_abs_diff(m.params(), ls) <= o.tol);
        }
    }
}

TEST_CASE("automatic learning rate: 1/L from the Gram matrix, and it reaches least squares") {
    Data d = dsct::linear_data(1000, {1.0, 2.0, 4.0}, 3.0, 1e-6, 21);
    SUBCASE("mean reduction: lr = n / (2 lambda_max)") {
        dsc_config c = linear_cfg(3);
        c.max_epochs = 300;
        Model m(c);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
        CHECK(rep.lr_initial == doctest::Approx(1000.0 / (2.0 * lambda_max(d, 3))).epsilon(1e-3));
        CHECK(max_abs_diff(m.params(), dsct::least_squares(d, 3)) <= 1e-4);
    }
    SUBCASE("sum reduction: lr = 1 / (2 lambda_max)") {
        dsc_config c = linear_cfg(3);
        c.reduction = DSC_REDUCTION_SUM;
        c.max_epochs = 300;
        Model m(c);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
        CHECK(rep.lr_initial == doctest::Approx(1.0 / (2.0 * lambda_max(d, 3))).epsilon(1e-3));
        CHECK(max_abs_diff(m.params(), dsct::least_squares(d, 3)) <= 1e-4);
    }
    SUBCASE("badly scaled features still converge without tuning") {
        Data s = d;
        for (size_t i = 0; i < s.n; ++i) s.X[i * 3 + 2] *= 100.0f;  // one column 100x larger
        dsc_config c = linear_cfg(3);
        c.max_epochs = 20000;
        Model m(c);
        Recorder rec;
        dsc_fit_report rep;
        REQUIRE(dsc_set_callback(m.m, Recorder::cb, &rec) == DSC_OK);
        REQUIRE(dsc_fit(m.m, s.X.data(), s.y.data(), s.n, &rep) == DSC_OK);
        for (size_t i = 1; i < rec.losses.size(); ++i) REQUIRE(rec.losses[i] <= rec.losses[i - 1] * (1 + 1e-6f));
        // Condition number ~1e4 makes convergence slow, but never divergent: the loss falls
        // every epoch and is well on its way down.
        CHECK(rep.final_loss < 0.02f * rec.losses[0]);
        CHECK(rep.stop_reason == DSC_STOP_MAX_EPOCHS);
    }
}

TEST_CASE("automatic learning rate for logistic and polynomial decreases the loss monotonically") {
    SUBCASE("logistic") {
        Data d = dsct::logistic_data(2000, {1.5, -2.0, 0.8}, 0.25, 8);
        dsc_config c;
        dsc_config_init(&c, DSC_LOGISTIC, 3);
        dsct::raw_gd(&c);
        c.max_epochs = 500;
        Model m(c);
        Recorder rec;
        dsc_set_callback(m.m, Recorder::cb, &rec);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
        // Monotone up to float32 rounding of a plateaued loss.
        for (size_t i = 1; i < rec.losses.size(); ++i) REQUIRE(rec.losses[i] <= rec.losses[i - 1] * (1 + 1e-6f));
        // The BCE gradient's Lipschitz constant is lambda_max / (4 n). Power iteration
        // approaches lambda_max from below, so the pick is at or slightly above 1/L.
        const double exact = 4.0 * 2000 / lambda_max(d, 3);
        CHECK(rep.lr_initial == doctest::Approx(exact).epsilon(1e-2));
        CHECK(rep.lr_initial >= exact * (1 - 1e-6));
        std::vector<float> p = m.params();
        CHECK(p[1] == doctest::Approx(1.5).epsilon(0.2));
        CHECK(p[2] == doctest::Approx(-2.0).epsilon(0.2));
    }
    SUBCASE("cubic on sin(x)") {
        const size_t n = 2000;
        std::vector<float> x(n), y(n);
        for (size_t i = 0; i < n; ++i) {
            x[i] = (float)(-M_PI + 2 * M_PI * i / (n - 1));
            y[i] = std::sin(x[i]);
        }
        dsc_config c;
        dsc_config_init(&c, DSC_POLYNOMIAL, 1);
        dsct::raw_gd(&c);
        c.max_epochs = 3000;
        Model m(c);
        Recorder rec;
        dsc_set_callback(m.m, Recorder::cb, &rec);
        dsc_fit_report rep;
        REQUIRE(dsc_fit(m.m, x.data(), y.data(), n, &rep) == DSC_OK);
        for (size_t i = 1; i < rec.losses.size(); ++i) REQUIRE(rec.losses[i] <= rec.losses[i - 1] * (1 + 1e-6f));
        std::vector<float> p = m.params();
        CHECK(p[1] == doctest::Approx(0.857).epsilon(0.05));  // least-squares cubic: 0.857x - 0.0933x^3
        CHECK(p[3] == doctest::Approx(-0.0933).epsilon(0.1));
    }
}

TEST_CASE("callback sees every epoch's loss and can stop training") {
    Data d = dsct::linear_data(200, {1.0, -1.0}, 0.5, 0.01, 4);
    dsc_config c = linear_cfg(2);
    c.lr = 0.1f;
    c.max_epochs = 50;
    Recorder rec;
    rec.stop_at = 7;
    c.on_epoch = Recorder::cb;
    c.user = &rec;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.stop_reason == DSC_STOP_CALLBACK);
    CHECK(rep.epochs_run == 7);
    REQUIRE(rec.losses.size() == 7);
    for (uint32_t e = 0; e < 7; ++e) CHECK(rec.epochs[e] == e + 1);
    // Epoch 1's loss is the mean squared error at the all-zero start: mean(y^2), in double.
    double mse0 = 0;
    for (float v : d.y) mse0 += (double)v * v;
    CHECK(rec.losses[0] == doctest::Approx(mse0 / d.n).epsilon(1e-6));
    // The reported final loss is the loss at the parameters left in the model.
    float now;
    REQUIRE(dsc_loss(m.m, d.X.data(), d.y.data(), d.n, &now) == DSC_OK);
    CHECK(rep.final_loss == now);
    // Epoch numbers continue across fits.
    rec.stop_at = 0;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rec.epochs.back() == 57);
}

TEST_CASE("tolerance stopping follows scikit-learn's n_iter_no_change rule") {
    Data d = dsct::linear_data(200, {1.0}, 0.0, 0.1, 6);
    dsc_config c = linear_cfg(1);
    c.lr = 0.01f;
    c.max_epochs = 100;
    c.tol = 1e9f;  // no epoch can improve by this much: every epoch after the first counts
    c.n_iter_no_change = 3;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.stop_reason == DSC_STOP_TOLERANCE);
    CHECK(rep.epochs_run == 4);

    c.tol = 0.0f;  // converged plateau: stops once the loss stops falling at all
    c.lr = 0.5f;
    c.max_epochs = 100000;
    Model m2(c);
    REQUIRE(dsc_fit(m2.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.stop_reason == DSC_STOP_TOLERANCE);
    CHECK(rep.epochs_run < 100000);
}

TEST_CASE("adaptive schedule divides lr by 5 after each stall and stops at 1e-6") {
    Data d = dsct::linear_data(100, {1.0}, 0.0, 0.1, 6);
    dsc_config c = linear_cfg(1);
    c.lr = 0.01f;
    c.max_epochs = 1000;
    c.schedule = DSC_LR_ADAPTIVE;
    c.tol = 1e9f;  // every epoch after the first is a stall
    c.n_iter_no_change = 2;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    // lr: 0.01 -> /5 at epochs 3,5,7,9,11,13 -> 6.4e-7 <= 1e-6, so epoch 15 stops.
    CHECK(rep.stop_reason == DSC_STOP_LR_MIN);
    CHECK(rep.epochs_run == 15);
    CHECK(rep.lr == doctest::Approx(0.01 / 15625).epsilon(1e-5));
}

TEST_CASE("inverse scaling: lr_t = lr / t^power_t with t the optimizer step") {
    Data d = dsct::linear_data(64, {1.0}, 0.0, 0.1, 2);
    dsc_config c = linear_cfg(1);
    c.lr = 0.1f;
    c.schedule = DSC_LR_INVSCALING;
    c.power_t = 0.5f;
    c.batch_size = 16;  // 4 steps per epoch
    c.shuffle = 0;
    c.max_epochs = 4;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.steps == 16);
    CHECK(rep.lr == doctest::Approx(0.1 / 4.0).epsilon(1e-6));  // t = 16: 0.1 / sqrt(16)

    // One step by hand: theta_1 = -lr_1 * mean grad at zero, lr_1 = lr / 1^p = lr.
    c.max_epochs = 1;
    c.batch_size = 0;
    Model one(c);
    REQUIRE(dsc_fit(one.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    double gb = 0, gw = 0;
    for (size_t i = 0; i < d.n; ++i) {
        gb += -2.0 * d.y[i] / d.n;
        gw += -2.0 * d.y[i] * d.X[i] / d.n;
    }
    std::vector<float> p = one.params();
    CHECK(p[0] == doctest::Approx(-0.1 * gb).epsilon(1e-6));
    CHECK(p[1] == doctest::Approx(-0.1 * gw).epsilon(1e-6));
}

TEST_CASE("minibatch without shuffle takes batches in order, last partial batch kept") {
    Data d = dsct::linear_data(10, {2.0}, 1.0, 0.0, 9);
    dsc_config c = linear_cfg(1);
    c.lr = 0.1f;
    c.batch_size = 4;  // batches of 4, 4, 2
    c.shuffle = 0;
    c.max_epochs = 1;
    c.reduction = DSC_REDUCTION_SUM;
    Model m(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(rep.steps == 3);
    // Replay in double.
    double b = 0, w = 0;
    for (size_t s = 0; s < 10; s += 4) {
        double gb = 0, gw = 0;
        for (size_t i = s; i < std::min<size_t>(s + 4, 10); ++i) {
            double r = b + w * d.X[i] - d.y[i];
            gb += 2 * r;
            gw += 2 * r * d.X[i];
        }
        b -= 0.1 * gb;
        w -= 0.1 * gw;
    }
    std::vector<float> p = m.params();
    CHECK(p[0] == doctest::Approx(b).epsilon(1e-5));
    CHECK(p[1] == doctest::Approx(w).epsilon(1e-5));
}

TEST_CASE("training is deterministic, and the seed changes the shuffle") {
    Data d = dsct::linear_data(500, {1.0, 2.0, 3.0}, 0.5, 0.5, 13);
    dsc_config c = linear_cfg(3);
    c.lr = 0.01f;
    c.batch_size = 16;
    c.momentum = 0.9f;
    c.max_epochs = 5;
    c.seed = 77;
    Model a(c), b(c);
    REQUIRE(dsc_fit(a.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    REQUIRE(dsc_fit(b.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(dsct::bits_equal(a.params(), b.params()));
    c.seed = 78;
    Model other(c);
    REQUIRE(dsc_fit(other.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK_FALSE(dsct::bits_equal(a.params(), other.params()));
    // Shuffling matters: the unshuffled run differs too.
    c.seed = 77;
    c.shuffle = 0;
    Model plain(c);
    REQUIRE(dsc_fit(plain.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK_FALSE(dsct::bits_equal(a.params(), plain.params()));
}

TEST_CASE("fits continue: 3 x 10 epochs equal 30 epochs, reset starts over") {
    Data d = dsct::linear_data(300, {1.0, -1.0}, 0.2, 0.1, 17);
    dsc_config c = linear_cfg(2);
    c.lr = 0.02f;
    c.batch_size = 32;
    c.momentum = 0.8f;
    c.schedule = DSC_LR_INVSCALING;
    c.seed = 5;
    c.max_epochs = 30;
    Model once(c);
    REQUIRE(dsc_fit(once.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    c.max_epochs = 10;
    Model thrice(c);
    for (int i = 0; i < 3; ++i) REQUIRE(dsc_fit(thrice.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(dsct::bits_equal(once.params(), thrice.params()));

    Model fresh(c);
    REQUIRE(dsc_fit(fresh.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    REQUIRE(dsc_reset(thrice.m) == DSC_OK);
    for (float v : thrice.params()) CHECK(v == 0.0f);
    REQUIRE(dsc_fit(thrice.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(dsct::bits_equal(fresh.params(), thrice.params()));
}

TEST_CASE("every model kind learns its own generating function") {
    const size_t n = 400;
    dsct::Rng r(3);
    std::vector<float> x(n), y(n);
    SUBCASE("polynomial degree 2, minibatch with momentum") {
        for (size_t i = 0; i < n; ++i) {
            x[i] = (float)(2 * r.uniform() - 1);
            y[i] = 0.5f - 1.0f * x[i] + 2.0f * x[i] * x[i];
        }
        dsc_config c;
        dsc_config_init(&c, DSC_POLYNOMIAL, 1);
        c.degree = 2;
        c.batch_size = 20;
        c.lr = 0.05f;
        c.momentum = 0.9f;
        c.max_epochs = 300;
        Model m(c);
        REQUIRE(dsc_fit(m.m, x.data(), y.data(), n, nullptr) == DSC_OK);
        std::vector<float> p = m.params();
        CHECK(p[0] == doctest::Approx(0.5).epsilon(1e-2));
        CHECK(p[1] == doctest::Approx(-1.0).epsilon(1e-2));
        CHECK(p[2] == doctest::Approx(2.0).epsilon(1e-2));
    }
    SUBCASE("legendre3 full batch recovers a, b, c, d") {
        for (size_t i = 0; i < n; ++i) {
            x[i] = (float)(2 * r.uniform() - 1);
            double t = 0.1 + 0.8 * x[i];
            y[i] = (float)(0.5 + 1.2 * 0.5 * (5 * t * t * t - 3 * t));
        }
        dsc_config c;
        dsc_config_init(&c, DSC_LEGENDRE3, 1);
        c.lr = 0.02f;
        c.momentum = 0.9f;
        c.max_epochs = 3000;
        Model m(c);
        const float start[4] = {0.0f, 1.0f, 0.0f, 0.5f};
        REQUIRE(dsc_set_params(m.m, start, 4) == DSC_OK);
        REQUIRE(dsc_fit(m.m, x.data(), y.data(), n, nullptr) == DSC_OK);
        std::vector<float> p = m.params();
        CHECK(p[0] == doctest::Approx(0.5).epsilon(1e-3));
        CHECK(p[1] == doctest::Approx(1.2).epsilon(1e-3));
        CHECK(p[2] == doctest::Approx(0.1).epsilon(1e-3));
        CHECK(p[3] == doctest::Approx(0.8).epsilon(1e-3));
    }
    SUBCASE("logistic minibatch reaches the full-batch optimum's accuracy") {
        Data d = dsct::logistic_data(3000, {2.0, -1.0}, 0.5, 12);
        dsc_config c;
        dsc_config_init(&c, DSC_LOGISTIC, 2);
        c.batch_size = 50;
        c.lr = 0.1f;
        c.max_epochs = 30;
        c.seed = 1;
        Model m(c);
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        std::vector<float> p = m.params();
        CHECK(p[0] == doctest::Approx(0.5).epsilon(0.3));
        CHECK(p[1] == doctest::Approx(2.0).epsilon(0.2));
        CHECK(p[2] == doctest::Approx(-1.0).epsilon(0.2));
    }
}

TEST_CASE("full-batch passes longer than one chunk fold the chunks in order") {
    // 40000 rows = 3 chunks of 16384: the result must equal a double-precision reference.
    Data d = dsct::linear_data(40000, {1.0, 2.0}, 3.0, 0.01, 23);
    dsc_config c = linear_cfg(2);
    c.max_epochs = 100;
    Model m(c);
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    CHECK(max_abs_diff(m.params(), dsct::least_squares(d, 2)) <= 1e-4);
}
