// Standardization as a change of coordinates: the column statistics (one pass, float64,
// mergeable) and the linear maps between the parameters the optimizer sees (standardized
// coordinates, z = (x - mean) / std) and the raw-unit parameters the model reports and predicts
// with. The data is never copied or changed.
//
// For every kind the raw parameters are a linear function of the standardized ones,
// theta_raw = M theta_std, so a gradient with respect to raw parameters maps back as M^T g:
//   LINEAR/LOGISTIC  w_j = w'_j / s_j, b = b' - sum_j w_j mu_j
//   POLYNOMIAL       sum_k c'_k u^k with u = (x - mu) / s, expanded into powers of x
//   LEGENDRE3        c + d x = c' + d' u: d = d' / s, c = c' - d mu  (a, b unchanged)
#include <math.h>
#include <string.h>

#include "model.hpp"

namespace dsc {
#ifndef DESCENT_NO_NEWTON
namespace {

constexpr uint32_t kMaxPowers = kMaxPolyDegree + 1;

// out *= (a x + b), for a polynomial of degree deg (out has deg + 2 entries afterwards valid).
void times_linear(double *out, uint32_t deg, double a, double b) {
    out[deg + 1] = a * out[deg];
    for (uint32_t i = deg; i > 0; --i) out[i] = a * out[i - 1] + b * out[i];
    out[0] *= b;
}

// Coefficients in x of sum_k c_k (a x + b)^k, by Horner's rule on coefficient vectors: O(deg^2),
// no powers or binomials. u = (x - mu) / s is a x + b with a = 1/s, b = -mu/s, and x = mu + s u
// the other way round.
void compose_linear(const float *c, uint32_t deg, double a, double b, float *out) {
    double acc[kMaxPowers];
    acc[0] = c[deg];
    for (uint32_t k = deg; k-- > 0;) {
        times_linear(acc, deg - 1 - k, a, b);
        acc[0] += (double)c[k];
    }
    for (uint32_t i = 0; i <= deg; ++i) out[i] = (float)acc[i];
}

// Chan's update: folds a chunk's (count nb, mean cmean, m2 cm2) into the running statistics of
// `seen` rows.
void chan_merge(uint32_t c, double seen, double nb, const double *cmean, const double *cm2,
                double *mean, double *m2) {
    const double tot = seen + nb;
    for (uint32_t j = 0; j < c; ++j) {
        const double dlt = cmean[j] - mean[j];
        mean[j] += dlt * nb / tot;
        m2[j] += cm2[j] + dlt * dlt * seen * nb / tot;
    }
}

// One wave of statistics tasks: task i computes chunk first + i into task slot i (mean and m2
// double[c], then min and max float[c]: 24 c bytes, which arena.cpp makes room for).
struct StatsJob {
    dsc_model *m;
    const float *X;
    size_t n;
    size_t first;
};

void stats_task(void *arg, uint32_t i) {
    const StatsJob &job = *static_cast<const StatsJob *>(arg);
    dsc_model *m = job.m;
    const uint32_t c = m->cfg.n_features;
    const size_t first_row = (job.first + i) * kChunkRows;
    const size_t cnt = job.n - first_row < kChunkRows ? job.n - first_row : kChunkRows;
    const uint32_t slot = m->lay.slots + i * m->lay.slot_bytes;
    double *mean = at<double>(m, slot);
    float *mn = at<float>(m, slot + 16u * c), *mx = mn + c;
    for (uint32_t j = 0; j < c; ++j) mn[j] = mx[j] = job.X[first_row * c + j];
    m->k->col_stats(job.X, first_row, cnt, c, c, mean, mean + c, mn, mx);
}

// Distributed: each local chunk's mean, m2, min and max go out keyed by global chunk and fold in
// chunk order with the serial pass's Chan merges. Scratch: the chunk's mean and m2 in the
// gradient and chunk buffers, its min and max in the best and training-parameter buffers (both
// free until the statistics exist).
DSC_NOINLINE void dist_stats(dsc_model *m, const float *X, size_t n, double *mean, double *m2,
                             float *mn, float *mx) {
    const uint32_t c = m->cfg.n_features;
    double *cmean = at<double>(m, m->lay.grad), *cm2 = at<double>(m, m->lay.chunk);
    float *cmn = at<float>(m, m->lay.best), *cmx = at<float>(m, m->lay.tparams);
    const uint64_t key0 = m->row0 / kChunkRows;
    for (size_t first = 0; first < n; first += kChunkRows) {
        const size_t cnt = n - first < kChunkRows ? n - first : kChunkRows;
        for (uint32_t j = 0; j < c; ++j) cmn[j] = cmx[j] = X[first * c + j];
        m->k->col_stats(X, first, cnt, c, c, cmean, cm2, cmn, cmx);
        const Segment seg[4] = {{cmean, c * sizeof(double)}, {cm2, c * sizeof(double)},
                                {cmn, c * sizeof(float)}, {cmx, c * sizeof(float)}};
        dist_emit(m, key0 + first / kChunkRows, cnt, seg, 4);
    }
    double seen = 0.0;
    const bool ok = dist_fold(m, 24u * (size_t)c, true, [&](size_t i, uint64_t rows, const double *d) {
        const unsigned char *fb = reinterpret_cast<const unsigned char *>(d + 2 * (size_t)c);
        if (i == 0) {
            memcpy(mean, d, c * sizeof(double));
            memcpy(m2, d + c, c * sizeof(double));
        } else {
            chan_merge(c, seen, (double)rows, d, d + c, mean, m2);
        }
        for (uint32_t j = 0; j < c; ++j) {  // the chunk's float min and max follow its doubles
            float lo, hi;
            memcpy(&lo, fb + 4 * (size_t)j, sizeof lo);
            memcpy(&hi, fb + 4 * ((size_t)c + j), sizeof hi);
            mn[j] = i == 0 || lo < mn[j] ? lo : mn[j];
            mx[j] = i == 0 || hi > mx[j] ? hi : mx[j];
        }
        seen = i == 0 ? (double)rows : seen + (double)rows;
    }, [&](Segment *seg) {
        seg[0] = {mean, c * sizeof(double)};
        seg[1] = {m2, c * sizeof(double)};
        seg[2] = {mn, c * sizeof(float)};
        seg[3] = {mx, c * sizeof(float)};
        return 4u;
    });
    if (ok) return;
    for (uint32_t j = 0; j < c; ++j) mean[j] = m2[j] = __builtin_nan("");
}

}  // namespace

// Per-chunk Welford statistics, folded in chunk order with Chan's update, so the result is
// exact-order deterministic and the same whatever splits the rows (the MPI port merges the
// same way), and whether the chunks run on parallel_for's threads or on this one.
void measure_stats(dsc_model *m, const float *X, size_t n) {
    const uint32_t c = m->cfg.n_features;
    double *mean = at<double>(m, m->lay.shift);
    double *m2 = at<double>(m, m->lay.inv_scale);
    double *cmean = at<double>(m, m->lay.grad);  // p >= c doubles of scratch each
    double *cm2 = at<double>(m, m->lay.chunk);
    float *mn = at<float>(m, m->lay.acc);
    float *mx = at<float>(m, m->lay.work);
    for (uint32_t j = 0; j < c; ++j) {
        mn[j] = X[j];
        mx[j] = X[j];
    }
    double seen = 0.0;
    if (distributed(m)) {
        dist_stats(m, X, n, mean, m2, mn, mx);
        seen = (double)m->rows_total;
    } else if (m->cfg.parallel_for && n > kChunkRows) {  // slots hold 24 c bytes when standardizing
        StatsJob job = {m, X, n, 0};
        chunk_waves(m, n, stats_task, &job, [&](size_t chunk, uint32_t off) {
            const double *sm = at<double>(m, off);
            const float *smn = at<float>(m, off + 16u * c), *smx = smn + c;
            const size_t cnt = n - chunk * kChunkRows < kChunkRows ? n - chunk * kChunkRows : kChunkRows;
            if (chunk == 0) {
                memcpy(mean, sm, c * sizeof(double));
                memcpy(m2, sm + c, c * sizeof(double));
            } else {
                chan_merge(c, seen, (double)cnt, sm, sm + c, mean, m2);
            }
            for (uint32_t j = 0; j < c; ++j) {
                mn[j] = smn[j] < mn[j] ? smn[j] : mn[j];
                mx[j] = smx[j] > mx[j] ? smx[j] : mx[j];
            }
            seen += (double)cnt;
        });
    } else {
        for (size_t first = 0; first < n; first += kChunkRows) {
            const size_t cnt = n - first < kChunkRows ? n - first : kChunkRows;
            if (first == 0) {
                m->k->col_stats(X, first, cnt, c, c, mean, m2, mn, mx);
            } else {
                m->k->col_stats(X, first, cnt, c, c, cmean, cm2, mn, mx);
                chan_merge(c, seen, (double)cnt, cmean, cm2, mean, m2);
            }
            seen += (double)cnt;
        }
    }
    // A constant column keeps scale 1: its standardized value is exactly 0.
    double bound = 1.0;
    for (uint32_t j = 0; j < c; ++j) {
        const double sd = sqrt(m2[j] / seen);
        m2[j] = sd > 0.0 && isfinite(sd) ? 1.0 / sd : 1.0;
        const double lo = ((double)mn[j] - mean[j]) * m2[j], hi = ((double)mx[j] - mean[j]) * m2[j];
        const double z = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        bound += z * z;
    }
    if (m->cfg.kind == DSC_POLYNOMIAL) {  // features 1, u, .., u^k: sum of z^(2k)
        const double z2 = bound - 1.0;
        double f = 1.0;
        bound = 0.0;
        for (uint32_t k = 0; k <= m->cfg.degree; ++k) {
            bound += f;
            f *= z2;
        }
    }
    m->max_sq_std = bound;
    m->has_stats = 1;
}

ColumnMap column_map(const dsc_model *m) {
    ColumnMap map = {nullptr, nullptr};
    if (standardized(m)) {
        map.shift = at<double>(m, m->lay.shift);
        map.inv_scale = at<double>(m, m->lay.inv_scale);
    }
    return map;
}

void raw_from_std(const dsc_model *m, const float *sp, float *raw) {
    const double *mu = at<double>(m, m->lay.shift);
    const double *inv = at<double>(m, m->lay.inv_scale);
    switch (m->cfg.kind) {
        case DSC_POLYNOMIAL:
            compose_linear(sp, m->cfg.degree, inv[0], -mu[0] * inv[0], raw);
            return;
        case DSC_LEGENDRE3: {
            const double d = (double)sp[3] * inv[0];
            raw[0] = sp[0];
            raw[1] = sp[1];
            raw[2] = (float)((double)sp[2] - d * mu[0]);
            raw[3] = (float)d;
            return;
        }
        default:  // one block [b, w] (LINEAR, LOGISTIC), or SOFTMAX's K of them
            for (uint32_t o = 0; o < m->n_params; o += block_params(m->cfg)) {
                double b = sp[o];
                for (uint32_t j = 0; j < m->cfg.n_features; ++j) {
                    const double w = (double)sp[o + j + 1] * inv[j];
                    b -= w * mu[j];
                    raw[o + j + 1] = (float)w;
                }
                raw[o] = (float)b;
            }
    }
}

void std_from_raw(const dsc_model *m, const float *raw, float *sp) {
    const double *mu = at<double>(m, m->lay.shift);
    const double *inv = at<double>(m, m->lay.inv_scale);
    switch (m->cfg.kind) {
        case DSC_POLYNOMIAL:  // powers of x = mu + s u
            compose_linear(raw, m->cfg.degree, 1.0 / inv[0], mu[0], sp);
            return;
        case DSC_LEGENDRE3:
            sp[0] = raw[0];
            sp[1] = raw[1];
            sp[2] = (float)((double)raw[2] + (double)raw[3] * mu[0]);
            sp[3] = (float)((double)raw[3] / inv[0]);
            return;
        default:
            for (uint32_t o = 0; o < m->n_params; o += block_params(m->cfg)) {
                double b = raw[o];
                for (uint32_t j = 0; j < m->cfg.n_features; ++j) {
                    b += (double)raw[o + j + 1] * mu[j];
                    sp[o + j + 1] = (float)((double)raw[o + j + 1] / inv[j]);
                }
                sp[o] = (float)b;
            }
    }
}

void grad_to_std(const dsc_model *m, double *g) {
    const double *mu = at<double>(m, m->lay.shift);
    const double *inv = at<double>(m, m->lay.inv_scale);
    switch (m->cfg.kind) {
        case DSC_POLYNOMIAL: {
            // g'_k = sum_i M[i][k] g_i, column k of M being the x-coefficients of u^k.
            const uint32_t deg = m->cfg.degree;
            double pw[kMaxPowers + 1], out[kMaxPowers];
            pw[0] = 1.0;
            for (uint32_t k = 0; k <= deg; ++k) {
                double s = 0.0;
                for (uint32_t i = 0; i <= k; ++i) s += pw[i] * g[i];
                out[k] = s;
                times_linear(pw, k, inv[0], -mu[0] * inv[0]);
            }
            memcpy(g, out, (deg + 1) * sizeof(double));
            return;
        }
        case DSC_LEGENDRE3:
            g[3] = inv[0] * (g[3] - mu[0] * g[2]);
            return;
        default:
            for (uint32_t o = 0; o < m->n_params; o += block_params(m->cfg))
                for (uint32_t j = 0; j < m->cfg.n_features; ++j)
                    g[o + j + 1] = inv[j] * (g[o + j + 1] - mu[j] * g[o]);
    }
}

bool adopt_train_params(dsc_model *m, const float *cand) {
    const uint32_t p = m->n_params;
    if (!(standardized(m) && m->has_stats)) {
        memcpy(train_params(m), cand, p * sizeof(float));
        return true;
    }
    float *raw = at<float>(m, m->lay.acc);
    raw_from_std(m, cand, raw);
    for (uint32_t j = 0; j < p; ++j)
        if (!isfinite(raw[j])) return false;
    memcpy(train_params(m), cand, p * sizeof(float));
    memcpy(params(m), raw, p * sizeof(float));
    return true;
}

#else  // GD-only build: nothing is ever standardized
void measure_stats(dsc_model *, const float *, size_t) {}
ColumnMap column_map(const dsc_model *) { return ColumnMap{nullptr, nullptr}; }
void raw_from_std(const dsc_model *, const float *, float *) {}
void std_from_raw(const dsc_model *, const float *, float *) {}
void grad_to_std(const dsc_model *, double *) {}
bool adopt_train_params(dsc_model *m, const float *cand) {
    memcpy(train_params(m), cand, m->n_params * sizeof(float));
    return true;
}
#endif

}  // namespace dsc
