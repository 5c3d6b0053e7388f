// The NEWTON solver: each iteration is one curvature pass (loss, gradient and the p x p
// Hessian, or Gauss-Newton matrix for the MSE models, in double and in standardized
// coordinates when standardizing), a Cholesky solve in the arena, and as many loss passes as
// the Levenberg-Marquardt damping needs before a step lowers the objective. The loss never
// rises. It stops when half the Newton decrement -- the quadratic model's estimate of
// loss - optimum -- falls to conv_tol times the loss.
#include <math.h>
#include <string.h>

#include "model.hpp"

namespace dsc {
#ifndef DESCENT_NO_NEWTON
namespace {

constexpr double kLn2 = 0.69314718055994530942;

CurvFn curv_fn(const dsc_model *m) {
    switch (m->cfg.kind) {
        case DSC_LINEAR: return m->k->curv_linear_mse;
        case DSC_LOGISTIC: return m->k->curv_linear_bce;
#ifndef DESCENT_NO_SOFTMAX
        case DSC_SOFTMAX: return m->k->curv_softmax;
#endif
        case DSC_POLYNOMIAL: return m->k->curv_poly_mse;
        default: return m->k->curv_legendre3_mse;
    }
}

inline size_t tri(uint32_t p) { return (size_t)p * (p + 1) / 2; }

// What a curvature pass sums besides the loss.
enum PassWant : uint32_t { kLossOnly = 0, kGradient = 1, kCurvature = 2 };

// Models linear in their parameters under MSE (LINEAR, POLYNOMIAL): the Gauss-Newton matrix
// 2 J^T J does not depend on theta, so after a fit's first pass the solver keeps it and later
// passes sum the loss and gradient only (the same bits the full pass would give again).
bool constant_curvature(const dsc_model *m) {
    return m->cfg.kind == DSC_LINEAR || m->cfg.kind == DSC_POLYNOMIAL;
}

// One wave of curvature tasks: task i computes chunk first + i into task slot i.
struct CurvJob {
    dsc_model *m;
    const RowSet *rs;
    size_t first;
    const float *theta;
    PassWant want;
};

void curv_task(void *arg, uint32_t i) {
    const CurvJob &job = *static_cast<const CurvJob *>(arg);
    dsc_model *m = job.m;
    const uint32_t p = m->n_params;
    const size_t first_row = (job.first + i) * kChunkRows;
    const size_t cnt =
        job.rs->count - first_row < kChunkRows ? job.rs->count - first_row : kChunkRows;
    const uint32_t slot = m->lay.slots + i * m->lay.slot_bytes;
    double *g = at<double>(m, slot);
    double *h = at<double>(m, slot + (uint32_t)slot_curv_bytes(p));
    curv_fn(m)(sub_rows(*job.rs, first_row, cnt), column_map(m), job.theta, kernel_arg(m),
               h + tri(p), job.want >= kGradient ? g : nullptr,
               job.want == kCurvature ? h : nullptr, &g[p]);
}

// The pass over the caller's parallel_for, max_tasks chunks per call: chunk 0's sums are
// copied and every later chunk's added in chunk order, the same additions as the serial pass
// below, so the result is bit-identical whatever the thread count.
DSC_NOINLINE void parallel_curvature(dsc_model *m, const RowSet &all, const float *theta,
                                     PassWant want, double *loss) {
    const uint32_t p = m->n_params;
    double *g = at<double>(m, m->lay.grad), *h = at<double>(m, m->lay.hess);
    CurvJob job = {m, &all, 0, theta, want};
    chunk_waves(m, all.count, curv_task, &job, [&](size_t chunk, uint32_t off) {
        const double *gs = at<double>(m, off);
        const double *hs = at<double>(m, off + (uint32_t)slot_curv_bytes(p));
        const bool first = chunk == 0;
        *loss = first ? gs[p] : *loss + gs[p];
        if (want == kLossOnly) return;
        for (uint32_t j = 0; j < p; ++j) g[j] = first ? gs[j] : g[j] + gs[j];
        if (want != kCurvature) return;
        for (size_t q = 0; q < tri(p); ++q) h[q] = first ? hs[q] : h[q] + hs[q];
    });
}

// Distributed: each local chunk's gradient, loss and curvature go out keyed by global chunk and
// fold in chunk order with the serial pass's additions.
DSC_NOINLINE void dist_curvature(dsc_model *m, const RowSet &all, const float *theta,
                                 PassWant want, double *loss) {
    const uint32_t p = m->n_params;
    const CurvFn fn = curv_fn(m);
    const ColumnMap map = column_map(m);
    double *g = at<double>(m, m->lay.grad), *h = at<double>(m, m->lay.hess);
    double *gc = at<double>(m, m->lay.chunk), *hc = at<double>(m, m->lay.hess2);
    double *J = at<double>(m, m->lay.jrow);
    const uint64_t key0 = m->row0 / kChunkRows;
    const size_t gp = want >= kGradient ? p : 0, hp = want == kCurvature ? tri(p) : 0;
    const bool pool = m->cfg.parallel_for && all.count > kChunkRows;
    if (pool) {  // the local chunks on the pool, in the slots of parallel_curvature
        CurvJob job = {m, &all, 0, theta, want};
        chunk_waves(m, all.count, curv_task, &job, [&](size_t chunk, uint32_t off) {
            const double *gs = at<double>(m, off);
            const double *hs = at<double>(m, off + (uint32_t)slot_curv_bytes(p));
            const size_t rest = all.count - chunk * kChunkRows;
            const Segment seg[3] = {{gs, gp * sizeof(double)}, {gs + p, sizeof(double)},
                                    {hs, hp * sizeof(double)}};
            dist_emit(m, key0 + chunk, rest < kChunkRows ? rest : kChunkRows, seg, 3);
        });
    }
    for (size_t first = 0; !pool && first < all.count; first += kChunkRows) {
        const size_t cnt = all.count - first < kChunkRows ? all.count - first : kChunkRows;
        double cl;
        fn(sub_rows(all, first, cnt), map, theta, kernel_arg(m), J, gp ? gc : nullptr,
           hp ? hc : nullptr, &cl);
        const Segment seg[3] = {{gc, gp * sizeof(double)}, {&cl, sizeof cl}, {hc, hp * sizeof(double)}};
        dist_emit(m, key0 + first / kChunkRows, cnt, seg, 3);
    }
    const bool ok = dist_fold(m, (gp + 1 + hp) * sizeof(double), true, [&](size_t i, uint64_t, const double *d) {
        const bool first = i == 0;
        for (size_t j = 0; j < gp; ++j) g[j] = first ? d[j] : g[j] + d[j];
        *loss = first ? d[gp] : *loss + d[gp];
        for (size_t q = 0; q < hp; ++q) h[q] = first ? d[gp + 1 + q] : h[q] + d[gp + 1 + q];
    }, [&](Segment *seg) {
        seg[0] = {g, gp * sizeof(double)};
        seg[1] = {loss, sizeof(double)};
        seg[2] = {h, hp * sizeof(double)};
        return 3u;
    });
    if (!ok) *loss = __builtin_nan("");  // also after a partial fold along the ranks
}

// Loss (and as `want` says the gradient into grad, the curvature into hess) of theta over all
// rows; chunk sums are folded in chunk order, as every other full-batch pass.
DSC_NOINLINE void curvature_pass(dsc_model *m, const RowSet &all, const float *theta,
                                 PassWant want, double *loss) {
    if (distributed(m)) {
        dist_curvature(m, all, theta, want, loss);
        return;
    }
    if (m->cfg.parallel_for && all.count > kChunkRows) {
        parallel_curvature(m, all, theta, want, loss);
        return;
    }
    const bool full = want >= kGradient, curv = want == kCurvature;
    const uint32_t p = m->n_params;
    const CurvFn fn = curv_fn(m);
    const ColumnMap map = column_map(m);
    double *g = at<double>(m, m->lay.grad), *h = at<double>(m, m->lay.hess);
    double *gc = at<double>(m, m->lay.chunk), *hc = at<double>(m, m->lay.hess2);
    double *J = at<double>(m, m->lay.jrow);
    for (size_t first = 0; first < all.count; first += kChunkRows) {
        const size_t cnt = all.count - first < kChunkRows ? all.count - first : kChunkRows;
        const RowSet sub = sub_rows(all, first, cnt);
        if (first == 0) {
            fn(sub, map, theta, kernel_arg(m), J, full ? g : nullptr, curv ? h : nullptr, loss);
            continue;
        }
        double cl;
        fn(sub, map, theta, kernel_arg(m), J, full ? gc : nullptr, curv ? hc : nullptr, &cl);
        *loss += cl;
        if (!full) continue;
        for (uint32_t j = 0; j < p; ++j) g[j] += gc[j];
        for (size_t k = 0; curv && k < tri(p); ++k) h[k] += hc[k];
    }
}

// The objective the solver minimizes: the loss under cfg.reduction plus weight_decay / 2 |theta|^2
// (the coupled L2 of the GD path, in the same training coordinates).
double objective(const dsc_model *m, double loss_sum, double n, const float *theta) {
    const double scale = m->cfg.reduction == DSC_REDUCTION_MEAN ? 1.0 / n : 1.0;
    double f = loss_sum * scale;
    if (m->cfg.weight_decay != 0.0f) {
        double t2 = 0.0;
        for (uint32_t j = 0; j < m->n_params; ++j) t2 += (double)theta[j] * theta[j];
        f += 0.5 * (double)m->cfg.weight_decay * t2;
    }
    return f;
}

// Cholesky factorization A = L L^T in place (packed lower triangle by rows); false if A is not
// numerically positive definite.
bool cholesky(double *A, uint32_t p) {
    for (uint32_t i = 0; i < p; ++i) {
        double *ri = A + tri(i);
        for (uint32_t j = 0; j <= i; ++j) {
            const double *rj = A + tri(j);
            double s = ri[j];
            for (uint32_t k = 0; k < j; ++k) s -= ri[k] * rj[k];
            if (j < i) {
                ri[j] = s / rj[j];
            } else {
                if (!(s > 0.0) || !isfinite(s)) return false;
                ri[i] = sqrt(s);
            }
        }
    }
    return true;
}

// Solves L L^T x = b in place.
void cholesky_solve(const double *L, uint32_t p, double *x) {
    for (uint32_t i = 0; i < p; ++i) {
        const double *ri = L + tri(i);
        double s = x[i];
        for (uint32_t k = 0; k < i; ++k) s -= ri[k] * x[k];
        x[i] = s / ri[i];
    }
    for (uint32_t i = p; i-- > 0;) {
        double s = x[i];
        for (uint32_t k = i + 1; k < p; ++k) s -= L[tri(k) + i] * x[k];
        x[i] = s / L[tri(i) + i];
    }
}

// The damped system (H + lambda diag(H) + tau I) step = -g into the step buffer; false if it
// cannot be factored. It is solved equilibrated, D^-1/2 H D^-1/2 with D = diag(H), so columns
// of very different scale (raw units without standardization) do not cost precision; tau, a
// 1e-12 relative ridge, keeps exactly collinear or constant columns solvable (their step
// component is then ~0, the minimum-norm choice).
// SOFTMAX: the objective does not change when one vector is added to every class's block, so
// its Hessian is singular along those directions; the step keeps the last class's block fixed
// and solves for the other K - 1 (the leading principal block of the packed matrix, which is
// positive definite where the data determine the model), and the caller centres the result.
inline uint32_t solve_params(const dsc_model *m) {
    return is_softmax(m->cfg) ? m->n_params - block_params(m->cfg) : m->n_params;
}

DSC_NOINLINE bool damped_step(dsc_model *m, double lambda, double *decrement) {
    const uint32_t p = solve_params(m);
    const double *h = at<double>(m, m->lay.hess), *g = at<double>(m, m->lay.grad);
    double *A = at<double>(m, m->lay.hess2), *s = at<double>(m, m->lay.chunk);
    for (uint32_t i = p; i < m->n_params; ++i) s[i] = 0.0;
    double *d = at<double>(m, m->lay.jrow);  // 1 / sqrt(diag): free between passes
    for (uint32_t i = 0; i < p; ++i) {
        const double hi = h[tri(i) + i];
        d[i] = hi > 0.0 && isfinite(hi) ? 1.0 / sqrt(hi) : 1.0;
    }
    for (uint32_t i = 0; i < p; ++i) {
        for (uint32_t j = 0; j < i; ++j) A[tri(i) + j] = h[tri(i) + j] * d[i] * d[j];
        const double hi = h[tri(i) + i] * d[i] * d[i];
        A[tri(i) + i] = hi + lambda * hi + 1e-12;
    }
    if (!cholesky(A, p)) return false;
    for (uint32_t i = 0; i < p; ++i) s[i] = -g[i] * d[i];
    cholesky_solve(A, p, s);
    double dec = 0.0;
    for (uint32_t i = 0; i < p; ++i) {
        s[i] *= d[i];
        dec -= g[i] * s[i];
    }
    *decrement = dec;
    return isfinite(dec);
}

// Gradient and (with `curv`, else it is kept from an earlier pass) curvature of the objective
// from the pass's sums.
void scale_and_regularize(dsc_model *m, double n, bool curv) {
    const uint32_t p = m->n_params;
    const double scale = m->cfg.reduction == DSC_REDUCTION_MEAN ? 1.0 / n : 1.0;
    double *g = at<double>(m, m->lay.grad), *h = at<double>(m, m->lay.hess);
    const double wd = (double)m->cfg.weight_decay;
    const float *theta = train_params(m);
    for (uint32_t j = 0; j < p; ++j) g[j] = g[j] * scale + wd * (double)theta[j];
    if (!curv) return;
    for (size_t k = 0; k < tri(p); ++k) h[k] *= scale;
    for (uint32_t j = 0; j < p; ++j) h[tri(j) + j] += wd;
}

bool finite_all(const double *v, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!isfinite(v[i])) return false;
    return true;
}

enum StepResult { kStepTaken = 0, kConverged = 1, kStalled = 2 };

// One damped Newton step from the gradient and curvature in the arena: the smallest damping
// (from the one carried over, growing tenfold) whose step lowers the objective. Where the
// curvature is constant, the trial pass also sums the candidate's gradient: once the step is
// taken, *next_loss holds its loss sum and grad its gradient sums (*have_next), which the next
// iteration's pass would compute again bit for bit; a refused candidate's gradient is replaced
// by the current point's again before the next damping is tried.
DSC_NOINLINE StepResult newton_step(dsc_model *m, const FitRows &all, double f, bool *have_next,
                                    double *next_loss) {
    const uint32_t p = m->n_params;
    float *theta = train_params(m);
    float *cand = at<float>(m, m->lay.work);
    const double *s = at<double>(m, m->lay.chunk);
    // Converged: the undamped quadratic model's gap estimate (half the Newton decrement) is a
    // conv_tol fraction of the loss, or its step is within 8 ulps of every float parameter
    // (closer than float parameters can represent: the gap left is rounding). A damped
    // decrement only bounds the undamped one from below, so the test always solves undamped.
    double dec;
    const bool undamped = m->conv_tol >= 0.0f && damped_step(m, 0.0, &dec);
    if (undamped) {
        bool tiny = true;
        for (uint32_t j = 0; j < p; ++j) tiny = tiny && fabs(s[j]) <= 0x1p-20 * fabs((double)theta[j]);
        if (0.5 * dec <= (double)m->conv_tol * fabs(f) || tiny) return kConverged;
    }
    double lambda = m->damping;
    for (int tries = 0; tries < 64 && lambda <= 1e12; ++tries) {
        // The undamped step in the buffer is reused when no damping is carried over.
        const bool solved = tries == 0 && lambda == 0.0 && undamped;
        if (!solved && !damped_step(m, lambda, &dec)) {
            lambda = lambda == 0.0 ? 1e-8 : lambda * 10.0;
            continue;
        }
        bool finite = true;
        for (uint32_t j = 0; j < p; ++j) {
            cand[j] = (float)((double)theta[j] + s[j]);
            finite = finite && isfinite(cand[j]);
        }
#ifndef DESCENT_NO_SOFTMAX
        if (finite && m->cfg.kind == DSC_SOFTMAX) center_classes(m->cfg, cand);
#endif
        if (finite) {
            double lc = 0.0;
            const PassWant want = constant_curvature(m) ? kGradient : kLossOnly;
            curvature_pass(m, all, cand, want, &lc);
            const double fc = objective(m, lc, fit_weight(m, all), cand);
            if (isfinite(fc) && fc < f && adopt_train_params(m, cand)) {
                m->st.step += 1;
                m->damping = lambda < 1e-9 ? 0.0f : (float)(lambda * 0.1);
                *have_next = want == kGradient;
                *next_loss = lc;
                return kStepTaken;
            }
            if (want == kGradient) {  // the current point's gradient back, for the next try
                double l0;
                curvature_pass(m, all, theta, kGradient, &l0);
                scale_and_regularize(m, fit_weight(m, all), false);
            }
        }
        lambda = lambda == 0.0 ? 1e-6 : lambda * 10.0;
    }
    m->damping = 0.0f;
    return kStalled;
}

// Legendre3's all-zero start is a saddle (b = 0 or d = 0 gives a zero gradient in c and d):
// start from b = 1, d = 0.5 in the training coordinates, where P3 bends over the data. Like any
// other move it goes through adopt_train_params: on a column of near-zero spread (std ~ 1e-44)
// d = 0.5 / std overflows float32 in raw units, and the model then stays at the saddle (NEWTON
// fits a and b only) instead of holding an infinite parameter.
void leave_saddle(dsc_model *m) {
    const float *t = train_params(m);
    if (m->cfg.kind != DSC_LEGENDRE3 || (t[1] != 0.0f && t[3] != 0.0f)) return;
    float *cand = at<float>(m, m->lay.work);
    memcpy(cand, t, m->n_params * sizeof(float));
    cand[1] = 1.0f;
    cand[3] = 0.5f;
    adopt_train_params(m, cand);
}

}  // namespace

// The smallest weight a row that counts can have (its sample weight times its class weight):
// a weighted loss sum below log 2 times this puts each such row below log 2. Rows of weight 0
// do not count.
double min_row_weight(const dsc_model *m, const FitRows &all) {
    double w = 1.0;
#ifndef DESCENT_NO_CLASS_WEIGHT
    const float c0 = m->cfg.class_weight[0], c1 = m->cfg.class_weight[1];
    w = c0 == 0.0f ? c1 : c1 == 0.0f ? c0 : c0 < c1 ? c0 : c1;
#endif
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) w *= (double)all.w_min;
#endif
    (void)m, (void)all;
    return w;
}

dsc_status newton_fit(dsc_model *m, const FitRows &all, dsc_fit_report *rep) {
    const uint64_t steps_before = m->st.step;
    const uint32_t p = m->n_params;
    if (m->cfg.kind == DSC_LEGENDRE3 && m->damping == 0.0f) m->damping = 1e-3f;
    leave_saddle(m);
    if (rep) rep->lr_initial = rep->lr = 1.0f;  // Newton steps have no learning rate
    bool have = false;  // the loss and gradient sums at theta came with the last step's trial
    double lsum = 0.0;
    for (uint32_t e = 0; e < m->cfg.max_epochs; ++e) {
        // The matrix of a fit's first pass serves its later passes where it cannot change
        // (nothing between them writes hess: damped_step factors a copy).
        const bool curv = e == 0 || !constant_curvature(m);
        if (!have) curvature_pass(m, all, train_params(m), curv ? kCurvature : kGradient, &lsum);
        have = false;
        const double n = fit_weight(m, all);
        const double f = objective(m, lsum, n, train_params(m));
        scale_and_regularize(m, n, curv);
        const bool bad = !isfinite(f) || !finite_all(at<double>(m, m->lay.grad), p) ||
                         !finite_all(at<double>(m, m->lay.hess), tri(p));
        if (!bad) note_best(m, f);
        const double epoch_loss = m->cfg.reduction == DSC_REDUCTION_MEAN ? lsum / n : lsum;
        uint32_t why = after_epoch(m, n, epoch_loss, bad, false);
        if (rep) rep->epochs_run += 1;
        // Every row's loss below log 2 puts every row on its own side: the classes are
        // separated, and without weight decay the infimum 0 is not attained.
        if (!why && (m->cfg.kind == DSC_LOGISTIC || is_softmax(m->cfg)) &&
            m->cfg.weight_decay == 0.0f &&
            lsum < kLn2 * min_row_weight(m, all))
            why = DSC_STOP_SEPARABLE;
        if (!why) {
            const StepResult r = newton_step(m, all, f, &have, &lsum);
            if (r == kConverged) why = DSC_STOP_CONVERGED;
            else if (r == kStalled) why = DSC_STOP_STALLED;
        }
        if (rep) rep->steps = m->st.step - steps_before;
        if (why) {
            finish(m, rep, why, all);
            return why == DSC_STOP_DIVERGED ? DSC_ERR_DIVERGED : DSC_OK;
        }
    }
    finish(m, rep, DSC_STOP_MAX_EPOCHS, all);
    return DSC_OK;
}

#else  // GD-only build: resolve() never picks NEWTON
dsc_status newton_fit(dsc_model *, const FitRows &, dsc_fit_report *) { return DSC_ERR_UNSUPPORTED; }
#endif

}  // namespace dsc
