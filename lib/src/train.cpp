// The epoch loop: batches (seeded permutation or in order), the fused kernel pass, the
// optimizer step, the divergence guard and the stopping rules.
#include <math.h>
#include <string.h>

#include "autolr.hpp"
#include "model.hpp"

namespace dsc {
namespace {

LossGradFn lossgrad_fn(const dsc_model *m) {
    switch (m->cfg.kind) {
        case DSC_LINEAR: return m->k->linear_mse;
        case DSC_LOGISTIC: return m->k->linear_bce;
#ifndef DESCENT_NO_SOFTMAX
        case DSC_SOFTMAX: return m->k->softmax;
#endif
        case DSC_POLYNOMIAL: return m->k->poly_mse;
        default: return m->k->legendre3_mse;
    }
}

LossFn loss_fn(const dsc_model *m) {
    switch (m->cfg.kind) {
        case DSC_LINEAR: return m->k->linear_mse_loss;
        case DSC_LOGISTIC: return m->k->linear_bce_loss;
#ifndef DESCENT_NO_SOFTMAX
        case DSC_SOFTMAX: return m->k->softmax_loss;
#endif
        case DSC_POLYNOMIAL: return m->k->poly_mse_loss;
        default: return m->k->legendre3_mse_loss;
    }
}

#ifndef DESCENT_NO_LOSSES  // else check_config has refused config.loss
static_assert((uint32_t)DSC_LOSS_HUBER == kRowHuber &&
                  (uint32_t)DSC_LOSS_EPSILON_INSENSITIVE == kRowEpsIns &&
                  (uint32_t)DSC_LOSS_SQUARED_EPSILON_INSENSITIVE == kRowSqEpsIns &&
                  (uint32_t)DSC_LOSS_HINGE == kRowHinge,
              "dsc_loss_kind and the kernels' RowLoss codes differ");
#endif

// The model's loss pass over a row set at theta (sums, as the kernels define them): the kernel
// table's entry for its kind and loss. (A build without the robust losses compiles this to
// the plain table call, inlined: no frame of its own under the kernels' stack budget.)
__attribute__((always_inline)) inline void lossgrad_rows(const dsc_model *m, const RowSet &rs, const float *theta, float *acc,
                          double *grad, double *loss) {
#ifndef DESCENT_NO_LOSSES
    if (m->cfg.loss != DSC_LOSS_DEFAULT) {
        m->k->linear_robust(rs, theta, m->cfg.loss, m->cfg.epsilon, acc, grad, loss);
        return;
    }
#endif
    lossgrad_fn(m)(rs, theta, kernel_arg(m), acc, grad, loss);
}

__attribute__((always_inline)) inline double loss_rows(const dsc_model *m, const RowSet &rs, const float *theta) {
#ifndef DESCENT_NO_LOSSES
    if (m->cfg.loss != DSC_LOSS_DEFAULT) {
        double loss;
        m->k->linear_robust(rs, theta, m->cfg.loss, m->cfg.epsilon, nullptr, nullptr, &loss);
        return loss;
    }
#endif
    return loss_fn(m)(rs, theta, kernel_arg(m));
}

GramFn gram_fn(const dsc_model *m) {
    return m->cfg.kind == DSC_POLYNOMIAL ? m->k->poly_gram : m->k->linear_gram;
}

// One wave of chunk tasks: task i computes chunk first + i into slot i. Tasks share nothing
// but read-only inputs, so any thread may run any task in any order.
struct ChunkJob {
    dsc_model *m;
    const RowSet *rs;
    size_t first;
    const float *v;  // null: loss and gradient at the parameters; else the Gram product with v
};

void chunk_task(void *arg, uint32_t i) {
    const ChunkJob &job = *static_cast<const ChunkJob *>(arg);
    dsc_model *m = job.m;
    const size_t first_row = (job.first + i) * kChunkRows;
    const size_t cnt =
        job.rs->count - first_row < kChunkRows ? job.rs->count - first_row : kChunkRows;
    double *slot = at<double>(m, m->lay.slots + i * m->lay.slot_bytes);
    float *acc = reinterpret_cast<float *>(slot + m->n_params + 2);
    const RowSet sub = sub_rows(*job.rs, first_row, cnt);
    if (job.v) gram_fn(m)(sub, job.v, m->cfg.degree, acc, slot, &slot[m->n_params + 1]);
    else lossgrad_rows(m, sub, params(m), acc, slot, &slot[m->n_params]);
}

// Runs every chunk of `rs` through the caller's parallel_for, max_tasks chunks per call, and
// folds the chunk sums in chunk order: the same additions, in the same order, as the
// single-threaded pass, whatever the number of threads.
DSC_NOINLINE void parallel_chunks(dsc_model *m, const RowSet &rs, const float *v, double *sums,
                     double *extra) {
    const uint32_t p = m->n_params;
    ChunkJob job = {m, &rs, 0, v};
    chunk_waves(m, rs.count, chunk_task, &job, [&](size_t chunk, uint32_t off) {
        const double *slot = at<double>(m, off);
        const double x = v ? slot[p + 1] : slot[p];
        if (chunk == 0) {
            for (uint32_t j = 0; j < p; ++j) sums[j] = slot[j];
            *extra = x;
        } else {
            for (uint32_t j = 0; j < p; ++j) sums[j] += slot[j];
            if (v) *extra = x > *extra ? x : *extra;
            else *extra += x;
        }
    });
}

// Gram product sum_rows phi (phi . v) over all rows, and the largest |phi|^2. Without
// `product` only max_sq is wanted (no chunk buffer needed: each chunk overwrites `out`).
// Distributed: each local chunk's product and max_sq go out keyed by global chunk, and fold in
// chunk order with the additions (and maxima) of the serial pass below.
DSC_NOINLINE void dist_gram(dsc_model *m, const RowSet &rs, const float *v, bool product,
                            double *out, double *max_sq) {
    const uint32_t p = m->n_params;
    const GramFn fn = gram_fn(m);
    float *acc = at<float>(m, m->lay.acc);
    double *chunk = at<double>(m, m->lay.chunk);
    const uint64_t key0 = m->row0 / kChunkRows;
    for (size_t first = 0; first < rs.count; first += kChunkRows) {
        const size_t cnt = rs.count - first < kChunkRows ? rs.count - first : kChunkRows;
        double mx;
        fn(sub_rows(rs, first, cnt), v, m->cfg.degree, acc, chunk, &mx);
        const Segment seg[2] = {{chunk, p * sizeof(double)}, {&mx, sizeof mx}};
        dist_emit(m, key0 + first / kChunkRows, cnt, seg, 2);
    }
    *max_sq = __builtin_nan("");
    // Along the ranks a failure can come after the local part of the fold: the outputs are
    // then poisoned, so no rank steps on a partial sum.
    const bool ok = dist_fold(m, (p + 1) * sizeof(double), true, [&](size_t i, uint64_t, const double *d) {
        if (i == 0) *max_sq = 0.0;
        if (d[p] > *max_sq) *max_sq = d[p];
        if (!product) return;
        for (uint32_t j = 0; j < p; ++j) out[j] = i == 0 ? d[j] : out[j] + d[j];
    }, [&](Segment *seg) {
        seg[0] = {out, p * sizeof(double)};
        seg[1] = {max_sq, sizeof(double)};
        return 2u;
    });
    if (ok) return;
    *max_sq = __builtin_nan("");
    for (uint32_t j = 0; j < p; ++j) out[j] = __builtin_nan("");
}

void gram_pass(dsc_model *m, const RowSet &rs, const float *v, bool product, double *out,
               double *max_sq) {
    if (distributed(m)) {
        dist_gram(m, rs, v, product, out, max_sq);
        return;
    }
    if (m->cfg.parallel_for && rs.count > kChunkRows) {
        parallel_chunks(m, rs, v, out, max_sq);
        return;
    }
    const GramFn fn = gram_fn(m);
    float *acc = at<float>(m, m->lay.acc);
    double *chunk = at<double>(m, m->lay.chunk);
    *max_sq = 0.0;
    for (size_t first = 0; first < rs.count; first += kChunkRows) {
        const size_t cnt = rs.count - first < kChunkRows ? rs.count - first : kChunkRows;
        double mx;
        if (first == 0 || !product) {
            fn(sub_rows(rs, first, cnt), v, m->cfg.degree, acc, out, &mx);
        } else {
            fn(sub_rows(rs, first, cnt), v, m->cfg.degree, acc, chunk, &mx);
            for (uint32_t j = 0; j < m->n_params; ++j) out[j] += chunk[j];
        }
        if (mx > *max_sq) *max_sq = mx;
    }
}

// Not inlined, here and for the epoch bodies below: their frames then never stack on top of
// each other inside fit(), which keeps dsc_fit's worst-case stack small on microcontrollers.
// Standardized models need the curvature in standardized coordinates: the design there is
// Phi M (theta_raw = M theta_std), so the Gram product is M^T (Phi^T Phi) (M v), and the row
// norm bound comes from the statistics pass.
DSC_NOINLINE float auto_lr(dsc_model *m, const FitRows &all) {
    uint64_t rows = total_rows(m, all);
    float wmax = 1.0f;
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) {  // the weighted Gram product; rows of weight 0 are no rows
        rows = all.nz_all;
        wmax = all.w_max;
    }
#endif
    // SOFTMAX's curvature bound comes from the features' Gram matrix (autolr.hpp).
    const uint32_t p = is_softmax(m->cfg) ? block_params(m->cfg) : m->n_params;
    return pick_lr(m->cfg, p, rows, fit_weight(m, all), at<float>(m, m->lay.work),
                   at<double>(m, m->lay.grad),
                   [&](const float *v, bool product, double *out, double *max_sq) {
                       if (!standardized(m)) {
                           gram_pass(m, all, v, product, out, max_sq);
                           return;
                       }
                       *max_sq = m->max_sq_std * (double)wmax;
                       if (!product) return;
                       float *rv = at<float>(m, m->lay.best);
                       raw_from_std(m, v, rv);
                       double unused;
                       gram_pass(m, all, rv, true, out, &unused);
                       grad_to_std(m, out);
                   });
}

// One optimizer step from the gradient in m's grad buffer. False if it would leave the
// parameters non-finite (they are then left as they were).
// MEAN divides the summed gradient by `div` (0: by `rows`, the rows of the batch): weighted,
// the batch's nonzero rows times the training rows' mean nonzero weight. `rows` count as
// samples seen.
DSC_NOINLINE bool step(dsc_model *m, size_t rows, float *lr_used, double div) {
    StepInput in;
    in.grad = at<double>(m, m->lay.grad);
    if (standardized(m)) grad_to_std(m, at<double>(m, m->lay.grad));
    if (div == 0.0) div = (double)rows;
    in.scale = m->cfg.reduction == DSC_REDUCTION_MEAN ? 1.0 / div : 1.0;
    in.lr = scheduled_lr(m->cfg.schedule == DSC_LR_INVSCALING, m->cfg.power_t, m->st.lr, m->st.step + 1);
    *lr_used = in.lr;
    float *cand = at<float>(m, m->lay.work);
    if (!sgd_step(m, in, cand)) return false;
    if (penalized(m)) {
        // The convergence test reads the gradient buffer: with the proximal step the gradient
        // mapping (theta - theta_new) / lr_t stands for it (in the same summed units).
        double *g = at<double>(m, m->lay.grad);
        const float *theta = train_params(m);
        const float inv = (float)(1.0 / in.scale) / in.lr;
        for (uint32_t j = 0; j < m->n_params; ++j) g[j] = (double)((theta[j] - cand[j]) * inv);
    }
#ifndef DESCENT_NO_SOFTMAX
    // SOFTMAX: the gradient sums to 0 over the classes, so GD keeps the convention up to
    // rounding; each step also centres exactly (a per-step rule, so continued fits stay bit
    // for bit those of one long fit), unless an L1 term makes centring a change of objective.
    if (is_softmax(m->cfg) && !(m->cfg.alpha > 0.0f && m->cfg.l1_ratio > 0.0f))
        center_classes(m->cfg, cand);
#endif
    if (!adopt_train_params(m, cand)) return false;
    m->st.step += 1;
#ifndef DESCENT_NO_AVERAGE  // only averaging reads it (a blob from such a build says 0)
    m->seen += rows;
    average_step(m);
#else
    (void)rows;
#endif
    return true;
}

const char *stop_message(uint32_t why) {
    switch (why) {
        case DSC_STOP_DIVERGED:
            return "training diverged (non-finite loss or parameters); the parameters with the "
                   "lowest loss of this fit were kept — lower the learning rate";
        case DSC_STOP_CONVERGED: return "converged: the convergence test (conv_tol) passed";
        case DSC_STOP_SEPARABLE:
            return "the classes are linearly separable: the loss has no finite minimiser; the "
                   "parameters kept separate them (add weight_decay for a finite optimum)";
        case DSC_STOP_STALLED:
            return "not converged: no damped Newton step lowers the loss further (near-singular "
                   "curvature or a loss at float precision) before conv_tol was met";
        case DSC_STOP_CALLBACK: return "stopped by the on_epoch callback";
        case DSC_STOP_TOLERANCE: return "loss stopped improving by tol for n_iter_no_change epochs";
        case DSC_STOP_LR_MIN: return "adaptive schedule: learning rate fell to 1e-6";
#ifndef DESCENT_NO_EARLY_STOP
        case DSC_STOP_VALIDATION:
            return "early stopping: the held-out loss did not improve by tol for n_iter_no_change "
                   "epochs; the parameters with the lowest held-out loss were kept";
#endif
        default:
            return "reached max_epochs before the convergence test passed (not converged)";
    }
}

// A loss that is already non-finite before this fit took a single step was computed at the
// starting parameters with finite data: the float32 loss overflows for this data's magnitude
// (|y| ~ 1e19 squared), which no learning rate can fix.
const char kLossOverflow[] =
    "loss overflows float32 for these targets: scale them (the loss at the starting parameters "
    "is already non-finite; no learning rate can fix this)";

#ifndef DESCENT_NO_EARLY_STOP
// Early stopping's split (model.hpp's split_positions under this model's seed).
inline void split_rows(const dsc_model *m, size_t n, uint64_t first, size_t cnt, uint32_t *idx) {
    split_positions(m->cfg.seed, n, first, cnt, idx);
}

// Training rows first..first+cnt-1 of this epoch's order: the training positions in order,
// or with shuffle through the epoch's permutation of them (as without a split, over n_train).
DSC_NOINLINE void train_batch_rows(const dsc_model *m, size_t n, uint64_t n_val, size_t first,
                                   size_t cnt, uint32_t *idx) {
    if (!m->cfg.shuffle) {
        split_rows(m, n, n_val + first, cnt, idx);
        return;
    }
    Permutation epoch;
    permutation_init(&epoch, n - n_val, m->cfg.seed, m->st.epoch);
    permutation_apply_batch(epoch, first, cnt, idx);
    Permutation split;
    permutation_init(&split, n, m->cfg.seed, kSplitKey);
    for (size_t i = 0; i < cnt; ++i) idx[i] = (uint32_t)permutation_apply(split, n_val + idx[i]);
}

// The summed loss at the parameters of the rows at split positions [begin, end) (the held-out
// rows are [0, n_val)), in groups of kEsGroupRows rows folded in order. With grad: their gradient
// sums are also taken off grad (full batch: the pass over all rows minus the held-out one is
// the training rows' pass, so every row is read by the contiguous, threadable pass and only
// the held-out rows pay for the permutation's hashing).
DSC_NOINLINE double heldout_pass(dsc_model *m, const RowSet &all, double *grad, uint64_t begin,
                                 uint64_t end) {
    uint32_t *idx = es_rows(m);
    float *acc = at<float>(m, m->lay.acc);
    double *chunk = at<double>(m, m->lay.chunk);
    double sum = 0.0;
    for (uint64_t first = begin; first < end; first += kEsGroupRows) {
        const size_t cnt = end - first < kEsGroupRows ? (size_t)(end - first) : kEsGroupRows;
        split_rows(m, all.count, first, cnt, idx);
        RowSet rs = all;
        rs.idx = idx;
        rs.begin = 0;
        rs.count = cnt;
        if (!grad) {
            sum += loss_rows(m, rs, params(m));
            continue;
        }
        double l;
        lossgrad_rows(m, rs, params(m), acc, chunk, &l);
        for (uint32_t j = 0; j < m->n_params; ++j) grad[j] -= chunk[j];
        sum += l;
    }
    return sum;
}

// Measures the held-out loss of the current parameters, reached after `epochs` epochs of this
// fit; the lowest of the fit keeps its parameters (a non-finite loss never does). With grad,
// the full-batch pass: the held-out sums also come off grad. Returns the summed loss.
DSC_NOINLINE double heldout_note(dsc_model *m, const FitRows &all, double *grad, uint32_t epochs) {
    EsState *es = es_state(m);
    const double sum = heldout_pass(m, all, grad, 0, es->n_val);
    double div = (double)es->n_val;
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) div = all.w_val;
#endif
    es->last = isfinite(sum) ? sum / div : __builtin_inf();
    if (!(es->last < es->best)) return sum;
    es->best = es->last;
    es->best_epoch = epochs;
    memcpy(es_best_params(m), train_params(m), m->n_params * sizeof(float));
    return sum;
}
#endif


}  // namespace

// The report's closing fields; the final full-data loss costs a pass, so only with a report.
DSC_NOINLINE void finish(dsc_model *m, dsc_fit_report *rep, uint32_t why, const FitRows &all) {
    if (why == DSC_STOP_DIVERGED) restore_best(m);
    bool kept_final = true;
#ifndef DESCENT_NO_EARLY_STOP
    // Early stopping: the parameters the fit ended at are measured too (full batch measures
    // each epoch's starting ones; minibatch measured these at the last epoch's end), and
    // whichever had the lowest held-out loss are the ones left in the model.
    EsState *es = early_stop(m) ? es_state(m) : nullptr;
    if (es && why != DSC_STOP_DIVERGED) {
        const uint32_t epochs = m->st.epoch - es->epoch0;
        if (m->cfg.batch_size == 0) heldout_note(m, all, nullptr, epochs);
        kept_final = es->best_epoch == epochs;
        if (!kept_final) adopt_train_params(m, es_best_params(m));
    }
#endif
    if (!rep) return;
    rep->stop_reason = why;
    rep->converged = why == DSC_STOP_CONVERGED && kept_final;
    rep->message = stop_message(why);
    if (why == DSC_STOP_MAX_EPOCHS && m->conv_tol < 0.0f) rep->message = "reached max_epochs";
    if (why == DSC_STOP_CONVERGED && !kept_final)
        rep->message = "converged on the training rows, but the parameters of an earlier epoch had "
                       "a lower held-out loss and were kept (not the training optimum)";
    // No finite epoch loss and no step in this fit: the loss overflowed at the start.
    if (why == DSC_STOP_DIVERGED && !isfinite(m->fit_best) && rep->steps == 0)
        rep->message = kLossOverflow;
#ifndef DESCENT_NO_EARLY_STOP
    if (es && why != DSC_STOP_DIVERGED) {
        rep->validation_loss = (float)es->best;
        rep->best_epoch = es->best_epoch;
    }
    if (es) {  // the training rows' own loss (once per fit: direct, not a difference)
        const double held = heldout_pass(m, all, nullptr, es->n_val, all.count);
        const bool mean = m->cfg.reduction == DSC_REDUCTION_MEAN;
        rep->final_loss = (float)(mean ? held / train_weight(m, all) : held);
        return;
    }
#endif
    rep->final_loss = (float)fit_loss(m, all);
}

// Divergence keeps the parameters with the lowest loss seen in this fit.
void note_best(dsc_model *m, double loss) {
    if (!(loss < m->fit_best)) return;
    m->fit_best = loss;
    memcpy(at<float>(m, m->lay.best), train_params(m), m->n_params * sizeof(float));
}

// Before any finite epoch loss, the best known parameters are those the fit started from.
// Through adopt_train_params, like every other move: the best parameters' raw map is finite
// for everything this library trained, but a crafted blob can start a fit from training
// parameters whose map overflows float32; the model then keeps its current (finite) state.
void restore_best(dsc_model *m) { adopt_train_params(m, at<float>(m, m->lay.best)); }

// Everything after an epoch's passes: the epoch counter, the divergence guard, the callback
// and the stopping rules. Returns 0 to go on, else a dsc_stop_reason.
DSC_NOINLINE uint32_t after_epoch(dsc_model *m, double n, double epoch_loss, bool diverged,
                                  bool safeguard) {
    const dsc_config &c = m->cfg;
    m->st.epoch += 1;
    // Once per epoch, not per step: the callback and every const call see the average.
    refresh_average(m);
    if (diverged || !isfinite(epoch_loss)) {
        // The momentum buffer may hold the failed step's values: start it afresh.
        m->st.has_buf = 0;
        if (float *v = at<float>(m, m->lay.velocity)) memset(v, 0, m->n_params * sizeof(float));
        return DSC_STOP_DIVERGED;
    }
    if (c.on_epoch && c.on_epoch(c.user, m->st.epoch, (float)epoch_loss)) return DSC_STOP_CALLBACK;
    EpochRules rules;
#ifndef DESCENT_NO_EARLY_STOP
    rules.watch_set = false;
    rules.watch = 0.0;
#endif
    // Automatic rate safeguard: with momentum 0 and the full batch, a rise in the loss means
    // the step exceeded 2/L.
    rules.safeguard = safeguard;
    if (safeguard && penalized(m)) {
        // Proximal GD lowers loss + penalty, not the loss alone: the safeguard watches that.
        const float obj = (float)epoch_loss + m->pen_before;
        if (obj > m->prev_obj * (1.0f + 1e-6f)) m->st.lr *= 0.5f;
        m->prev_obj = obj;
        rules.safeguard = false;
    }
    rules.adaptive = c.schedule == DSC_LR_ADAPTIVE;
    rules.tol = c.tol;
    rules.patience = c.n_iter_no_change;
    rules.per_sample = c.reduction == DSC_REDUCTION_MEAN ? 1.0 : 1.0 / n;
#ifndef DESCENT_NO_EARLY_STOP
    if (early_stop(m)) {  // the rule watches the held-out loss; a negative tol counts as 0
        rules.watch_set = true;
        rules.watch = es_state(m)->last;
        if (rules.tol < 0.0f) rules.tol = 0.0f;
        const uint32_t why = epoch_end(m->st, rules, epoch_loss);
        return why == DSC_STOP_TOLERANCE ? (uint32_t)DSC_STOP_VALIDATION : why;
    }
#endif
    return epoch_end(m->st, rules, epoch_loss);
}

// Loss and gradient summed over a row set. Sets of more than one chunk fold the chunk sums in
// chunk order, so the result is the same however the chunks are scheduled.
namespace {
// Distributed full batch: the records of lossgrad_chunks's chunks, folded with its additions.
DSC_NOINLINE void dist_lossgrad(dsc_model *m, const RowSet &all, double *grad, double *loss) {
    const uint32_t p = m->n_params;
    float *acc = at<float>(m, m->lay.acc);
    double *chunk = at<double>(m, m->lay.chunk);
    const uint64_t key0 = m->row0 / kChunkRows;
    const bool pool = m->cfg.parallel_for && all.count > kChunkRows;
    if (pool) {  // the local chunks on the pool, in the slots of parallel_chunks
        ChunkJob job = {m, &all, 0, nullptr};
        chunk_waves(m, all.count, chunk_task, &job, [&](size_t k, uint32_t off) {
            const size_t rest = all.count - k * kChunkRows;
            const Segment seg = {at<double>(m, off), (p + 1) * sizeof(double)};
            dist_emit(m, key0 + k, rest < kChunkRows ? rest : kChunkRows, &seg, 1);
        });
    }
    for (size_t first = 0; !pool && first < all.count; first += kChunkRows) {
        const size_t cnt = all.count - first < kChunkRows ? all.count - first : kChunkRows;
        double cl;
        lossgrad_rows(m, sub_rows(all, first, cnt), params(m), acc, chunk, &cl);
        const Segment seg[2] = {{chunk, p * sizeof(double)}, {&cl, sizeof cl}};
        dist_emit(m, key0 + first / kChunkRows, cnt, seg, 2);
    }
    const bool ok = dist_fold(m, (p + 1) * sizeof(double), true, [&](size_t i, uint64_t, const double *d) {
        for (uint32_t j = 0; j < p; ++j) grad[j] = i == 0 ? d[j] : grad[j] + d[j];
        *loss = i == 0 ? d[p] : *loss + d[p];
    }, [&](Segment *seg) {
        seg[0] = {grad, p * sizeof(double)};
        seg[1] = {loss, sizeof(double)};
        return 2u;
    });
    if (!ok) *loss = __builtin_nan("");  // also after a partial fold along the ranks
}

// Row sets longer than one chunk (out of line: its locals stay off the common path's stack).
DSC_NOINLINE void lossgrad_chunks(dsc_model *m, const RowSet &rs, double *grad, double *loss) {
    if (m->cfg.parallel_for) {
        parallel_chunks(m, rs, nullptr, grad, loss);
        return;
    }
    const float *theta = params(m);
    float *acc = at<float>(m, m->lay.acc);
    double *chunk = at<double>(m, m->lay.chunk);
    lossgrad_rows(m, sub_rows(rs, 0, kChunkRows), theta, acc, grad, loss);
    for (size_t first = kChunkRows; first < rs.count; first += kChunkRows) {
        const size_t cnt = rs.count - first < kChunkRows ? rs.count - first : kChunkRows;
        double cl;
        lossgrad_rows(m, sub_rows(rs, first, cnt), theta, acc, chunk, &cl);
        for (uint32_t j = 0; j < m->n_params; ++j) grad[j] += chunk[j];
        *loss += cl;
    }
}
}  // namespace

void lossgrad_pass(dsc_model *m, const RowSet &rs, double *grad, double *loss) {
    if (rs.count > kChunkRows) {
        lossgrad_chunks(m, rs, grad, loss);
        return;
    }
#ifndef DESCENT_NO_LOSSES
    if (m->cfg.loss != DSC_LOSS_DEFAULT) {
        lossgrad_rows(m, rs, params(m), at<float>(m, m->lay.acc), grad, loss);
        return;
    }
#endif
    // The table call as it is (firmware: this frame is on dsc_fit's deepest stack path).
    lossgrad_fn(m)(rs, params(m), kernel_arg(m), at<float>(m, m->lay.acc), grad, loss);
}

// The loss of a fit's rows at the parameters (all ranks' rows when distributed).
double fit_loss(dsc_model *m, const FitRows &all) {
    if (!distributed(m)) return full_loss(m, all, fit_weight(m, all));
    const uint64_t key0 = m->row0 / kChunkRows;
    for (size_t first = 0; first < all.count; first += kChunkRows) {
        const size_t cnt = all.count - first < kChunkRows ? all.count - first : kChunkRows;
        const double l = loss_rows(m, sub_rows(all, first, cnt), published(m));
        const Segment seg = {&l, sizeof l};
        dist_emit(m, key0 + first / kChunkRows, cnt, &seg, 1);
    }
    double loss = 0.0;
    const bool ok = dist_fold(
        m, sizeof(double), true,
        [&](size_t i, uint64_t, const double *d) { loss = i == 0 ? d[0] : loss + d[0]; },
        [&](Segment *seg) {
            seg[0] = {&loss, sizeof loss};
            return 1u;
        });
    if (!ok) return __builtin_nan("");
    return m->cfg.reduction == DSC_REDUCTION_MEAN ? loss / (double)m->rows_total : loss;
}

double full_loss(const dsc_model *m, const RowSet &rs, double mean_div) {
    const size_t n = rs.count;
    double loss = 0.0;
    for (size_t first = 0; first < n; first += kChunkRows) {
        const size_t cnt = n - first < kChunkRows ? n - first : kChunkRows;
        loss += loss_rows(m, sub_rows(rs, first, cnt), published(m));
    }
    return m->cfg.reduction == DSC_REDUCTION_MEAN ? loss / mean_div : loss;
}

// Rows first..first+cnt-1 of this epoch's shuffled order. The permutation is rebuilt per
// batch (a few integer hashes, eight indices at a time) so it lives in this short frame, not
// across the kernel pass.
DSC_NOINLINE void shuffled_rows(const dsc_model *m, size_t n, size_t first, size_t cnt, uint32_t *idx) {
    Permutation perm;
    permutation_init(&perm, n, m->cfg.seed, m->st.epoch);
    permutation_apply_batch(perm, first, cnt, idx);
}

// Distributed minibatch: rows first..first+cnt-1 of the global epoch order (the single process's
// batch); each rank sums the ones in its shard, and the per-rank sums fold in rank order. One
// rank computes exactly dsc_fit's sums; more ranks split the float block sums differently.
DSC_NOINLINE double dist_batch(dsc_model *m, const RowSet &all, size_t first, size_t cnt) {
    uint32_t *idx = at<uint32_t>(m, m->lay.idx);
    double *grad = at<double>(m, m->lay.grad);
    const uint32_t p = m->n_params;
    RowSet rs = all;
    size_t k = 0;
    if (idx) {
        shuffled_rows(m, total_rows(m, all), first, cnt, idx);
        for (size_t i = 0; i < cnt; ++i)
            if (idx[i] >= m->row0 && idx[i] - m->row0 < all.count) idx[k++] = (uint32_t)(idx[i] - m->row0);
        rs.idx = idx;
        rs.count = k;
    } else {
        const uint64_t lo = first > m->row0 ? first : m->row0;
        const uint64_t hi = first + cnt < m->row0 + all.count ? first + cnt : m->row0 + all.count;
        k = hi > lo ? (size_t)(hi - lo) : 0;
        rs = sub_rows(all, k ? (size_t)(lo - m->row0) : 0, k);
    }
    if (k) {
        double bl = 0.0;
        lossgrad_pass(m, rs, grad, &bl);
        const Segment seg[2] = {{grad, p * sizeof(double)}, {&bl, sizeof bl}};
        dist_emit(m, m->cfg.comm_rank, k, seg, 2);
    }
    double loss = __builtin_nan("");
    const bool ok = dist_fold(m, (p + 1) * sizeof(double), false, [&](size_t i, uint64_t, const double *d) {
        for (uint32_t j = 0; j < p; ++j) grad[j] = i == 0 ? d[j] : grad[j] + d[j];
        loss = i == 0 ? d[p] : loss + d[p];
    }, [&](Segment *seg) {
        seg[0] = {grad, p * sizeof(double)};
        seg[1] = {&loss, sizeof loss};
        return 2u;
    });
    return ok ? loss : __builtin_nan("");
}

// One epoch of distributed minibatch SGD: the batches of the single-process epoch below.
DSC_NOINLINE bool dist_minibatch_epoch(dsc_model *m, const FitRows &all, double *epoch_loss,
                                       float *lr_used) {
    const uint32_t b = m->cfg.batch_size;
    const size_t n = total_rows(m, all);
    *epoch_loss = 0.0;
    for (size_t first = 0; first < n; first += b) {
        const size_t cnt = n - first < b ? n - first : b;
        const double bl = dist_batch(m, all, first, cnt);
        *epoch_loss += bl;
        if (!isfinite(bl) || !step(m, cnt, lr_used, 0.0)) return false;
    }
    note_best(m, m->cfg.reduction == DSC_REDUCTION_MEAN ? *epoch_loss / (double)n : *epoch_loss);
    return true;
}

#ifndef DESCENT_NO_SAMPLE_WEIGHT
// Rows of a batch whose sample weight is not zero.
size_t nonzero_rows(const RowSet &rs) {
    size_t k = 0;
    for (size_t r = 0; r < rs.count; ++r) k += rs.w[row_of(rs, r)] != 0.0f;
    return k;
}
#endif

// One epoch of minibatch SGD; returns false if the loss or an update went non-finite.
DSC_NOINLINE bool minibatch_epoch(dsc_model *m, const FitRows &all, double *epoch_loss, float *lr_used) {
    if (distributed(m)) return dist_minibatch_epoch(m, all, epoch_loss, lr_used);
    const dsc_config &c = m->cfg;
    double *grad = at<double>(m, m->lay.grad);
    uint32_t *idx = at<uint32_t>(m, m->lay.idx);
    *epoch_loss = 0.0;
#ifndef DESCENT_NO_EARLY_STOP
    const size_t nt = train_rows(m, all);
#else  // all.count as it was read before early stopping existed (dsc_fit's stack on MCUs)
    const size_t &nt = all.count;
#endif
    for (size_t first = 0; first < nt; first += c.batch_size) {
        const size_t cnt = nt - first < c.batch_size ? nt - first : c.batch_size;
        RowSet rs = sub_rows(all, first, cnt);
        if (idx && !early_stop(m)) {
            shuffled_rows(m, all.count, first, cnt, idx);
            rs.idx = idx;
        }
#ifndef DESCENT_NO_EARLY_STOP
        if (early_stop(m)) {  // the training rows of the split, in this epoch's order
            rs.idx = es_rows(m);
            rs.begin = 0;
            train_batch_rows(m, all.count, all.count - nt, first, cnt, es_rows(m));
        }
#endif
        double div = 0.0;
        size_t rows = cnt;
#ifndef DESCENT_NO_SAMPLE_WEIGHT
        if (weighted(all)) {
            // A batch of zero-weight rows is no batch: no step, no count. Otherwise MEAN
            // divides by its nonzero rows times the training rows' mean nonzero weight, so
            // the expected step is that of the weighted mean over the training rows.
            rows = nonzero_rows(rs);
            if (rows == 0) continue;
            div = (double)rows * (train_weight(m, all) / (double)(all.nz_all - all.nz_val));
        }
#endif
        double bl = 0.0;
        lossgrad_pass(m, rs, grad, &bl);
        *epoch_loss += bl;
        if (!isfinite(bl) || !step(m, rows, lr_used, div)) return false;
    }
    // The epoch loss was accumulated along the way: the params at its end stand for it.
    note_best(m, c.reduction == DSC_REDUCTION_MEAN ? *epoch_loss / train_weight(m, all) : *epoch_loss);
#ifndef DESCENT_NO_EARLY_STOP
    // Held out: the parameters at the epoch's end (after_epoch has not counted it yet).
    if (early_stop(m)) heldout_note(m, all, nullptr, m->st.epoch + 1 - es_state(m)->epoch0);
#endif
    return true;
}

// The epoch loss is the loss at the params before the step: those are the ones noted.
// A penalized model notes the penalty there too (in the model, off dsc_fit's stack): the
// automatic rate's safeguard compares loss + penalty.
DSC_NOINLINE bool full_batch_epoch(dsc_model *m, const FitRows &all, double *epoch_loss, float *lr_used) {
    if (penalized(m)) m->pen_before = penalty_value(m);
    if (distributed(m)) dist_lossgrad(m, all, at<double>(m, m->lay.grad), epoch_loss);
    else lossgrad_pass(m, all, at<double>(m, m->lay.grad), epoch_loss);
#ifndef DESCENT_NO_EARLY_STOP
    // The held-out rows' share comes off the sums; their loss is that of the parameters this
    // epoch's step starts from.
    if (early_stop(m)) {
        const double held =
            heldout_note(m, all, at<double>(m, m->lay.grad), m->st.epoch - es_state(m)->epoch0);
        // Every row loss is >= 0: a difference below 0 is rounding (few training rows beside
        // many held-out ones), and a negative loss would poison the safeguard and the blob.
        *epoch_loss -= held;
        if (*epoch_loss < 0.0) *epoch_loss = 0.0;
    }
#endif
    if (!isfinite(*epoch_loss)) return false;
    note_best(m, m->cfg.reduction == DSC_REDUCTION_MEAN ? *epoch_loss / train_weight(m, all) : *epoch_loss);
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) return step(m, (size_t)(all.nz_all - all.nz_val), lr_used, train_weight(m, all));
#endif
    return step(m, train_rows(m, all), lr_used, 0.0);
}

namespace {
// Full-batch GD's convergence test: the step just taken, lr g, guarantees a decrease of at
// least lr |g|^2 / 2 when lr <= 1/L; once that is a conv_tol fraction of the loss, stop.
DSC_NOINLINE bool gd_converged(const dsc_model *m, double n, double epoch_loss, float lr) {
    if (m->conv_tol < 0.0f || m->cfg.batch_size != 0) return false;
    const double *g = at<double>(m, m->lay.grad);
    const double scale = m->cfg.reduction == DSC_REDUCTION_MEAN ? 1.0 / n : 1.0;
    double g2 = 0.0;
    for (uint32_t j = 0; j < m->n_params; ++j) g2 += g[j] * g[j];
    return 0.5 * (double)lr * g2 * scale * scale <= (double)m->conv_tol * fabs(epoch_loss);
}
}  // namespace

namespace {
DSC_NOINLINE dsc_status train_loop(dsc_model *m, const FitRows &all, dsc_fit_report *rep) {
    const uint64_t steps_before = m->st.step;
    float lr_used = m->st.lr;
    if (rep) rep->lr_initial = m->st.lr;
    for (uint32_t e = 0; e < m->cfg.max_epochs; ++e) {
        double epoch_loss = 0.0;
        const bool diverged = m->cfg.batch_size == 0 ? !full_batch_epoch(m, all, &epoch_loss, &lr_used)
                                                     : !minibatch_epoch(m, all, &epoch_loss, &lr_used);
        const double n = train_weight(m, all);
        if (m->cfg.reduction == DSC_REDUCTION_MEAN) epoch_loss /= n;
        const dsc_config &c = m->cfg;
        uint32_t why = after_epoch(m, n, epoch_loss, diverged,
                                   c.lr == 0.0f && c.batch_size == 0 && c.momentum == 0.0f);
        if (!why && gd_converged(m, n, epoch_loss, lr_used)) why = DSC_STOP_CONVERGED;
        if (rep) {
            rep->epochs_run += 1;
            rep->lr = lr_used;
            rep->steps = m->st.step - steps_before;
        }
        if (why) {
            finish(m, rep, why, all);
            return why == DSC_STOP_DIVERGED ? DSC_ERR_DIVERGED : DSC_OK;
        }
    }
    finish(m, rep, DSC_STOP_MAX_EPOCHS, all);
    return DSC_OK;
}
}  // namespace

// The automatic rate is picked here, outside the training loop's frame, so the two deepest
// call chains (power iteration, minibatch pass) never stack on each other.
// Standardized models measure their column statistics at the first fit and keep them: the
// training parameters are then derived once from the raw ones.
dsc_status fit(dsc_model *m, const FitRows &all, dsc_fit_report *rep) {
    const size_t n = all.count;
    if (rep) {
        rep->solver = newton(m) ? DSC_SOLVER_NEWTON : DSC_SOLVER_GD;
        rep->standardized = standardized(m);
    }
#ifndef DESCENT_NO_EARLY_STOP
    if (early_stop(m)) {  // each fit starts its validation record afresh (check_data: n_val >= 1)
        EsState *es = es_state(m);
        es->n_val = validation_count(m->cfg, n);
        es->best = es->last = __builtin_inf();
        es->best_epoch = 0;
        es->epoch0 = m->st.epoch;
        m->st.best_loss = __builtin_inff();
        m->st.no_improve = 0;
    }
#endif
    if (standardized(m) && !m->has_stats) {
        measure_stats(m, all.X, n);
        // From here on the raw parameters are always the map of the training ones. Raw
        // parameters whose standardized form (or its map back) overflows float32 cannot be
        // trained in these coordinates: say so and keep the model as it was.
        float *cand = at<float>(m, m->lay.work);
        std_from_raw(m, params(m), cand);
        bool finite = true;
        for (uint32_t j = 0; j < m->n_params; ++j) finite = finite && isfinite(cand[j]);
        if (!finite || !adopt_train_params(m, cand)) {
            m->has_stats = 0;
            if (rep) rep->message = "the parameters overflow float32 in standardized coordinates: "
                                    "set config.standardize = OFF, or start from smaller ones";
            return DSC_ERR_UNSUPPORTED;
        }
    }
    // The automatic rate's power iteration uses the best-parameters buffer as scratch: the
    // snapshot of the starting parameters is taken after it.
    if (!newton(m) && m->st.lr == 0.0f) m->st.lr = auto_lr(m, all);
    m->fit_best = __builtin_inf();
    memcpy(at<float>(m, m->lay.best), train_params(m), m->n_params * sizeof(float));
    if (newton(m)) return newton_fit(m, all, rep);
    return train_loop(m, all, rep);
}

}  // namespace dsc
