// Portable scalar kernels: the ground truth every other path is tested against.
// Plain loops, no intrinsics; everything lives in an anonymous namespace so no inline helper
// can be shared with (and replaced by) a copy compiled for another instruction set.
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "row_math.h"

namespace dsc {
namespace {

using namespace rowmath;

inline float linear_out(const float *x, uint32_t cols, const float *theta) {
    float s = theta[0];
    for (uint32_t j = 0; j < cols; ++j) s += theta[j + 1] * x[j];
    return s;
}

inline void flush(float *acc, uint32_t p, float lacc, double *grad, double *loss) {
    for (uint32_t j = 0; j < p; ++j) {
        grad[j] += (double)acc[j];
        acc[j] = 0.0f;
    }
    *loss += (double)lacc;
}

// Shared shape of the linear-model passes: dloss(z, y) gives (loss term, dloss/dz).
template <typename Loss>
void linear_pass(const RowSet &rs, const float *theta, float *acc, double *grad, double *loss,
                 Loss term) {
    const uint32_t p = rs.cols + 1;
    memset(acc, 0, p * sizeof(float));
    for (uint32_t j = 0; j < p; ++j) grad[j] = 0.0;
    *loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float *x = rs.X + row * rs.cols;
        float g;
        lacc += term(linear_out(x, rs.cols, theta), rs.y[row], &g);
        acc[0] += g;
        for (uint32_t j = 0; j < rs.cols; ++j) acc[j + 1] += g * x[j];
        if ((r + 1) % kBlockRows == 0) {
            flush(acc, p, lacc, grad, loss);
            lacc = 0.0f;
        }
    }
    if (rs.count % kBlockRows != 0) flush(acc, p, lacc, grad, loss);
}

void linear_mse(const RowSet &rs, const float *theta, uint32_t, float *acc, double *grad,
                double *loss) {
    linear_pass(rs, theta, acc, grad, loss, mse_term);
}

void linear_bce(const RowSet &rs, const float *theta, uint32_t, float *acc, double *grad,
                double *loss) {
    linear_pass(rs, theta, acc, grad, loss, bce_term);
}

template <typename Loss>
double linear_loss_pass(const RowSet &rs, const float *theta, Loss term) {
    double loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        float g;
        lacc += term(linear_out(rs.X + row * rs.cols, rs.cols, theta), rs.y[row], &g);
        if ((r + 1) % kBlockRows == 0) {
            loss += (double)lacc;
            lacc = 0.0f;
        }
    }
    return loss + (double)lacc;
}

double linear_mse_loss(const RowSet &rs, const float *theta, uint32_t) {
    return linear_loss_pass(rs, theta, mse_term);
}

double linear_bce_loss(const RowSet &rs, const float *theta, uint32_t) {
    return linear_loss_pass(rs, theta, [](float z, float y, float *) { return bce_loss(z, y); });
}

// Polynomial: features 1, x, x^2, .. formed in registers, never stored.
void poly_mse(const RowSet &rs, const float *theta, uint32_t degree, float *acc, double *grad,
              double *loss) {
    const uint32_t p = degree + 1;
    memset(acc, 0, p * sizeof(float));
    for (uint32_t j = 0; j < p; ++j) grad[j] = 0.0;
    *loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float x = rs.X[row * rs.cols];
        const float res = poly_eval(theta, degree, x) - rs.y[row];
        lacc += res * res;
        float g = 2.0f * res;
        for (uint32_t k = 0; k < p; ++k) {
            acc[k] += g;
            g *= x;
        }
        if ((r + 1) % kBlockRows == 0) {
            flush(acc, p, lacc, grad, loss);
            lacc = 0.0f;
        }
    }
    if (rs.count % kBlockRows != 0) flush(acc, p, lacc, grad, loss);
}

double poly_mse_loss(const RowSet &rs, const float *theta, uint32_t degree) {
    double loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float res = poly_eval(theta, degree, rs.X[row * rs.cols]) - rs.y[row];
        lacc += res * res;
        if ((r + 1) % kBlockRows == 0) {
            loss += (double)lacc;
            lacc = 0.0f;
        }
    }
    return loss + (double)lacc;
}

// y = a + b P3(c + d x), P3(t) = (5 t^3 - 3 t) / 2, P3'(t) = (15 t^2 - 3) / 2.
void legendre3_mse(const RowSet &rs, const float *theta, uint32_t, float *acc, double *grad,
                   double *loss) {
    const float a = theta[0], b = theta[1], c = theta[2], d = theta[3];
    memset(acc, 0, 4 * sizeof(float));
    for (uint32_t j = 0; j < 4; ++j) grad[j] = 0.0;
    *loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float x = rs.X[row * rs.cols];
        const float t = c + d * x;
        const float pt = p3(t);
        const float res = a + b * pt - rs.y[row];
        lacc += res * res;
        const float g = 2.0f * res;
        const float gt = g * b * dp3(t);
        acc[0] += g;
        acc[1] += g * pt;
        acc[2] += gt;
        acc[3] += gt * x;
        if ((r + 1) % kBlockRows == 0) {
            flush(acc, 4, lacc, grad, loss);
            lacc = 0.0f;
        }
    }
    if (rs.count % kBlockRows != 0) flush(acc, 4, lacc, grad, loss);
}

double legendre3_mse_loss(const RowSet &rs, const float *theta, uint32_t) {
    const float a = theta[0], b = theta[1], c = theta[2], d = theta[3];
    double loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float res = a + b * p3(c + d * rs.X[row * rs.cols]) - rs.y[row];
        lacc += res * res;
        if ((r + 1) % kBlockRows == 0) {
            loss += (double)lacc;
            lacc = 0.0f;
        }
    }
    return loss + (double)lacc;
}

void linear_predict(const float *X, size_t count, uint32_t cols, const float *theta, uint32_t,
                    float *out) {
    for (size_t r = 0; r < count; ++r) out[r] = linear_out(X + r * cols, cols, theta);
}

void poly_predict(const float *X, size_t count, uint32_t cols, const float *theta,
                  uint32_t degree, float *out) {
    for (size_t r = 0; r < count; ++r) out[r] = poly_eval(theta, degree, X[r * cols]);
}

void legendre3_predict(const float *X, size_t count, uint32_t cols, const float *theta,
                       uint32_t, float *out) {
    for (size_t r = 0; r < count; ++r)
        out[r] = theta[0] + theta[1] * p3(theta[2] + theta[3] * X[r * cols]);
}

void linear_gram(const RowSet &rs, const float *v, uint32_t, float *acc, double *out,
                 double *max_sq) {
    const uint32_t p = rs.cols + 1;
    memset(acc, 0, p * sizeof(float));
    for (uint32_t j = 0; j < p; ++j) out[j] = 0.0;
    float mx = 0.0f, unused = 0.0f;
    double dummy = 0.0;
    for (size_t r = 0; r < rs.count; ++r) {
        const float *x = rs.X + row_of(rs, r) * rs.cols;
        float s = v[0], sq = 1.0f;
        for (uint32_t j = 0; j < rs.cols; ++j) {
            s += v[j + 1] * x[j];
            sq += x[j] * x[j];
        }
        if (sq > mx) mx = sq;
        acc[0] += s;
        for (uint32_t j = 0; j < rs.cols; ++j) acc[j + 1] += s * x[j];
        if ((r + 1) % kBlockRows == 0) flush(acc, p, unused, out, &dummy);
    }
    if (rs.count % kBlockRows != 0) flush(acc, p, unused, out, &dummy);
    *max_sq = (double)mx;
}

void poly_gram(const RowSet &rs, const float *v, uint32_t degree, float *acc, double *out,
               double *max_sq) {
    const uint32_t p = degree + 1;
    memset(acc, 0, p * sizeof(float));
    for (uint32_t j = 0; j < p; ++j) out[j] = 0.0;
    float mx = 0.0f, unused = 0.0f;
    double dummy = 0.0;
    for (size_t r = 0; r < rs.count; ++r) {
        const float x = rs.X[row_of(rs, r) * rs.cols];
        const float s = poly_eval(v, degree, x);
        float f = 1.0f, sq = 0.0f;
        for (uint32_t k = 0; k < p; ++k) {
            sq += f * f;
            acc[k] += s * f;
            f *= x;
        }
        if (sq > mx) mx = sq;
        if ((r + 1) % kBlockRows == 0) flush(acc, p, unused, out, &dummy);
    }
    if (rs.count % kBlockRows != 0) flush(acc, p, unused, out, &dummy);
    *max_sq = (double)mx;
}

void exp_neg_array(const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = expf(in[i]);
}

void log1p_array(const float *in, float *out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = log1pf(in[i]);
}

}  // namespace

extern const KernelTable kScalarKernels = {
    "scalar",
    linear_mse, linear_bce, poly_mse, legendre3_mse,
    linear_mse_loss, linear_bce_loss, poly_mse_loss, legendre3_mse_loss,
    linear_predict, poly_predict, legendre3_predict,
    linear_gram, poly_gram,
    exp_neg_array, log1p_array,
};

}  // namespace dsc
