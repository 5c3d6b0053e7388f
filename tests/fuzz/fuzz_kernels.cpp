// Fuzz target (c): every compiled-in kernel path against the scalar reference.
//
// Mode A (first byte < 160): one kernel of the table (loss+gradient, loss only, prediction,
// Gram product, exp, log1p) on fuzzer-chosen shapes: 1..40 features, 1..320 rows (across the
// 256-row block), contiguous or indexed row sets (duplicates allowed), strided one-column data,
// every polynomial degree. The data ends exactly at an inaccessible page, so a read past the
// end faults even where ASan cannot see it (gathers, masked loads). Each SIMD path must agree
// with scalar within a bound derived from first-order rounding analysis (below), and repeat
// bit for bit.
//
// Mode B (first byte >= 160): a config + data case (the fuzz_fit parser, hostile values
// included) run through the whole public API once per compiled-in path, with every contract
// check of fit_case.hpp; the statuses that come from validation must not depend on the path.
//
// ---- The tolerance ---------------------------------------------------------------------------
// tests/test_kernels.cpp checks |simd - scalar| <= 1e-5 * (L1 mass of the terms), the mass
// being sum |g_i x_ij| over rows. That is an empirical bound for random data: it does not hold
// when the residual r = z - y cancels (y ~ b + w.x, r tiny, but z was summed from large
// terms), which a fuzzer finds at once. Here the bound is a proof instead:
//   inputs lie on binary grids with bounded magnitudes (x = k/256, |x| < 128; theta = k/8;
//   polynomial x = k/8, |x| <= 2; ...), so every intermediate is 0 or a normal float (no
//   underflow) and nothing overflows, while dot products of 40 such terms still round; then
//   each computed output of a +,-,x expression, fused
//   or not, in any order, is the exact value with every monomial scaled by a product of at
//   most N factors (1 + d), |d| <= u = 2^-24, where N is the longest chain of roundings a
//   monomial passes through (dot product + residual + square or product + the block sum of at
//   most 256 rows and the lane/hadd trees). Hence |computed - exact| <= gamma(N) * A, with
//   gamma(N) = N u / (1 - N u) and A the same expression evaluated on absolute values with
//   every subtraction turned into an addition, and
//       |simd - scalar| <= 2 gamma(N) A.
//   For linear MSE with 40 features, N = 2 (40 + 10) + 280 = 380: 2 gamma = 4.5e-5 of A,
//   where A = sum over rows of (|b| + sum |w_j x_j| + |y|)^2 for the loss, 2 (..)|x_j| for
//   gradient j. BCE adds exp/log1p (<= 1.5 / 2.5 ulp, tests/test_kernels.cpp) and the SIMD
//   clamp of e^x at x = -87.3 (an absolute 1.2e-38): bounded through sigmoid' <= 1/4 and
//   |d loss / dz| <= 1 for labels in [0, 1].
#include <sys/mman.h>
#include <unistd.h>

#include "fit_case.hpp"
#include "kernels.h"

namespace {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24, float32 unit roundoff
double gam(double n) { return n * kU / (1.0 - n * kU); }

std::vector<const dsc::KernelTable *> simd_tables() {
    std::vector<const dsc::KernelTable *> out;
    const dsc_backend all[] = {DSC_BACKEND_SSE2, DSC_BACKEND_AVX2, DSC_BACKEND_AVX512, DSC_BACKEND_NEON};
    for (dsc_backend b : all)
        if (dsc_backend_available(b)) out.push_back(dsc::kernels_for(b));
    return out;
}

// Floats placed so the last one ends exactly where an inaccessible page begins.
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
        FUZZ_CHECK(map != MAP_FAILED);
        char *guard = static_cast<char *>(map) + (pages - 1) * page;
        FUZZ_CHECK(mprotect(guard, page, PROT_NONE) == 0);
        data = reinterpret_cast<float *>(guard - bytes);
        if (bytes) memcpy(data, src.data(), bytes);
    }
    ~Guarded() { munmap(map, map_bytes); }
    Guarded(const Guarded &) = delete;
    Guarded &operator=(const Guarded &) = delete;
};

enum Op { LinMse, LinBce, PolyMse, Leg3Mse, LinPredict, PolyPredict, Leg3Predict, LinGram, PolyGram, ExpNeg, Log1p, LinRobust, kOps };

const char *op_name(int op) {
    static const char *const kNames[] = {"linear_mse", "linear_bce", "poly_mse", "legendre3_mse",
                                         "linear_predict", "poly_predict", "legendre3_predict",
                                         "linear_gram", "poly_gram", "exp_neg", "log1p_unit",
                                         "linear_robust"};
    return kNames[op];
}

bool is_linear(int op) {
    return op == LinMse || op == LinBce || op == LinPredict || op == LinGram || op == LinRobust;
}
bool is_poly(int op) { return op == PolyMse || op == PolyPredict || op == PolyGram; }

struct Case {
    int op = 0;
    uint32_t cols = 1, degree = 0;
    uint32_t loss = 1;  // LinRobust: a kernels.h RowLoss, and its parameter
    float eps = 0.5f;
    size_t nrows = 1, begin = 0, count = 1;
    std::vector<uint32_t> idx;  // empty: contiguous rows begin..begin+count
    std::vector<float> X, y, theta, v;  // v: exp / log1p inputs
};

float grid_x(fz::Input &in, int op) {
    if (is_linear(op)) return (float)(int16_t)in.u16() / 256.0f;  // |x| < 128, grid 1/256
    const int8_t k = (int8_t)in.u8();
    if (is_poly(op)) return (float)(k % 17) / 8.0f;  // |x| <= 2, grid 1/8
    return (float)k / 32.0f;                         // legendre3: |x| < 4, grid 1/32
}

float grid_theta(fz::Input &in, int op) {
    const int8_t k = (int8_t)in.u8();
    if (is_linear(op) || is_poly(op)) return (float)k / 8.0f;  // |theta| <= 16, grid 1/8
    return (float)k / 16.0f;                                   // legendre3: |theta| <= 8
}

void parse(fz::Input &in, Case *c) {
    c->op = in.u8() % kOps;
    const int op = c->op;
    if (op == ExpNeg || op == Log1p) {
        const size_t n = 1 + in.u8() % 64;
        c->v.resize(n);
        for (float &x : c->v) {
            const uint8_t s = in.u8();
            float t = s < 128 ? (float)in.u16() / 65535.0f : std::fabs(in.raw_f32());
            if (op == ExpNeg) {
                t = s < 128 ? -87.0f * t : -t;
                if (!(t >= -87.0f && t <= 0.0f)) t = -87.0f * (float)(s % 100) / 100.0f;
            } else if (!(t >= 0.0f && t <= 1.0f)) {
                t = (float)(s % 100) / 100.0f;
            }
            x = t;
        }
        return;
    }
    c->cols = is_linear(op) ? 1 + in.u8() % 40 : 1 + in.u8() % 3;  // one-column kinds: a stride
    c->degree = in.u8() % 16;
    c->nrows = 1 + in.u16() % 320;
    const bool passes = op != LinPredict && op != PolyPredict && op != Leg3Predict;
    if (passes && (in.u8() & 1)) {
        c->count = 1 + in.u16() % 320;
        c->idx.resize(c->count);
        for (uint32_t &i : c->idx) i = in.u16() % c->nrows;
    } else {
        c->begin = in.u16() % c->nrows;
        c->count = 1 + in.u16() % (c->nrows - c->begin);
    }
    c->X.resize(c->nrows * c->cols);
    for (float &x : c->X) x = grid_x(in, op);
    if (op == LinRobust) {
        c->loss = 1 + in.u8() % 4;
        c->eps = (float)(in.u8() % 33) / 8.0f;  // [0, 4], grid 1/8: kinks on the data's grid
        if (c->loss == dsc::kRowHuber && c->eps == 0.0f) c->eps = 0.125f;
    }
    c->y.resize(c->nrows);
    for (float &t : c->y) {
        if (op == LinRobust && c->loss == dsc::kRowHinge) {
            t = (float)(in.u8() & 1);  // labels 0 / 1
        } else if (op == LinBce) {
            const uint8_t s = in.u8();
            t = s < 128 ? (float)(s & 1) : (float)in.u8() / 256.0f;  // labels in [0, 1]
        } else {
            t = (float)(int16_t)in.u16() / 64.0f;  // |y| <= 512, grid 1/64
        }
    }
    const uint32_t p = is_linear(op) ? c->cols + 1 : is_poly(op) ? c->degree + 1 : 4;
    c->theta.resize(p);
    for (float &t : c->theta) t = grid_theta(in, op);
    // Cancellation: targets equal to the exact prediction rounded to float (plus a small grid
    // step), so residuals are tiny next to the terms they were summed from. This is where a
    // bound relative to the residual-based mass fails and the one used here must hold.
    if ((op == LinMse || op == PolyMse || op == Leg3Mse) && (in.u8() & 3) == 0) {
        const float *t = c->theta.data();
        for (size_t i = 0; i < c->nrows; ++i) {
            const float *x = &c->X[i * c->cols];
            double z;
            if (op == LinMse) {
                z = t[0];
                for (uint32_t j = 0; j < c->cols; ++j) z += (double)t[j + 1] * x[j];
            } else if (op == PolyMse) {
                z = 0.0;
                for (uint32_t k = c->degree + 1; k-- > 0;) z = z * x[0] + t[k];
            } else {
                const double u = t[2] + (double)t[3] * x[0];
                z = t[0] + t[1] * 0.5 * u * (5.0 * u * u - 3.0);
            }
            c->y[i] = (float)z + (float)((int)(in.u8() % 5) - 2) / 64.0f;
        }
    }
}

// ---- outputs and their bounds ------------------------------------------------------------------

struct Result {
    std::vector<double> out;    // loss then gradient; or predictions; or Gram sums then max_sq
    std::vector<double> bound;  // per output: the allowed |simd - scalar|
    double loss_only = 0.0;     // the loss-only pass, where there is one
};

struct RowView {
    const float *x;  // the row's first feature
    float y;
};

RowView row(const Case &c, const dsc::RowSet &rs, size_t r) {
    const size_t i = dsc::row_of(rs, r);
    return {rs.X + i * c.cols, c.y.empty() ? 0.0f : rs.y[i]};
}

// Bounds from first-order error analysis (see the file comment); A values in double.
std::vector<double> bounds(const Case &c, const dsc::RowSet &rs) {
    const int op = c.op;
    const float *t = c.theta.data();
    const uint32_t d = c.cols, k = c.degree;
    const double sum_gamma = gam(280);  // block sums (<= 256 rows), lane trees, double folds
    std::vector<double> A;
    if (op == LinRobust) {
        // Per row, either path's z is within ez = gz S of the exact one and r = z - y rounds
        // once more; every loss here is 2(|r| + 1)-Lipschitz in z and its derivative
        // 2-Lipschitz, except at the kinks of epsilon-insensitive (|r| = eps) and hinge
        // (s z = 1), where the derivative jumps by 1: a row whose exact value lies within
        // the two paths' rounding of a kink may take either side, and adds that jump.
        A.assign(d + 2, 0.0);
        std::vector<double> e(d + 2, 0.0);
        const double gz = gam(d + 10);
        for (size_t r = 0; r < rs.count; ++r) {
            const RowView rv = row(c, rs, r);
            double S = std::fabs(t[0]), z = t[0];
            for (uint32_t j = 0; j < d; ++j) {
                S += std::fabs((double)t[j + 1] * rv.x[j]);
                z += (double)t[j + 1] * rv.x[j];
            }
            const double ay = std::fabs((double)rv.y), R = S + ay, ez = gz * S;
            const double win = 2 * ez + 4 * kU * (R + 1) + 1e-30;
            double jump = 0.0;
            if (c.loss == dsc::kRowEpsIns && std::fabs(std::fabs(z - rv.y) - c.eps) <= win) jump = 1.0;
            if (c.loss == dsc::kRowHinge && std::fabs((2.0 * rv.y - 1.0) * z - 1.0) <= win) jump = 1.0;
            const double dl = 2 * (R + 1) * (2 * ez + 4 * kU * (R + 1)) + 8 * kU * (R * R + R + 1);
            const double dg = 2 * (2 * ez + 4 * kU * (R + 1)) + jump;
            e[0] += dl;
            A[0] += R * R + R + 1 + S;
            e[1] += dg;
            A[1] += 2 * R + 1;
            for (uint32_t j = 0; j < d; ++j) {
                e[j + 2] += std::fabs(rv.x[j]) * dg;
                A[j + 2] += std::fabs(rv.x[j]) * (2 * R + 1);
            }
        }
        std::vector<double> b(d + 2);
        for (size_t j = 0; j < b.size(); ++j) b[j] = 2 * (e[j] + sum_gamma * A[j]);
        return b;
    }
    if (op == LinMse || op == LinBce || op == LinGram) {
        A.assign(d + 2, 0.0);
        double max_sq = 0.0;
        std::vector<double> e(d + 2, 0.0);  // BCE: propagated per-row errors
        const double gz = gam(d + 10);      // |z_hat - z| <= gz * S on either path
        for (size_t r = 0; r < rs.count; ++r) {
            const RowView rv = row(c, rs, r);
            double S = std::fabs(t[0]), sq = 1.0;
            for (uint32_t j = 0; j < d; ++j) {
                S += std::fabs((double)t[j + 1] * rv.x[j]);
                sq += (double)rv.x[j] * rv.x[j];
            }
            const double ay = std::fabs((double)rv.y);
            if (op == LinMse) {
                const double R = S + ay;
                A[0] += R * R;
                A[1] += 2 * R;
                for (uint32_t j = 0; j < d; ++j) A[j + 2] += 2 * R * std::fabs(rv.x[j]);
            } else if (op == LinBce) {
                const double ez = gz * S, Zb = S + ez;
                const double dg = 0.25 * ez + 8 * kU * (1 + ay) + 2e-38;
                const double dl = ez + 8 * kU * (1 + Zb + ay * Zb) + 2e-38;
                e[0] += dl;
                A[0] += Zb + 1 + ay * Zb;
                e[1] += dg;
                A[1] += 1 + ay;
                for (uint32_t j = 0; j < d; ++j) {
                    e[j + 2] += std::fabs(rv.x[j]) * dg;
                    A[j + 2] += std::fabs(rv.x[j]) * (1 + ay);
                }
            } else {  // Gram: s = v . phi, out_j = sum s phi_j, max_sq = max |phi|^2
                A[1] += S;
                for (uint32_t j = 0; j < d; ++j) A[j + 2] += S * std::fabs(rv.x[j]);
                if (sq > max_sq) max_sq = sq;
            }
        }
        std::vector<double> b(d + 2);
        if (op == LinMse) {
            for (double &a : A) a *= 2 * gam(2.0 * (d + 10) + 280);
            return A;
        }
        if (op == LinBce) {
            for (size_t j = 0; j < b.size(); ++j) b[j] = 2 * (e[j] + sum_gamma * A[j]);
            return b;
        }
        // Gram: outputs are out[0..d] then max_sq (no loss).
        for (uint32_t j = 0; j <= d; ++j) b[j] = 2 * gam(d + 12 + 280) * A[j + 1];
        b[d + 1] = 2 * gam(d + 12) * max_sq;
        return b;
    }
    if (op == PolyMse || op == PolyGram) {
        A.assign(k + 2, 0.0);
        double max_sq = 0.0;
        for (size_t r = 0; r < rs.count; ++r) {
            const RowView rv = row(c, rs, r);
            const double ax = std::fabs(rv.x[0]);
            double P = 0.0, f = 1.0, sq = 0.0;
            for (uint32_t i = 0; i <= k; ++i, f *= ax) {
                P += std::fabs(t[i]) * f;
                sq += f * f;
            }
            if (op == PolyMse) {
                const double R = P + std::fabs((double)rv.y);
                A[0] += R * R;
                f = 1.0;
                for (uint32_t i = 0; i <= k; ++i, f *= ax) A[i + 1] += 2 * R * f;
            } else {
                f = 1.0;
                for (uint32_t i = 0; i <= k; ++i, f *= ax) A[i] += P * f;
                if (sq > max_sq) max_sq = sq;
            }
        }
        if (op == PolyMse) {
            for (double &a : A) a *= 2 * gam(4.0 * k + 4 + 280);
        } else {
            for (uint32_t i = 0; i <= k; ++i) A[i] *= 2 * gam(3.0 * k + 4 + 280);
            A[k + 1] = 2 * gam(4.0 * k + 6) * max_sq;
        }
        return A;
    }
    if (op == Leg3Mse) {
        A.assign(5, 0.0);
        const double a = std::fabs(t[0]), b = std::fabs(t[1]), cc = std::fabs(t[2]), dd = std::fabs(t[3]);
        for (size_t r = 0; r < rs.count; ++r) {
            const RowView rv = row(c, rs, r);
            const double ax = std::fabs(rv.x[0]);
            const double T = cc + dd * ax, PT = 0.5 * T * (5 * T * T + 3), DP = 0.5 * (15 * T * T + 3);
            const double R = a + b * PT + std::fabs((double)rv.y);
            A[0] += R * R;
            A[1] += 2 * R;
            A[2] += 2 * R * PT;
            A[3] += 2 * R * b * DP;
            A[4] += 2 * R * b * DP * ax;
        }
        for (double &x : A) x *= 2 * gam(30 + 280);
        return A;
    }
    // Predictions, one per row of the contiguous range.
    A.assign(rs.count, 0.0);
    for (size_t r = 0; r < rs.count; ++r) {
        const float *x = rs.X + (rs.begin + r) * d;
        if (op == LinPredict) {
            double S = std::fabs(t[0]);
            for (uint32_t j = 0; j < d; ++j) S += std::fabs((double)t[j + 1] * x[j]);
            A[r] = 2 * gam(d + 10) * S;
        } else if (op == PolyPredict) {
            double P = 0.0, f = 1.0;
            for (uint32_t i = 0; i <= k; ++i, f *= std::fabs(x[0])) P += std::fabs(t[i]) * f;
            A[r] = 2 * gam(2.0 * k + 2) * P;
        } else {
            const double T = std::fabs(t[2]) + std::fabs(t[3]) * std::fabs(x[0]);
            A[r] = 2 * gam(16) * (std::fabs(t[0]) + std::fabs(t[1]) * 0.5 * T * (5 * T * T + 3));
        }
    }
    return A;
}

Result run(const dsc::KernelTable &k, const Case &c, const dsc::RowSet &rs) {
    Result res;
    const int op = c.op;
    const float *th = c.theta.data();
    const uint32_t p = (uint32_t)c.theta.size();
    if (op <= Leg3Mse) {
        std::vector<float> acc(p, 0.0f);  // exactly p floats: ASan sees a kernel writing past
        std::vector<double> grad(p, 0.0);
        double loss = 0.0;
        const dsc::LossGradFn fn = op == LinMse ? k.linear_mse : op == LinBce ? k.linear_bce
                                 : op == PolyMse ? k.poly_mse : k.legendre3_mse;
        const dsc::LossFn lf = op == LinMse ? k.linear_mse_loss : op == LinBce ? k.linear_bce_loss
                             : op == PolyMse ? k.poly_mse_loss : k.legendre3_mse_loss;
        fn(rs, th, c.degree, acc.data(), grad.data(), &loss);
        res.out.push_back(loss);
        for (double g : grad) res.out.push_back(g);
        res.loss_only = lf(rs, th, c.degree);
    } else if (op == LinRobust) {
        std::vector<float> acc(p, 0.0f);
        std::vector<double> grad(p, 0.0);
        double loss = 0.0;
        k.linear_robust(rs, th, c.loss, c.eps, acc.data(), grad.data(), &loss);
        res.out.push_back(loss);
        for (double g : grad) res.out.push_back(g);
        k.linear_robust(rs, th, c.loss, c.eps, nullptr, nullptr, &res.loss_only);
    } else if (op <= Leg3Predict) {
        std::vector<float> o(rs.count, 0.0f);
        const dsc::PredictFn fn = op == LinPredict ? k.linear_predict
                                : op == PolyPredict ? k.poly_predict : k.legendre3_predict;
        fn(rs.X + rs.begin * c.cols, rs.count, c.cols, th, c.degree, o.data());
        for (float v : o) res.out.push_back(v);
    } else {
        std::vector<float> acc(p, 0.0f);
        std::vector<double> out(p, 0.0);
        double max_sq = -1.0;
        (op == LinGram ? k.linear_gram : k.poly_gram)(rs, th, c.degree, acc.data(), out.data(), &max_sq);
        res.out = out;
        res.out.push_back(max_sq);
    }
    return res;
}

void compare(const char *path, const Case &c, const Result &ref, const Result &got,
             const std::vector<double> &bound) {
    FUZZ_CHECK(ref.out.size() == got.out.size() && bound.size() == got.out.size());
    for (size_t i = 0; i < got.out.size(); ++i) {
        const double diff = std::fabs(got.out[i] - ref.out[i]);
        if (!(diff <= bound[i])) {
            fprintf(stderr, "%s %s: output %zu: %.17g vs scalar %.17g, |diff| %.3g > bound %.3g "
                            "(cols %u, degree %u, rows %zu, %s)\n",
                    path, op_name(c.op), i, got.out[i], ref.out[i], diff, bound[i], c.cols,
                    c.degree, c.count, c.idx.empty() ? "contiguous" : "indexed");
            FUZZ_CHECK(!"SIMD and scalar disagree beyond the rounding bound");
        }
    }
    if (c.op <= Leg3Mse || c.op == LinRobust) {
        // The loss-only pass sums the same terms: the same bound against the scalar loss.
        const double diff = std::fabs(got.loss_only - ref.out[0]);
        if (!(diff <= bound[0])) {
            fprintf(stderr, "%s %s loss-only: %.17g vs %.17g, bound %.3g\n", path, op_name(c.op),
                    got.loss_only, ref.out[0], bound[0]);
            FUZZ_CHECK(!"loss-only pass disagrees with scalar beyond the rounding bound");
        }
    }
}

// ulp distance of a float result from a double reference.
double ulp_err(float got, double want) {
    const float w = (float)want;
    if (got == w) return 0.0;
    const float next = std::nextafter(w, got > w ? INFINITY : -INFINITY);
    return std::fabs((double)got - want) / std::fabs((double)next - (double)w);
}

void mode_kernels(fz::Input &in) {
    Case c;
    parse(in, &c);
    std::vector<const dsc::KernelTable *> tables = simd_tables();
    if (c.op == ExpNeg || c.op == Log1p) {
        // Accuracy claims of tests/test_kernels.cpp, on inputs the fuzzer picks: e^x within
        // 1.5 ulp on [-87, 0], log(1 + t) within 2.5 ulp on [0, 1], scalar path included.
        tables.push_back(&dsc::kScalarKernels);
        Guarded gv(c.v);
        for (const dsc::KernelTable *k : tables) {
            std::vector<float> o(c.v.size());
            (c.op == ExpNeg ? k->exp_neg : k->log1p_unit)(gv.data, o.data(), c.v.size());
            for (size_t i = 0; i < c.v.size(); ++i) {
                const double ref = c.op == ExpNeg ? std::exp((double)c.v[i]) : std::log1p((double)c.v[i]);
                const double e = ulp_err(o[i], ref);
                if (!(e <= (c.op == ExpNeg ? 1.5 : 2.5))) {
                    fprintf(stderr, "%s %s(%a) = %a, reference %a: %.2f ulp\n", k->name,
                            op_name(c.op), c.v[i], o[i], ref, e);
                    FUZZ_CHECK(!"vectorized math beyond its documented ulp bound");
                }
            }
        }
        return;
    }
    Guarded gx(c.X), gy(c.y);
    Guarded gi(std::vector<float>(c.idx.size()));  // indices end at a guard page too
    uint32_t *idx = nullptr;
    if (!c.idx.empty()) {
        idx = reinterpret_cast<uint32_t *>(gi.data);
        memcpy(idx, c.idx.data(), c.idx.size() * sizeof(uint32_t));
    }
    const dsc::RowSet rs = {gx.data, gy.data, idx, c.begin, c.count, c.cols};
    const Result ref = run(dsc::kScalarKernels, c, rs);
    for (double v : ref.out) FUZZ_CHECK(std::isfinite(v));  // the grids keep everything finite
    const std::vector<double> bound = bounds(c, rs);
    for (const dsc::KernelTable *k : tables) {
        const Result a = run(*k, c, rs), b = run(*k, c, rs);
        FUZZ_CHECK(fz::same_bits(a.out.data(), b.out.data(), a.out.size() * sizeof(double)));
        compare(k->name, c, ref, a, bound);
    }
}

// ---- mode B: the public API on every path -----------------------------------------------------

void mode_api(fz::Input &in) {
    fz::FitCase fc;
    fz::parse_fit_case(in, &fc);
    const dsc_backend all[] = {DSC_BACKEND_SCALAR, DSC_BACKEND_SSE2, DSC_BACKEND_AVX2,
                               DSC_BACKEND_AVX512, DSC_BACKEND_NEON};
    bool have_ref = false;
    fz::FitSummary ref;
    for (dsc_backend b : all) {
        if (!dsc_backend_available(b)) continue;
        fz::FitCase one = fc;
        one.cfg.backend = b;
        const fz::FitSummary s = fz::run_fit_case(one);
        if (!have_ref) {
            ref = s;
            have_ref = true;
            continue;
        }
        // Validation does not depend on the kernel path; training outcomes may (a path can
        // diverge a step earlier or later near the float range), so only their class is fixed.
        FUZZ_CHECK(s.create == ref.create);
        FUZZ_CHECK(s.set_params == ref.set_params);
        FUZZ_CHECK(s.ran == ref.ran);
        auto validation = [](dsc_status st) { return st != DSC_OK && st != DSC_ERR_DIVERGED; };
        if (s.ran) {
            FUZZ_CHECK(validation(s.fit) == validation(ref.fit));
            if (validation(s.fit)) FUZZ_CHECK(s.fit == ref.fit);
            FUZZ_CHECK(s.loss == ref.loss);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz::Input in{data, size};
    if (in.u8() < 160) mode_kernels(in);
    else mode_api(in);
    return 0;
}
