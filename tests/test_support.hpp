// Shared helpers for the doctest suite: deterministic data and arena-backed models.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "descent.h"

namespace dsct {

// splitmix64-based generator: the same numbers on every platform.
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }
    double normal() {
        double u1 = uniform(), u2 = uniform();
        if (u1 < 1e-300) u1 = 1e-300;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
};

// The raw-feature GD the library ran before standardization and NEWTON existed: what tests of
// the automatic rate and of GD trajectories with lr = 0 pin down.
inline void raw_gd(dsc_config *c) {
    c->solver = DSC_SOLVER_GD;
    c->standardize = DSC_STANDARDIZE_OFF;
    c->conv_tol = -1.0f;
}

// The full blob of a model (dsc_save).
inline std::vector<uint8_t> save_full(const dsc_model *m) {
    std::vector<uint8_t> b(dsc_save_size(m));
    size_t w = 0;
    REQUIRE(dsc_save(m, b.data(), b.size(), &w) == DSC_OK);
    b.resize(w);
    return b;
}

// A model loaded from a blob, in an arena of exactly the size dsc_load_arena_size asks for.
struct Loaded {
    std::vector<uint64_t> arena;
    dsc_model *m = nullptr;
    explicit Loaded(const std::vector<uint8_t> &blob) {
        size_t need = 0;
        REQUIRE(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
        arena.assign(need / 8 + 1, 0);
        REQUIRE(dsc_load(blob.data(), blob.size(), arena.data(), need, &m) == DSC_OK);
    }
};

// Solves the small symmetric system A x = b (Gaussian elimination, partial pivoting).
inline std::vector<double> solve(std::vector<std::vector<double>> A, std::vector<double> b) {
    const size_t p = b.size();
    for (size_t c = 0; c < p; ++c) {
        size_t piv = c;
        for (size_t r = c + 1; r < p; ++r)
            if (std::abs(A[r][c]) > std::abs(A[piv][c])) piv = r;
        std::swap(A[c], A[piv]);
        std::swap(b[c], b[piv]);
        for (size_t r = c + 1; r < p; ++r) {
            const double f = A[r][c] / A[c][c];
            for (size_t k = c; k < p; ++k) A[r][k] -= f * A[c][k];
            b[r] -= f * b[c];
        }
    }
    std::vector<double> x(p);
    for (size_t r = p; r-- > 0;) {
        double s = b[r];
        for (size_t k = r + 1; k < p; ++k) s -= A[r][k] * x[k];
        x[r] = s / A[r][r];
    }
    return x;
}

// A model and the arena it lives in.
struct Model {
    std::vector<uint64_t> arena;  // uint64_t storage keeps it 8-byte aligned
    dsc_model *m = nullptr;
    dsc_status status = DSC_ERR_INVALID_ARGUMENT;
    explicit Model(const dsc_config &cfg) {
        size_t bytes = dsc_arena_size(&cfg);
        arena.assign(bytes / 8 + 1, 0);
        status = dsc_create(&cfg, arena.data(), bytes, &m);
    }
    std::vector<float> params() const {
        std::vector<float> p(dsc_param_count(m));
        dsc_get_params(m, p.data(), p.size());
        return p;
    }
};

struct Data {
    std::vector<float> X, y;
    size_t n = 0;
};

// y = bias + w.x + noise, x ~ N(0,1).
inline Data linear_data(size_t n, const std::vector<double> &w, double bias, double noise,
                        uint64_t seed) {
    Rng r(seed);
    Data d;
    d.n = n;
    const size_t cols = w.size();
    d.X.resize(n * cols);
    d.y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        double t = bias;
        for (size_t j = 0; j < cols; ++j) {
            d.X[i * cols + j] = (float)r.normal();
            t += w[j] * d.X[i * cols + j];
        }
        d.y[i] = (float)(t + noise * r.normal());
    }
    return d;
}

// Labels drawn from sigmoid(bias + w.x).
inline Data logistic_data(size_t n, const std::vector<double> &w, double bias, uint64_t seed) {
    Rng r(seed);
    Data d;
    d.n = n;
    const size_t cols = w.size();
    d.X.resize(n * cols);
    d.y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        double z = bias;
        for (size_t j = 0; j < cols; ++j) {
            d.X[i * cols + j] = (float)r.normal();
            z += w[j] * d.X[i * cols + j];
        }
        d.y[i] = r.uniform() < 1.0 / (1.0 + std::exp(-z)) ? 1.0f : 0.0f;
    }
    return d;
}

// Least squares [bias, w] in double: normal equations solved by Gaussian elimination with
// partial pivoting (independent of the library).
inline std::vector<double> least_squares(const Data &d, size_t cols) {
    const size_t p = cols + 1;
    std::vector<double> A(p * p, 0.0), b(p, 0.0), phi(p);
    for (size_t i = 0; i < d.n; ++i) {
        phi[0] = 1.0;
        for (size_t j = 0; j < cols; ++j) phi[j + 1] = d.X[i * cols + j];
        for (size_t a = 0; a < p; ++a) {
            b[a] += phi[a] * d.y[i];
            for (size_t c = 0; c < p; ++c) A[a * p + c] += phi[a] * phi[c];
        }
    }
    for (size_t k = 0; k < p; ++k) {
        size_t piv = k;
        for (size_t r = k + 1; r < p; ++r)
            if (std::fabs(A[r * p + k]) > std::fabs(A[piv * p + k])) piv = r;
        for (size_t c = 0; c < p; ++c) std::swap(A[k * p + c], A[piv * p + c]);
        std::swap(b[k], b[piv]);
        for (size_t r = k + 1; r < p; ++r) {
            double f = A[r * p + k] / A[k * p + k];
            for (size_t c = k; c < p; ++c) A[r * p + c] -= f * A[k * p + c];
            b[r] -= f * b[k];
        }
    }
    std::vector<double> x(p);
    for (size_t k = p; k-- > 0;) {
        double s = b[k];
        for (size_t c = k + 1; c < p; ++c) s -= A[k * p + c] * x[c];
        x[k] = s / A[k * p + k];
    }
    return x;
}

inline bool bits_equal(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace dsct
