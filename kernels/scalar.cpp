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

// A row's weight (kernels.h): its sample weight times its label weight, either alone where the
// other is absent. Only called where row_weighted(rs).
inline float row_w(const RowSet &rs, size_t row) {
    const float *sw = sample_w(rs);
    if (!label_weighted(rs)) return sw[row];
    const float lw = label_weight(label_w0(rs), label_w1(rs), rs.y[row]);
    return sw ? sw[row] * lw : lw;
}

inline void flush(float *acc, uint32_t p, float lacc, double *grad, double *loss) {
    for (uint32_t j = 0; j < p; ++j) {
        grad[j] += (double)acc[j];
        acc[j] = 0.0f;
    }
    *loss += (double)lacc;
}

// Shared shape of every loss-and-gradient pass: row(i) adds row i's gradient terms to the p
// block sums in acc and returns its loss term; the float block sums fold into the double
// outputs at each block's end.
template <typename Row>
void block_pass(const RowSet &rs, uint32_t p, float *acc, double *grad, double *loss, Row row) {
    memset(acc, 0, p * sizeof(float));
    for (uint32_t j = 0; j < p; ++j) grad[j] = 0.0;
    *loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        lacc += row(row_of(rs, r));
        if ((r + 1) % kBlockRows == 0) {
            flush(acc, p, lacc, grad, loss);
            lacc = 0.0f;
        }
    }
    if (rs.count % kBlockRows != 0) flush(acc, p, lacc, grad, loss);
}

// The same for loss-only passes: row(i) returns row i's loss term.
template <typename Row>
double block_loss(const RowSet &rs, Row row) {
    double loss = 0.0;
    float lacc = 0.0f;
    for (size_t r = 0; r < rs.count; ++r) {
        lacc += row(row_of(rs, r));
        if ((r + 1) % kBlockRows == 0) {
            loss += (double)lacc;
            lacc = 0.0f;
        }
    }
    return loss + (double)lacc;
}

// Shared shape of the linear-model passes: dloss(z, y) gives (loss term, dloss/dz).
template <typename Loss>
void linear_pass(const RowSet &rs, const float *theta, float *acc, double *grad, double *loss,
                 Loss term) {
    const bool lw = row_weighted(rs);
    block_pass(rs, rs.cols + 1, acc, grad, loss, [&](size_t row) {
        const float *x = rs.X + row * rs.cols;
        float g;
        float l = term(linear_out(x, rs.cols, theta), rs.y[row], &g);
        if (lw) {
            const float om = row_w(rs, row);
            l *= om;
            g *= om;
        }
        acc[0] += g;
        for (uint32_t j = 0; j < rs.cols; ++j) acc[j + 1] += g * x[j];
        return l;
    });
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
    const bool lw = row_weighted(rs);
    return block_loss(rs, [&](size_t row) {
        float g;
        const float l = term(linear_out(rs.X + row * rs.cols, rs.cols, theta), rs.y[row], &g);
        return lw ? l * row_w(rs, row) : l;
    });
}

double linear_mse_loss(const RowSet &rs, const float *theta, uint32_t) {
    return linear_loss_pass(rs, theta, mse_term);
}

double linear_bce_loss(const RowSet &rs, const float *theta, uint32_t) {
    return linear_loss_pass(rs, theta, [](float z, float y, float *) { return bce_loss(z, y); });
}

#ifndef DESCENT_NO_LOSSES
void linear_robust(const RowSet &rs, const float *theta, uint32_t kind, float e, float *acc,
                   double *grad, double *loss) {
    const auto term = [kind, e](float z, float y, float *g) { return robust_term(kind, z, y, e, g); };
    if (grad) linear_pass(rs, theta, acc, grad, loss, term);
    else *loss = linear_loss_pass(rs, theta, term);
}
#endif

// Polynomial: features 1, x, x^2, .. formed in registers, never stored.
void poly_mse(const RowSet &rs, const float *theta, uint32_t degree, float *acc, double *grad,
              double *loss) {
    const uint32_t p = degree + 1;
    const float *sw = sample_w(rs);
    block_pass(rs, p, acc, grad, loss, [&](size_t row) {
        const float x = rs.X[row * rs.cols];
        const float res = poly_eval(theta, degree, x) - rs.y[row];
        float g = 2.0f * res;
        if (sw) g *= sw[row];
        for (uint32_t k = 0; k < p; ++k) {
            acc[k] += g;
            g *= x;
        }
        return sw ? sw[row] * res * res : res * res;
    });
}

double poly_mse_loss(const RowSet &rs, const float *theta, uint32_t degree) {
    const float *sw = sample_w(rs);
    return block_loss(rs, [&](size_t row) {
        const float res = poly_eval(theta, degree, rs.X[row * rs.cols]) - rs.y[row];
        return sw ? sw[row] * res * res : res * res;
    });
}

// y = a + b P3(c + d x), P3(t) = (5 t^3 - 3 t) / 2, P3'(t) = (15 t^2 - 3) / 2.
void legendre3_mse(const RowSet &rs, const float *theta, uint32_t, float *acc, double *grad,
                   double *loss) {
    const float a = theta[0], b = theta[1], c = theta[2], d = theta[3];
    const float *sw = sample_w(rs);
    block_pass(rs, 4, acc, grad, loss, [&](size_t row) {
        const float x = rs.X[row * rs.cols];
        const float t = c + d * x;
        const float pt = p3(t);
        const float res = a + b * pt - rs.y[row];
        float g = 2.0f * res;
        if (sw) g *= sw[row];
        const float gt = g * b * dp3(t);
        acc[0] += g;
        acc[1] += g * pt;
        acc[2] += gt;
        acc[3] += gt * x;
        return sw ? sw[row] * res * res : res * res;
    });
}

double legendre3_mse_loss(const RowSet &rs, const float *theta, uint32_t) {
    const float a = theta[0], b = theta[1], c = theta[2], d = theta[3];
    const float *sw = sample_w(rs);
    return block_loss(rs, [&](size_t row) {
        const float res = a + b * p3(c + d * rs.X[row * rs.cols]) - rs.y[row];
        return sw ? sw[row] * res * res : res * res;
    });
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
    const float *sw = sample_w(rs);  // sample weights only: the automatic rate takes label weights
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float *x = rs.X + row * rs.cols;
        float s = v[0], sq = 1.0f;
        for (uint32_t j = 0; j < rs.cols; ++j) {
            s += v[j + 1] * x[j];
            sq += x[j] * x[j];
        }
        if (sw) {
            s *= sw[row];
            sq *= sw[row];
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
    const float *sw = sample_w(rs);
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float x = rs.X[row * rs.cols];
        const float s = sw ? poly_eval(v, degree, x) * sw[row] : poly_eval(v, degree, x);
        float f = 1.0f, sq = 0.0f;
        for (uint32_t k = 0; k < p; ++k) {
            sq += f * f;
            acc[k] += s * f;
            f *= x;
        }
        if (sw) sq *= sw[row];
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

#ifndef DESCENT_NO_NEWTON
// ---- curvature passes (double throughout) --------------------------------------------------
inline double mapped(const ColumnMap &m, const float *x, uint32_t j) {
    return m.shift ? ((double)x[j] - m.shift[j]) * m.inv_scale[j] : (double)x[j];
}

void clear(double *v, size_t n) {
    for (size_t i = 0; i < n; ++i) v[i] = 0.0;
}

// grad += g J, hess += h J J^T (packed lower triangle by rows; hess null: gradient only).
inline void accumulate(const double *J, uint32_t p, double g, double h, double *grad,
                       double *hess) {
    size_t k = 0;
    for (uint32_t i = 0; i < p; ++i) {
        grad[i] += g * J[i];
        if (!hess) continue;
        const double hi = h * J[i];
        for (uint32_t j = 0; j <= i; ++j) hess[k++] += hi * J[j];
    }
}

// Shared shape of the curvature passes: row(x, y, J, &g, &h) fills the row's Jacobian J of the
// model output (p entries), returns the loss term, and gives dloss/dout and the curvature weight.
template <typename Row>
void curv_pass(const RowSet &rs, uint32_t p, double *J, double *grad, double *hess, double *loss,
               Row row) {
    const bool full = grad != nullptr;
    if (full) clear(grad, p);
    if (full && hess) clear(hess, (size_t)p * (p + 1) / 2);
    double l = 0.0;
    const float *sw = sample_w(rs);
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t i = row_of(rs, r);
        double g, h;
        const double lr = row(rs.X + i * rs.cols, (double)rs.y[i], full ? J : nullptr, &g, &h);
        if (sw) {  // the sample weight scales the row's loss, derivative and curvature
            const double om = (double)sw[i];
            l += lr * om;
            g *= om;
            h *= om;
        } else {
            l += lr;
        }
        if (full) accumulate(J, p, g, h, grad, hess);
    }
    *loss = l;
}

// BCE from the logit in double: log(1 + e^z) - y z, its derivative and second derivative.
inline double bce64(double z, double y, double *g, double *h) {
    const double t = exp(-fabs(z));
    const double q = t / (1.0 + t);
    *g = z >= 0.0 ? (1.0 - y) - q : q - y;
    *h = q / (1.0 + t);
    return (z > 0.0 ? z : 0.0) + log1p(t) - y * z;
}

template <bool kBce>
void curv_linear(const RowSet &rs, const ColumnMap &map, const float *theta, double *J,
                 double *grad, double *hess, double *loss) {
    const uint32_t d = rs.cols;
    curv_pass(rs, d + 1, J, grad, hess, loss,
              [&](const float *x, double y, double *Jr, double *g, double *h) {
                  double z = theta[0];
                  if (Jr) {
                      Jr[0] = 1.0;
                      for (uint32_t j = 0; j < d; ++j) {
                          Jr[j + 1] = mapped(map, x, j);
                          z += (double)theta[j + 1] * Jr[j + 1];
                      }
                  } else {
                      for (uint32_t j = 0; j < d; ++j) z += (double)theta[j + 1] * mapped(map, x, j);
                  }
                  if (kBce) {
                      const double l = bce64(z, y, g, h);
                      if (!label_weighted(rs)) return l;
                      const double om = (double)label_weight(label_w0(rs), label_w1(rs), (float)y);
                      *g *= om;
                      *h *= om;
                      return l * om;
                  }
                  const double res = z - y;
                  *g = 2.0 * res;
                  *h = 2.0;
                  return res * res;
              });
}

#endif  // DESCENT_NO_NEWTON
}  // namespace

#ifndef DESCENT_NO_NEWTON
double curv_bce_row(double z, double y, double *g, double *h) { return bce64(z, y, g, h); }

void curv_linear_mse_scalar(const RowSet &rs, const ColumnMap &map, const float *theta,
                            uint32_t, double *scratch, double *grad, double *hess,
                            double *loss) {
    curv_linear<false>(rs, map, theta, scratch, grad, hess, loss);
}

void curv_linear_bce_scalar(const RowSet &rs, const ColumnMap &map, const float *theta,
                            uint32_t, double *scratch, double *grad, double *hess,
                            double *loss) {
    curv_linear<true>(rs, map, theta, scratch, grad, hess, loss);
}

void curv_poly_mse_scalar(const RowSet &rs, const ColumnMap &map, const float *theta,
                          uint32_t degree, double *scratch, double *grad, double *hess,
                          double *loss) {
    const uint32_t p = degree + 1;
    curv_pass(rs, p, scratch, grad, hess, loss,
              [&](const float *x, double y, double *Jr, double *g, double *h) {
                  const double u = mapped(map, x, 0);
                  double out = theta[degree];
                  for (uint32_t k = degree; k-- > 0;) out = out * u + (double)theta[k];
                  if (Jr) {
                      double f = 1.0;
                      for (uint32_t k = 0; k < p; ++k) {
                          Jr[k] = f;
                          f *= u;
                      }
                  }
                  const double res = out - y;
                  *g = 2.0 * res;
                  *h = 2.0;
                  return res * res;
              });
}

void curv_legendre3_mse_scalar(const RowSet &rs, const ColumnMap &map, const float *theta,
                               uint32_t, double *scratch, double *grad, double *hess,
                               double *loss) {
    const double a = theta[0], b = theta[1], c = theta[2], d = theta[3];
    curv_pass(rs, 4, scratch, grad, hess, loss,
              [&](const float *x, double y, double *Jr, double *g, double *h) {
                  const double u = mapped(map, x, 0);
                  const double t = c + d * u;
                  const double pt = 0.5 * t * (5.0 * t * t - 3.0);
                  if (Jr) {
                      const double bd = b * 0.5 * (15.0 * t * t - 3.0);
                      Jr[0] = 1.0;
                      Jr[1] = pt;
                      Jr[2] = bd;
                      Jr[3] = bd * u;
                  }
                  const double res = a + b * pt - y;
                  *g = 2.0 * res;
                  *h = 2.0;  // Gauss-Newton: the residual's second derivative is dropped
                  return res * res;
              });
}

// Not contracted into FMA (aarch64 has it in its baseline), so the SIMD paths' lanes, which
// are not contracted either, give these bits.
DSC_NO_CONTRACT void col_stats_scalar(const float *X, size_t begin, size_t count, uint32_t cols,
                                      uint32_t use, double *mean, double *m2, float *mn, float *mx) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    for (uint32_t j = 0; j < use; ++j) mean[j] = m2[j] = 0.0;
    for (size_t r = 0; r < count; ++r) {
        const float *x = X + (begin + r) * cols;
        // One division a row, not one a value: the mean moves by dv * (1 / k).
        const double inv = 1.0 / (double)(r + 1);
        for (uint32_t j = 0; j < use; ++j) {
            const double v = (double)x[j];
            const double dv = v - mean[j];
            mean[j] += dv * inv;
            m2[j] += dv * (v - mean[j]);
            if (x[j] < mn[j]) mn[j] = x[j];
            if (x[j] > mx[j]) mx[j] = x[j];
        }
    }
}

#endif

#ifndef DESCENT_NO_SOFTMAX
// ---- SOFTMAX ---------------------------------------------------------------------------------
namespace {

// The K logits of one row.
inline void softmax_logits(const float *x, uint32_t d, const float *theta, uint32_t K, float *z) {
    for (uint32_t k = 0; k < K; ++k) z[k] = linear_out(x, d, theta + (size_t)k * (d + 1));
}

// One row's cross-entropy from its logits z (overwritten by d/dz_k = p_k - [k = y] when g):
// with m = max z (first index kmax), e_k = e^(z_k - m) and r = sum_{k != kmax} e_k, the loss is
// (m - z_y) + log1p(r), and p_y - 1 = -(s - e_y) / s with s = 1 + r and s - e_y summed from
// the other classes, so a confident right prediction keeps full relative accuracy.
inline float softmax_term(float *z, uint32_t K, uint32_t y, bool g) {
    uint32_t kmax = 0;
    for (uint32_t k = 1; k < K; ++k)
        if (z[k] > z[kmax]) kmax = k;
    const float m = z[kmax], zy = z[y];
    float r = 0.0f, other = 0.0f;  // other: sum of e_k over k != y
    for (uint32_t k = 0; k < K; ++k) {
        const float e = k == kmax ? 1.0f : expf(z[k] - m);
        z[k] = e;
        if (k != kmax) r += e;
        if (k != y) other += e;
    }
    const float loss = (m - zy) + log1pf(r);
    if (!g) return loss;
    const float inv = 1.0f / (1.0f + r);
    for (uint32_t k = 0; k < K; ++k) z[k] = k == y ? -(other * inv) : z[k] * inv;
    return loss;
}

inline uint32_t label_of(const RowSet &rs, size_t row) { return (uint32_t)rs.y[row]; }

}  // namespace

void softmax_scalar(const RowSet &rs, const float *theta, uint32_t K, float *acc, double *grad,
                    double *loss) {
    const uint32_t d = rs.cols, q = d + 1;
    float z[kMaxClasses];
    const float *sw = sample_w(rs);
    block_pass(rs, K * q, acc, grad, loss, [&](size_t row) {
        const float *x = rs.X + row * d;
        softmax_logits(x, d, theta, K, z);
        float l = softmax_term(z, K, label_of(rs, row), true);
        if (sw) {
            l *= sw[row];
            for (uint32_t k = 0; k < K; ++k) z[k] *= sw[row];
        }
        for (uint32_t k = 0; k < K; ++k) {
            float *a = acc + (size_t)k * q;
            a[0] += z[k];
            for (uint32_t j = 0; j < d; ++j) a[j + 1] += z[k] * x[j];
        }
        return l;
    });
}

double softmax_loss_scalar(const RowSet &rs, const float *theta, uint32_t K) {
    float z[kMaxClasses];
    const float *sw = sample_w(rs);
    return block_loss(rs, [&](size_t row) {
        softmax_logits(rs.X + row * rs.cols, rs.cols, theta, K, z);
        const float l = softmax_term(z, K, label_of(rs, row), false);
        return sw ? l * sw[row] : l;
    });
}

void softmax_predict_scalar(const float *X, size_t count, uint32_t cols, const float *theta,
                            uint32_t K, float *out) {
    for (size_t r = 0; r < count; ++r) softmax_logits(X + r * cols, cols, theta, K, out + r * K);
}

#ifndef DESCENT_NO_NEWTON
// In double: per row J = [1, mapped x], p = softmax(z), g_k = p_k - [k = y], and the Hessian
// entry of parameters (k, i) and (l, j) adds (p_k [k = l] - p_k p_l) J_i J_j (times the
// sample weight). scratch: K (cols + 1) >= (cols + 1) + K doubles (J, then p).
void curv_softmax_scalar(const RowSet &rs, const ColumnMap &map, const float *theta, uint32_t K,
                         double *scratch, double *grad, double *hess, double *loss) {
    const uint32_t d = rs.cols, q = d + 1, p = K * q;
    const bool full = grad != nullptr;
    if (full) {
        for (uint32_t j = 0; j < p; ++j) grad[j] = 0.0;
        if (hess)
            for (size_t k = 0; k < (size_t)p * (p + 1) / 2; ++k) hess[k] = 0.0;
    }
    double *J = scratch, *pr = scratch + q;
    const float *sw = sample_w(rs);
    double l = 0.0;
    for (size_t r = 0; r < rs.count; ++r) {
        const size_t row = row_of(rs, r);
        const float *x = rs.X + row * d;
        J[0] = 1.0;
        for (uint32_t j = 0; j < d; ++j) J[j + 1] = mapped(map, x, j);
        double m = -HUGE_VAL;
        for (uint32_t k = 0; k < K; ++k) {
            double z = 0.0;
            for (uint32_t j = 0; j < q; ++j) z += (double)theta[k * q + j] * J[j];
            pr[k] = z;
            m = z > m ? z : m;
        }
        const uint32_t y = label_of(rs, row);
        const double zy = pr[y];
        double s = 0.0;
        for (uint32_t k = 0; k < K; ++k) {
            pr[k] = exp(pr[k] - m);
            s += pr[k];
        }
        const double om = sw ? (double)sw[row] : 1.0;
        l += om * ((m - zy) + log(s));
        if (!full) continue;
        for (uint32_t k = 0; k < K; ++k) pr[k] /= s;
        for (uint32_t k = 0; k < K; ++k) {
            const double gk = om * (pr[k] - (k == y ? 1.0 : 0.0));
            for (uint32_t j = 0; j < q; ++j) grad[k * q + j] += gk * J[j];
        }
        if (!hess) continue;
        size_t e = 0;
        for (uint32_t a = 0; a < p; ++a) {
            const uint32_t k = a / q, i = a % q;
            const double pk = om * pr[k] * J[i];
            for (uint32_t b = 0; b <= a; ++b) {
                const uint32_t lc = b / q, j = b % q;
                const double c = (k == lc ? pk : 0.0) - pk * pr[lc];
                hess[e++] += c * J[j];
            }
        }
    }
    *loss = l;
}
#endif
#endif  // DESCENT_NO_SOFTMAX

extern const KernelTable kScalarKernels = {
    "scalar",
    linear_mse, linear_bce, poly_mse, legendre3_mse,
    linear_mse_loss, linear_bce_loss, poly_mse_loss, legendre3_mse_loss,
    linear_predict, poly_predict, legendre3_predict,
    linear_gram, poly_gram,
    exp_neg_array, log1p_array,
#ifndef DESCENT_NO_NEWTON
    curv_linear_mse_scalar, curv_linear_bce_scalar, curv_poly_mse_scalar, curv_legendre3_mse_scalar,
    col_stats_scalar,
#else
    nullptr, nullptr, nullptr, nullptr, nullptr,
#endif
#ifndef DESCENT_NO_LOSSES
    linear_robust,
#else
    nullptr,
#endif
#ifndef DESCENT_NO_SOFTMAX
    softmax_scalar, softmax_loss_scalar, softmax_predict_scalar,
#ifndef DESCENT_NO_NEWTON
    curv_softmax_scalar,
#else
    nullptr,
#endif
#else
    nullptr, nullptr, nullptr, nullptr,
#endif
};

}  // namespace dsc
