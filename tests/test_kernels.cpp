// Every compiled-in SIMD path against the scalar reference: all shapes and remainders,
// unaligned and indexed rows, guard pages after the data, the vectorized exp/log, and whole
// training runs.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "model.hpp"
#include "test_support.hpp"

namespace {

struct Path {
    const char *name;
    dsc_backend backend;
};

std::vector<Path> simd_paths() {
    std::vector<Path> out;
    const Path all[] = {{"sse2", DSC_BACKEND_SSE2}, {"avx2", DSC_BACKEND_AVX2},
                        {"avx512", DSC_BACKEND_AVX512}, {"neon", DSC_BACKEND_NEON}};
    for (const Path &p : all)
        if (dsc_backend_available(p.backend)) out.push_back(p);
    return out;
}

// Floats placed so the last one ends exactly where an inaccessible page begins: any read past
// the end faults.
struct Guarded {
    void *map = nullptr;
    size_t map_bytes = 0;
    float *data = nullptr;
    explicit Guarded(const std::vector<float> &src) {
        const size_t page = (size_t)sysconf(_SC_PAGESIZE);
        const size_t bytes = src.size() * sizeof(float);
        const size_t pages = (bytes + page - 1) / page + 1;
        map_bytes = pages * page;
        map = mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(map != MAP_FAILED);
        char *guard = static_cast<char *>(map) + (pages - 1) * page;
        REQUIRE(mprotect(guard, page, PROT_NONE) == 0);
        data = reinterpret_cast<float *>(guard - bytes);
        if (bytes) std::memcpy(data, src.data(), bytes);
    }
    ~Guarded() { munmap(map, map_bytes); }
};

// |a - b| <= tol * scale, where scale is the sum of |terms| for that output (the L1 mass the
// float32 sums were formed from): summation order changes rounding in proportion to it.
void check_close(double got, double want, double mass, double tol, const char *what) {
    INFO(what, ": got ", got, " want ", want, " mass ", mass);
    CHECK(std::fabs(got - want) <= tol * std::max(mass, 1e-30));
}

enum Op { LinMse, LinBce, Poly, Leg3 };

// Loss and gradient with the L1 mass of each output, in double, from the scalar definitions.
void masses(Op op, const dsc::RowSet &rs, const float *t, uint32_t degree, std::vector<double> &gm,
            double &lm) {
    const uint32_t p = op == LinMse || op == LinBce ? rs.cols + 1 : op == Poly ? degree + 1 : 4;
    gm.assign(p, 0.0);
    lm = 0.0;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = dsc::row_of(rs, r);
        const float *x = rs.X + row * rs.cols;
        if (op == LinMse || op == LinBce) {
            double z = t[0];
            for (uint32_t j = 0; j < rs.cols; ++j) z += (double)t[j + 1] * x[j];
            const double g = op == LinMse ? 2 * (z - rs.y[row]) : 1.0 / (1 + std::exp(-z)) - rs.y[row];
            lm += op == LinMse ? (z - rs.y[row]) * (z - rs.y[row])
                               : std::fabs(std::max(z, 0.0)) + std::log1p(std::exp(-std::fabs(z))) + std::fabs(rs.y[row] * z);
            gm[0] += std::fabs(g);
            for (uint32_t j = 0; j < rs.cols; ++j) gm[j + 1] += std::fabs(g * x[j]);
        } else if (op == Poly) {
            double pred = 0, f = 1;
            for (uint32_t k = 0; k <= degree; ++k, f *= x[0]) pred += t[k] * f;
            const double g = 2 * (pred - rs.y[row]);
            lm += (pred - rs.y[row]) * (pred - rs.y[row]);
            f = 1;
            for (uint32_t k = 0; k <= degree; ++k, f *= x[0]) gm[k] += std::fabs(g * f);
        } else {
            const double u = t[2] + (double)t[3] * x[0], pu = 0.5 * u * (5 * u * u - 3);
            const double r = t[0] + t[1] * pu - rs.y[row], g = 2 * r, gt = g * t[1] * 0.5 * (15 * u * u - 3);
            lm += r * r;
            gm[0] += std::fabs(g);
            gm[1] += std::fabs(g * pu);
            gm[2] += std::fabs(gt);
            gm[3] += std::fabs(gt * x[0]);
        }
    }
}

dsc::LossGradFn pick(const dsc::KernelTable &k, Op op) {
    return op == LinMse ? k.linear_mse : op == LinBce ? k.linear_bce : op == Poly ? k.poly_mse : k.legendre3_mse;
}
dsc::LossFn pick_loss(const dsc::KernelTable &k, Op op) {
    return op == LinMse ? k.linear_mse_loss : op == LinBce ? k.linear_bce_loss : op == Poly ? k.poly_mse_loss : k.legendre3_mse_loss;
}

// Loss and gradient of one path against scalar on the same rows.
void compare_pass(const dsc::KernelTable &simd, Op op, const dsc::RowSet &rs, const float *theta,
                  uint32_t degree) {
    const uint32_t p = op == LinMse || op == LinBce ? rs.cols + 1 : op == Poly ? degree + 1 : 4;
    std::vector<float> acc1(p + 64, 0.0f), acc2(p + 64, 0.0f);
    std::vector<double> g1(p), g2(p), gm;
    double l1, l2, lm;
    pick(dsc::kScalarKernels, op)(rs, theta, degree, acc1.data(), g1.data(), &l1);
    pick(simd, op)(rs, theta, degree, acc2.data(), g2.data(), &l2);
    masses(op, rs, theta, degree, gm, lm);
    check_close(l2, l1, lm, 1e-5, "loss");
    check_close(pick_loss(simd, op)(rs, theta, degree), l1, lm, 1e-5, "loss-only pass");
    for (uint32_t j = 0; j < p; ++j) check_close(g2[j], g1[j], gm[j], 1e-5, "gradient");
}

}  // namespace

TEST_CASE("SIMD passes match scalar for every shape, remainder and alignment") {
    dsct::Rng r(2024);
    for (const Path &path : simd_paths()) {
        const dsc::KernelTable &k = *dsc::kernels_for(path.backend);
        const std::string path_name = path.name;
        CAPTURE(path_name);
        // Linear models: every feature count up to 2 x 16 + 1 and every row count around a
        // vector, a block, and a few blocks, with the rows starting unaligned.
        for (uint32_t cols = 1; cols <= 33; ++cols) {
            for (size_t n : {1u, 2u, 3u, 5u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 255u, 256u, 257u, 700u}) {
                CAPTURE(cols);
                CAPTURE(n);
                std::vector<float> X(n * cols), y(n), yb(n), theta(cols + 1);
                for (auto &v : X) v = (float)r.normal();
                for (auto &v : y) v = (float)r.normal();
                for (auto &v : yb) v = r.uniform() < 0.5 ? 0.0f : 1.0f;
                for (auto &v : theta) v = (float)(0.5 * r.normal());
                Guarded gx(X), gy(y), gyb(yb);
                dsc::RowSet rs = {gx.data, gy.data, nullptr, 0, n, cols};
                compare_pass(k, LinMse, rs, theta.data(), 0);
                rs.y = gyb.data;
                compare_pass(k, LinBce, rs, theta.data(), 0);
                // Predictions: same dot products, different order.
                std::vector<float> o1(n), o2(n + 1);
                dsc::kScalarKernels.linear_predict(gx.data, n, cols, theta.data(), 0, o1.data());
                Guarded go(o1);
                k.linear_predict(gx.data, n, cols, theta.data(), 0, go.data);
                for (size_t i = 0; i < n; ++i) {
                    double mass = std::fabs(theta[0]);
                    for (uint32_t j = 0; j < cols; ++j) mass += std::fabs(theta[j + 1] * gx.data[i * cols + j]);
                    check_close(go.data[i], o1[i], mass, 1e-6, "prediction");
                }
            }
        }
        // One-column models, degrees 0..15, contiguous and unaligned.
        for (size_t n : {1u, 3u, 4u, 5u, 8u, 13u, 16u, 17u, 256u, 300u, 1001u}) {
            std::vector<float> x(n), y(n);
            for (auto &v : x) v = (float)(2 * r.uniform() - 1);
            for (auto &v : y) v = (float)r.normal();
            Guarded gx(x), gy(y);
            dsc::RowSet rs = {gx.data, gy.data, nullptr, 0, n, 1};
            for (uint32_t degree = 0; degree <= 15; ++degree) {
                std::vector<float> c(degree + 1);
                for (auto &v : c) v = (float)r.normal();
                CAPTURE(n);
                CAPTURE(degree);
                compare_pass(k, Poly, rs, c.data(), degree);
                std::vector<float> o1(n), o2(n);
                dsc::kScalarKernels.poly_predict(gx.data, n, 1, c.data(), degree, o1.data());
                Guarded go(o2);
                k.poly_predict(gx.data, n, 1, c.data(), degree, go.data);
                for (size_t i = 0; i < n; ++i) CHECK(go.data[i] == doctest::Approx(o1[i]).epsilon(1e-5).scale(1.0));
            }
            const float t4[4] = {0.3f, -1.1f, 0.2f, 0.7f};
            compare_pass(k, Leg3, rs, t4, 0);
            std::vector<float> o1(n), o2(n);
            dsc::kScalarKernels.legendre3_predict(gx.data, n, 1, t4, 0, o1.data());
            Guarded go(o2);
            k.legendre3_predict(gx.data, n, 1, t4, 0, go.data);
            for (size_t i = 0; i < n; ++i) CHECK(go.data[i] == doctest::Approx(o1[i]).epsilon(1e-6).scale(1.0));
        }
    }
}

TEST_CASE("SIMD indexed row sets (minibatch with shuffle) match scalar") {
    dsct::Rng r(77);
    for (const Path &path : simd_paths()) {
        const dsc::KernelTable &k = *dsc::kernels_for(path.backend);
        const std::string path_name = path.name;
        CAPTURE(path_name);
        for (uint32_t cols : {1u, 3u, 8u, 13u, 32u}) {
            const size_t n = 500;
            std::vector<float> X(n * cols), y(n), theta(cols + 1);
            for (auto &v : X) v = (float)r.normal();
            for (auto &v : y) v = (float)r.normal();
            for (auto &v : theta) v = (float)(0.3 * r.normal());
            for (size_t b : {1u, 5u, 32u, 77u}) {
                std::vector<uint32_t> idx(b);
                for (auto &i : idx) i = (uint32_t)(r.next() % n);
                dsc::RowSet rs = {X.data(), y.data(), idx.data(), 0, b, cols};
                compare_pass(k, LinMse, rs, theta.data(), 0);
                if (cols == 1) {
                    compare_pass(k, Poly, rs, theta.data(), 1);
                    const float t4[4] = {0.3f, -1.1f, 0.2f, 0.7f};
                    compare_pass(k, Leg3, rs, t4, 0);
                }
            }
        }
    }
}

#ifndef DESCENT_NO_NEWTON
// The linear-model curvature passes of every SIMD path against scalar: double sums in a
// different order (rows in batches, vector chunks, FMA), so within a few ulps of the mass of
// each output. Covers every parameter count around the double-vector widths (the packed rows'
// partial chunks), row counts around the row batch, the column map, indexed rows, a guard
// page after the data, and the loss-only mode agreeing with the full one bit for bit.
TEST_CASE("SIMD curvature passes match scalar, with and without the column map") {
    dsct::Rng r(4242);
    for (const Path &path : simd_paths()) {
        const dsc::KernelTable &k = *dsc::kernels_for(path.backend);
        const std::string path_name = path.name;
        CAPTURE(path_name);
        for (uint32_t cols : {1u, 2u, 3u, 4u, 6u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 33u, 40u, 130u}) {
            for (size_t n : {1u, 3u, 7u, 8u, 9u, 17u, 100u}) {
                CAPTURE(cols);
                CAPTURE(n);
                const uint32_t p = cols + 1;
                std::vector<float> X(n * cols), y(n), yb(n), theta(p);
                for (size_t i = 0; i < X.size(); ++i) X[i] = (float)(1e3 * (i % cols) + 40.0 * r.normal());
                for (auto &v : y) v = (float)r.normal();
                for (auto &v : yb) v = r.uniform() < 0.5 ? 0.0f : 1.0f;
                for (auto &v : theta) v = (float)(0.3 * r.normal());
                std::vector<double> shift(cols), inv(cols);
                for (uint32_t j = 0; j < cols; ++j) {
                    shift[j] = 1e3 * j;
                    inv[j] = 1.0 / 40.0;
                }
                Guarded gx(X);
                std::vector<uint32_t> idx(n);
                for (auto &i : idx) i = (uint32_t)(r.next() % n);
                for (int variant = 0; variant < 4; ++variant) {
                    const bool bce = variant & 1, mapped = variant & 2;
                    CAPTURE(bce);
                    CAPTURE(mapped);
                    const dsc::ColumnMap map = {mapped ? shift.data() : nullptr, mapped ? inv.data() : nullptr};
                    for (int indexed = 0; indexed < 2; ++indexed) {
                        dsc::RowSet rs = {gx.data, bce ? yb.data() : y.data(), indexed ? idx.data() : nullptr, 0, n, cols};
                        const dsc::CurvFn fs = bce ? dsc::kScalarKernels.curv_linear_bce : dsc::kScalarKernels.curv_linear_mse;
                        const dsc::CurvFn fv = bce ? k.curv_linear_bce : k.curv_linear_mse;
                        REQUIRE(bool(fv));
                        const size_t tri = (size_t)p * (p + 1) / 2;
                        std::vector<double> sc(p), g1(p), g2(p), h1(tri), h2(tri + 1, 0.0);
                        h2[tri] = 12345.0;  // a sentinel after the matrix: must stay untouched
                        double l1, l2, l3;
                        fs(rs, map, theta.data(), 0, sc.data(), g1.data(), h1.data(), &l1);
                        fv(rs, map, theta.data(), 0, sc.data(), g2.data(), h2.data(), &l2);
                        fv(rs, map, theta.data(), 0, sc.data(), nullptr, nullptr, &l3);
                        CHECK(l3 == l2);
                        CHECK(h2[tri] == 12345.0);
                        // Gradient without the matrix (the solver keeps a constant one): the
                        // same loss and gradient bits, on the scalar path and this one.
                        for (const dsc::CurvFn f : {fs, fv}) {
                            std::vector<double> g3(p, -1.0);
                            double l4;
                            f(rs, map, theta.data(), 0, sc.data(), g3.data(), nullptr, &l4);
                            const std::vector<double> &gw = f == fs ? g1 : g2;
                            CHECK(l4 == (f == fs ? l1 : l2));
                            CHECK(std::memcmp(g3.data(), gw.data(), p * sizeof(double)) == 0);
                        }
                        // Masses: sum over rows of |g J_i| and |h J_i J_j|, in double.
                        std::vector<double> gm(p, 0.0), hm(tri, 0.0), J(p);
                        double lm = 0.0;
                        for (size_t q = 0; q < n; ++q) {
                            const size_t row = dsc::row_of(rs, q);
                            J[0] = 1.0;
                            double z = theta[0], zm = std::fabs(theta[0]);
                            for (uint32_t j = 0; j < cols; ++j) {
                                const double x = gx.data[row * cols + j];
                                J[j + 1] = mapped ? (x - shift[j]) * inv[j] : x;
                                z += theta[j + 1] * J[j + 1];
                                zm += std::fabs(theta[j + 1] * J[j + 1]);
                            }
                            const double yy = rs.y[row];
                            const double g = bce ? 1.0 / (1.0 + std::exp(-z)) - yy : 2 * (z - yy);
                            const double h = bce ? 0.25 : 2.0;
                            // Rounding in z (mass zm) moves every output by about g' zm eps.
                            lm += (bce ? 1.0 + std::fabs(z) : std::fabs(z - yy) * 2) * zm + std::fabs(yy * z);
                            size_t t = 0;
                            for (uint32_t i = 0; i < p; ++i) {
                                gm[i] += (std::fabs(g) + h * zm) * std::fabs(J[i]);
                                for (uint32_t j = 0; j <= i; ++j) hm[t++] += h * std::fabs(J[i] * J[j]) * (bce ? 1.0 + zm : 1.0);
                            }
                        }
                        check_close(l2, l1, lm, 1e-13, "curvature loss");
                        for (uint32_t i = 0; i < p; ++i) check_close(g2[i], g1[i], gm[i], 1e-13, "curvature gradient");
                        int bad = 0;
                        for (size_t t = 0; t < tri; ++t)
                            if (std::fabs(h2[t] - h1[t]) > 1e-13 * std::max(hm[t], 1e-300)) ++bad;
                        CHECK(bad == 0);
                    }
                }
            }
        }
    }
}
#endif

TEST_CASE("SIMD column statistics equal scalar bit for bit, on physical-unit columns") {
    // Standardization's pass: Welford's mean and squared deviations per column in double, and
    // the float min / max folded into what the caller holds. Every path gives the scalar bits
    // (the lanes are columns, with the same operations uncontracted), and the values agree with
    // a float64 two-pass computation.
    dsct::Rng r(777);
    for (const Path &path : simd_paths()) {
        const dsc::KernelTable &k = *dsc::kernels_for(path.backend);
        const std::string path_name = path.name;
        CAPTURE(path_name);
        for (uint32_t cols : {1u, 2u, 3u, 5u, 8u, 9u, 17u, 33u, 42u, 70u}) {
            for (size_t n : {1u, 2u, 7u, 300u}) {
                CAPTURE(cols);
                CAPTURE(n);
                const size_t begin = 3;
                std::vector<float> X((begin + n) * cols + 1);
                for (size_t i = 0; i < X.size(); ++i) {
                    const uint32_t j = (uint32_t)(i % cols);
                    // pressures near 1e5, strains near 1e-3, an offset column, a constant one
                    const double scale = j % 4 == 0 ? 1e5 : j % 4 == 1 ? 1e-3 : j % 4 == 2 ? 1.0 : 0.0;
                    X[i] = (float)(scale * (1.0 + (j % 4 == 2 ? 100.0 : 0.0) + 0.01 * r.normal()));
                }
                const uint32_t use = cols > 2 ? cols - 1 : cols;  // the caller may skip columns
                std::vector<double> m1(use), q1(use), m2(use), q2(use);
                std::vector<float> lo1(use, 1e30f), hi1(use, -1e30f), lo2(lo1), hi2(hi1);
                dsc::kScalarKernels.col_stats(X.data(), begin, n, cols, use, m1.data(), q1.data(),
                                              lo1.data(), hi1.data());
                REQUIRE(bool(k.col_stats));
                k.col_stats(X.data(), begin, n, cols, use, m2.data(), q2.data(), lo2.data(), hi2.data());
                CHECK(std::memcmp(m1.data(), m2.data(), use * sizeof(double)) == 0);
                CHECK(std::memcmp(q1.data(), q2.data(), use * sizeof(double)) == 0);
                CHECK(lo1 == lo2);
                CHECK(hi1 == hi2);
                for (uint32_t j = 0; j < use; ++j) {
                    double mean = 0.0, ss = 0.0;
                    float lo = 1e30f, hi = -1e30f;
                    for (size_t q = 0; q < n; ++q) mean += X[(begin + q) * cols + j];
                    mean /= (double)n;
                    for (size_t q = 0; q < n; ++q) {
                        const float x = X[(begin + q) * cols + j];
                        ss += (x - mean) * (x - mean);
                        lo = std::min(lo, x);
                        hi = std::max(hi, x);
                    }
                    CHECK(std::fabs(m2[j] - mean) <= 1e-14 * std::fabs(mean) + 1e-300);
                    CHECK(std::fabs(q2[j] - ss) <= 1e-10 * ss + 1e-12 * mean * mean * 1e-10);
                    CHECK(lo2[j] == lo);
                    CHECK(hi2[j] == hi);
                }
            }
        }
    }
}

TEST_CASE("BCE stays finite and accurate at extreme logits on every path") {
    for (const Path &path : simd_paths()) {
        const dsc::KernelTable &k = *dsc::kernels_for(path.backend);
        const std::string path_name = path.name;
        CAPTURE(path_name);
        std::vector<float> X, y;
        for (float z : {-1e4f, -200.0f, -88.0f, -87.0f, -30.0f, -1e-3f, 0.0f, 1e-3f, 30.0f, 87.0f, 200.0f, 1e4f})
            for (float lbl : {0.0f, 1.0f}) {
                X.push_back(z);
                y.push_back(lbl);
            }
        const float theta[2] = {0.0f, 1.0f};
        for (size_t i = 0; i < y.size(); ++i) {
            dsc::RowSet rs = {X.data(), y.data(), nullptr, i, 1, 1};
            float acc[8] = {};
            double g[2], l;
            k.linear_bce(rs, theta, 0, acc, g, &l);
            const double z = X[i];
            const double ref = std::max(z, 0.0) + std::log1p(std::exp(-std::fabs(z))) - y[i] * z;
            // sigmoid(z) - y without cancellation: q = e^-|z| / (1 + e^-|z|).
            const double q = std::exp(-std::fabs(z)) / (1 + std::exp(-std::fabs(z)));
            const double dz = z >= 0 ? (1 - y[i]) - q : q - y[i];
            INFO("z=", z, " y=", y[i]);
            REQUIRE(std::isfinite(l));
            CHECK(std::fabs(l - ref) <= 1e-6 * std::max(1.0, std::fabs(ref)) + 1e-37);
            CHECK(std::fabs(g[0] - dz) <= 1e-6 * std::fabs(dz) + 2e-38);
        }
    }
}

TEST_CASE("vectorized exp and log1p are accurate to a few ulp") {
    // Reference: double-precision libm, rounded to float. Measured over a dense sweep.
    auto ulp_err = [](float got, double want) {
        const float w = (float)want;
        if (got == w) return 0.0;
        const float next = std::nextafter(w, got > w ? INFINITY : -INFINITY);
        return std::fabs((double)got - want) / std::fabs((double)next - (double)w);
    };
    std::vector<float> xs, ts;
    for (int i = 0; i <= 400000; ++i) xs.push_back((float)(-87.0 * i / 400000.0));
    for (int i = 0; i <= 200000; ++i) ts.push_back((float)(i / 200000.0));
    for (float t = 1e-30f; t < 1e-3f; t *= 1.37f) ts.push_back(t);  // tiny t: log1p(t) ~ t
    std::vector<const dsc::KernelTable *> tables = {&dsc::kScalarKernels};
    for (const Path &p : simd_paths()) tables.push_back(dsc::kernels_for(p.backend));
    for (const dsc::KernelTable *k : tables) {
        std::vector<float> e(xs.size()), l(ts.size());
        k->exp_neg(xs.data(), e.data(), xs.size());
        k->log1p_unit(ts.data(), l.data(), ts.size());
        double emax = 0, lmax = 0;
        for (size_t i = 0; i < xs.size(); ++i) emax = std::max(emax, ulp_err(e[i], std::exp((double)xs[i])));
        for (size_t i = 0; i < ts.size(); ++i) lmax = std::max(lmax, ulp_err(l[i], std::log1p((double)ts[i])));
        MESSAGE(std::string(k->name), ": exp max error ", emax, " ulp, log1p max error ", lmax, " ulp");
        CHECK(emax <= 1.5);
        CHECK(lmax <= 2.5);
    }
}

#ifndef DESCENT_NO_NEWTON
// The logistic curvature pass's row terms in double (loss, derivative, second derivative): the
// scalar path uses libm; the SIMD paths their own vector exp and log1p. One row per call, z = x
// (theta = [0, 1]) swept over [-800, 800] and tiny values, against long double. The loss is
// max(z, 0) + log1p(e^-|z|) - y z on every path, so its error is measured against the mass of
// those terms (the subtraction cancels when y = 1 and z >> 0); g and h against themselves.
// Below z = -708 the SIMD exp clamps to e^-708: an absolute 1e-300.
TEST_CASE("curvature pass BCE row terms are accurate in double on every path") {
    std::vector<float> zs;
    const int N = 40000;
    for (int i = -N; i <= N; ++i) zs.push_back((float)(800.0 * i / N));
    for (float t = 1e-30f; t < 1.0f; t *= 3.1f) {
        zs.push_back(t);
        zs.push_back(-t);
    }
    std::vector<const dsc::KernelTable *> tables = {&dsc::kScalarKernels};
    for (const Path &p : simd_paths()) tables.push_back(dsc::kernels_for(p.backend));
    const float theta[2] = {0.0f, 1.0f};
    const double eps = std::ldexp(1.0, -52);
    for (const dsc::KernelTable *k : tables) {
        double lmax = 0, gmax = 0, hmax = 0;  // in ulps (of the mass, of g, of h)
        for (float zf : zs) {
            for (float yf : {0.0f, 1.0f}) {
                const dsc::RowSet rs = {&zf, &yf, nullptr, 0, 1, 1};
                double sc[2], g[2], h[3], l;
                k->curv_linear_bce(rs, dsc::ColumnMap{nullptr, nullptr}, theta, 0, sc, g, h, &l);
                const long double z = zf, y = yf;
                const long double t = expl(-fabsl(z)), q = t / (1 + t);
                const long double gr = z >= 0 ? (1 - y) - q : q - y, hr = q / (1 + t);
                const long double lr = ((z > 0 ? z : 0) + log1pl(t)) - y * z;
                const long double mass = (z > 0 ? z : 0) + log1pl(t) + fabsl(y * z);
                const double abs_floor = 1e-300;
                auto ulps = [&](double got, long double want, long double scale) {
                    const long double err = fabsl((long double)got - want);
                    return err <= abs_floor ? 0.0 : (double)(err / (scale * eps));
                };
                lmax = std::max(lmax, ulps(l, lr, mass));
                gmax = std::max(gmax, ulps(g[0], gr, fabsl(gr)));
                hmax = std::max(hmax, ulps(h[0], hr, hr));
            }
        }
        MESSAGE(std::string(k->name), ": BCE row terms in double, max error: loss ", lmax,
                " ulp of its mass, derivative ", gmax, " ulp, second derivative ", hmax, " ulp");
        CHECK(lmax <= 4.0);
        CHECK(gmax <= 4.0);
        CHECK(hmax <= 4.0);
    }
}
#endif

TEST_CASE("100-epoch training runs agree across paths and repeat bit for bit") {
    struct Setup {
        const char *name;
        dsc_model_kind kind;
        uint32_t d, batch;
        float lr, momentum;
        uint32_t nesterov;
    };
    const Setup setups[] = {
        {"linear full batch auto lr", DSC_LINEAR, 13, 0, 0.0f, 0.0f, 0},
        {"linear minibatch nesterov", DSC_LINEAR, 5, 32, 0.01f, 0.9f, 1},
        {"logistic full batch", DSC_LOGISTIC, 9, 0, 0.5f, 0.0f, 0},
        {"logistic minibatch momentum", DSC_LOGISTIC, 9, 64, 0.1f, 0.9f, 0},
        {"polynomial degree 5", DSC_POLYNOMIAL, 1, 0, 0.0f, 0.0f, 0},
        {"legendre3 momentum", DSC_LEGENDRE3, 1, 16, 1e-3f, 0.5f, 0},
    };
    for (const Setup &s : setups) {
        CAPTURE(s.name);
        dsct::Data d;
        if (s.kind == DSC_LOGISTIC) {
            d = dsct::logistic_data(3001, std::vector<double>(s.d, 0.7), 0.2, 31);
        } else {
            d = dsct::linear_data(3001, std::vector<double>(s.d, 0.5), 1.0, 0.1, 31);
            if (s.d == 1)
                for (size_t i = 0; i < d.n; ++i) d.y[i] = std::sin(2.0f * d.X[i]) + 0.3f;
        }
        dsc_config c;
        dsc_config_init(&c, s.kind, s.d);
        c.degree = 5;
        c.batch_size = s.batch;
        c.lr = s.lr;
        c.momentum = s.momentum;
        c.nesterov = s.nesterov;
        c.seed = 9;
        c.max_epochs = 100;
        auto train = [&](dsc_backend b) {
            c.backend = b;
            dsct::Model m(c);
            REQUIRE(m.status == DSC_OK);
            if (s.kind == DSC_LEGENDRE3) {
                const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
                dsc_set_params(m.m, start, 4);
            }
            REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
            return m.params();
        };
        const std::vector<float> ref = train(DSC_BACKEND_SCALAR);
        double scale = 0;
        for (float v : ref) scale = std::max(scale, (double)std::fabs(v));
        for (const Path &path : simd_paths()) {
            const std::string path_name = path.name;
        CAPTURE(path_name);
            const std::vector<float> a = train(path.backend), b = train(path.backend);
            CHECK(dsct::bits_equal(a, b));
            for (size_t j = 0; j < ref.size(); ++j) {
                INFO("param ", j, ": ", a[j], " vs scalar ", ref[j]);
                CHECK(std::fabs(a[j] - ref[j]) <= 1e-4 * std::max((double)std::fabs(ref[j]), 0.1 * scale));
            }
        }
    }
}

TEST_CASE("forcing a path: explicit backends, availability, names") {
    CHECK(dsc_backend_available(DSC_BACKEND_SCALAR) == 1);
    CHECK(dsc_backend_available(DSC_BACKEND_AUTO) == 1);
    CHECK(dsc_backend_available(DSC_BACKEND_CUDA) == 0);
    CHECK(dsc_backend_available((dsc_backend)99) == 0);
    const Path all[] = {{"scalar", DSC_BACKEND_SCALAR}, {"sse2", DSC_BACKEND_SSE2}, {"avx2", DSC_BACKEND_AVX2},
                        {"avx512", DSC_BACKEND_AVX512}, {"neon", DSC_BACKEND_NEON}};
    for (const Path &p : all) {
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 2);
        c.backend = p.backend;
        std::vector<uint64_t> arena(4096);
        dsc_model *m = nullptr;
        const dsc_status s = dsc_create(&c, arena.data(), arena.size() * 8, &m);
        if (dsc_backend_available(p.backend)) {
            REQUIRE(s == DSC_OK);
            CHECK(std::strcmp(dsc_backend_name(m), p.name) == 0);
        } else {
            CHECK(s == DSC_ERR_UNSUPPORTED);  // never SIGILL
            CHECK(m == nullptr);
        }
    }
#if defined(__x86_64__)
    CHECK(dsc_backend_available(DSC_BACKEND_SSE2) == 1);  // every x86-64 has SSE2
#endif
}
