// The model as it lives in the caller's arena, and the internal interfaces between modules.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "descent.h"
#include "kernels.h"
#include "portable.hpp"

namespace dsc {

constexpr uint32_t kModelMagic = 0x4D435344u;  // "DSCM"
constexpr uint32_t kFlagPredictOnly = 1u;
// Set by dsc_fit for the duration of the fit (the on_epoch callback sees it). Runtime only:
// the blob writes its own flags, so this bit is never saved or loaded.
constexpr uint32_t kFlagInFit = 2u;
constexpr uint32_t kMaxFeatures = 1u << 24;
constexpr uint32_t kMaxTasks = 4096;
// Full-batch passes fold float block sums into one double per chunk of this many rows, then
// the chunk sums in chunk order: the same arithmetic whether chunks run on one thread or many.
constexpr size_t kChunkRows = 64 * kBlockRows;

// Byte offsets of the arrays that follow the header, all relative to the model itself (so a
// model never holds a pointer into its own arena). 0 = absent.
struct Layout {
    uint32_t params;    // float[p]            persistent
    uint32_t velocity;  // float[p]            persistent, momentum != 0
    uint32_t grad;      // double[p]           scratch: gradient / Gram product
    uint32_t chunk;     // double[p]           scratch: per-chunk sums (multi-chunk passes)
    uint32_t acc;       // float[p]            scratch: kernel block accumulators
    uint32_t work;      // float[p]            scratch: candidate params / power-iteration vector
    uint32_t idx;       // uint32[batch_size]  scratch: shuffled row indices
    uint32_t slots;     // n_slots task slots  scratch: per-task sums when parallel_for is set
    uint32_t slot_bytes;  // one slot: see slot_curv_bytes
    uint32_t n_slots;
    uint32_t tparams;   // float[p]            persistent, standardized: training parameters
    uint32_t best;      // float[p]            scratch: lowest-loss training params of a fit
    uint32_t shift;     // double[c]           persistent, standardized: column means
    uint32_t inv_scale; // double[c]           persistent, standardized: 1 / column std
    uint32_t hess;      // double[p(p+1)/2]    scratch, NEWTON: curvature sum
    uint32_t hess2;     // double[p(p+1)/2]    scratch, NEWTON: chunk curvature / Cholesky factor
    uint32_t jrow;      // double[p]           scratch, NEWTON: a row's Jacobian / the step
    uint32_t avg;       // double[p]           persistent, average != 0: running mean of the
                        //                     training parameters (Polyak-Ruppert)
    uint32_t avg_raw;   // float[p]            persistent, average != 0: its raw-unit map,
                        //                     what prediction uses once avg_count > 0
    uint32_t total;     // bytes from the model start to the end of the last array
};

// Early stopping's record of one fit (the arena's `es` block; best params and row indices follow).
struct EsState {
    double best;          // lowest per-sample held-out loss of this fit (+inf before any)
    double last;          // the latest epoch's per-sample held-out loss
    uint32_t best_epoch;  // epochs of this fit run at the parameters that gave `best`
    uint32_t epoch0;      // st.epoch when this fit began
    uint64_t n_val;       // held-out rows: positions [0, n_val) of the split permutation
};
static_assert(sizeof(EsState) == 32, "DSC_ARENA_EARLY_STOP_BYTES assumes a 32-byte record");
constexpr size_t kEsGroupRows = 256;  // held-out rows per kernel call (the index array's floor)
// The split permutation's key beside config.seed: never an epoch number (those are 32-bit).
constexpr uint64_t kSplitKey = 0x53504C4954000000ull;

// One task slot: grad double[p], loss + max_sq double[2], acc float[p] (padded to 8 bytes),
// then under NEWTON the chunk's curvature double[p (p + 1) / 2] and a Jacobian row double[p],
// starting this many bytes into the slot.
inline uint64_t slot_curv_bytes(uint64_t p) { return (p + 2) * 8 + (p + (p & 1)) * 4; }

// What AUTO settings stand for, decided from the config alone (so dsc_arena_size is exact).
struct Resolved {
    bool standardize;
    bool newton;
    float conv_tol;  // < 0: no convergence test
};
Resolved resolve(const dsc_config &cfg);


}  // namespace dsc

struct dsc_model {
    uint32_t magic;
    uint32_t flags;
    uint32_t n_params;
    uint32_t blob_backend;  // the backend dsc_save writes: the config's, or the blob's it came from
    dsc_config cfg;
    dsc::TrainState st;
    dsc::Layout lay;
    const dsc::KernelTable *k;
    uint32_t has_stats;   // standardized: the column statistics have been measured
    float conv_tol;       // resolved convergence tolerance (< 0: off)
    float damping;        // NEWTON: Levenberg-Marquardt damping carried between iterations
    uint32_t comm_flags;  // distributed fit: kCommFailed (an exchange failed: every later pass
                          // gives NaN), kCommScan (the passes fold along the ranks)
    double fit_best;      // lowest loss seen in the current fit (divergence keeps those params)
    double max_sq_std;    // bound on max |phi|^2 in standardized features (from the stats pass)
    uint64_t rows_total;  // rows of the current fit over all ranks (= n without an exchange)
    uint64_t row0;        // global index of this process's first row (0 without an exchange)
    uint64_t seen;        // samples seen by the optimizer's steps over the model's life
    uint64_t avg_count;   // steps folded into the running average (0: prediction uses params)
    float prev_obj;       // penalized automatic-rate safeguard: last epoch's loss + penalty
    float pen_before;     // penalized full batch: the penalty at this epoch's starting params
};

// descent.h's compile-time arena formula (DSC_ARENA_BYTES) rests on these two facts.
static_assert(sizeof(dsc_model) == DSC_MODEL_HEADER_BYTES,
             "dsc_model changed: update DSC_MODEL_HEADER_BYTES and DSC_ARENA_BYTES in descent.h");
static_assert(dsc::kChunkRows == 16384, "DSC_ARENA_BYTES assumes 16384-row chunks");

namespace dsc {

// Sets *rs to a fit's rows under the config's class weights (RowSet's label weights) and the
// caller's sample weights (null: none). In place: dsc_fit's frame holds one copy, no temporary
// (its stack is budgeted on microcontrollers).
inline void set_fit_rows(RowSet *rs, const dsc_config &c, const float *X, const float *y,
                         size_t n, const float *w) {
    rs->X = X;
    rs->y = y;
    rs->idx = nullptr;
    rs->begin = 0;
    rs->count = n;
    rs->cols = c.n_features;
#ifndef DESCENT_NO_CLASS_WEIGHT  // else check_config refuses config.class_weight
    rs->lw0 = c.class_weight[0];
    rs->lw1 = c.class_weight[1];
#endif
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    rs->w = w;
#else
    (void)w;  // dsc_fit_weighted refuses weights in such a build
#endif
}
inline RowSet fit_rows(const dsc_config &c, const float *X, const float *y, size_t n,
                       const float *w = nullptr) {
    RowSet rs;
    set_fit_rows(&rs, c, X, y, n, w);
    return rs;
}

// The rows of one fit, with what the MEAN reduction divides by when they carry sample
// weights: a weighted fit's MEAN loss is sum w_i l_i / sum w_i over its rows, so a row of
// integer weight k counts as k copies of it, and a zero-weight row as no row at all.
struct FitRows : RowSet {
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    double w_all;   // sum of the sample weights of every row of the fit
    double w_val;   // early stopping: sum over the held-out rows (else 0)
    uint64_t nz_all, nz_val;  // rows of nonzero weight: all, held out
    float w_min, w_max;       // smallest nonzero and largest weight
#endif
};
#ifdef DESCENT_NO_SAMPLE_WEIGHT
constexpr bool weighted(const FitRows &) { return false; }
#else
inline bool weighted(const FitRows &a) { return a.w != nullptr; }
#endif

inline RowSet sub_rows(const RowSet &rs, size_t first, size_t count) {
    RowSet s = rs;
    s.count = count;
    if (rs.idx) s.idx = rs.idx + first;
    else s.begin = rs.begin + first;
    return s;
}

template <typename T>
inline T *at(dsc_model *m, uint32_t off) {
    return off ? reinterpret_cast<T *>(reinterpret_cast<unsigned char *>(m) + off) : nullptr;
}
template <typename T>
inline const T *at(const dsc_model *m, uint32_t off) {
    return off ? reinterpret_cast<const T *>(reinterpret_cast<const unsigned char *>(m) + off)
               : nullptr;
}
inline float *params(dsc_model *m) { return at<float>(m, m->lay.params); }
inline const float *params(const dsc_model *m) { return at<float>(m, m->lay.params); }
inline bool standardized(const dsc_model *m) { return m->lay.tparams != 0; }
inline bool newton(const dsc_model *m) { return m->lay.hess != 0; }
// config.alpha > 0: the proximal (elastic-net) step is on. A build without it
// (DESCENT_PENALTY=OFF) refuses config.alpha, and every branch on this folds away.
#ifdef DESCENT_NO_PENALTY
constexpr bool penalized(const dsc_model *) { return false; }
#else
inline bool penalized(const dsc_model *m) { return m->cfg.alpha > 0.0f; }
#endif
// The raw parameters prediction, dsc_get_params, dsc_loss and the predictor blob use: the
// running average once averaging has begun, else the parameters themselves.
#ifdef DESCENT_NO_AVERAGE
// A build without averaged SGD (DESCENT_AVERAGE=OFF, firmware): check_config refuses
// config.average, so the model's parameters are always what prediction uses.
inline const float *published(const dsc_model *m) { return params(m); }
#else
inline const float *published(const dsc_model *m) {
    return m->avg_count ? at<float>(m, m->lay.avg_raw) : params(m);
}
#endif
// config.early_stopping in force (a build without it, DESCENT_EARLY_STOP=OFF, refuses it).
#ifdef DESCENT_NO_EARLY_STOP
constexpr bool early_stop(const dsc_model *) { return false; }
#else
inline bool early_stop(const dsc_model *m) { return m->cfg.early_stopping != 0; }
// The block's bytes, and its place: the last thing in the model's arena (arena.cpp), so its
// offset needs no field in the header.
inline uint32_t es_block_bytes(const dsc_config &c, uint32_t p) {
    const uint32_t rows = c.batch_size > kEsGroupRows ? c.batch_size : (uint32_t)kEsGroupRows;
    return ((uint32_t)sizeof(EsState) + 4u * (p + rows) + 7u) / 8u * 8u;
}
inline uint32_t es_offset(const dsc_model *m) { return m->lay.total - es_block_bytes(m->cfg, m->n_params); }
inline EsState *es_state(dsc_model *m) { return at<EsState>(m, es_offset(m)); }
inline float *es_best_params(dsc_model *m) { return at<float>(m, es_offset(m) + (uint32_t)sizeof(EsState)); }
inline uint32_t *es_rows(dsc_model *m) {
    return at<uint32_t>(m, es_offset(m) + (uint32_t)sizeof(EsState) + 4u * m->n_params);
}
#endif
// Held-out rows of an n-row fit: ceil(validation_fraction n); 0 if either part would be empty.
size_t validation_count(const dsc_config &cfg, size_t n);
// Early stopping's split: position i of a seeded permutation of the fit's n rows (keyed apart
// from every epoch's shuffle) is a held-out row for i < n_val, a training row after. Writes
// the rows at positions first..first+cnt-1 to idx.
void split_positions(uint64_t seed, size_t n, uint64_t first, size_t cnt, uint32_t *idx);
// The model's integer the kernels take beside theta: POLYNOMIAL's degree, SOFTMAX's class count.
#ifdef DESCENT_NO_SOFTMAX
inline uint32_t kernel_arg(const dsc_model *m) { return m->cfg.degree; }
#else
inline uint32_t kernel_arg(const dsc_model *m) {
    return m->cfg.kind == DSC_SOFTMAX ? m->cfg.n_classes : m->cfg.degree;
}
#endif
// Parameters per linear block: n_features + 1 (the K blocks of SOFTMAX, the one of LINEAR and
// LOGISTIC); the block's first parameter is its intercept.
inline uint32_t block_params(const dsc_config &c) { return c.n_features + 1; }
// Parameter j is an intercept (never penalized): LINEAR/LOGISTIC's bias, POLYNOMIAL's c0,
// each SOFTMAX class's bias.
// SOFTMAX in force (a build without it, DESCENT_SOFTMAX=OFF, refuses the kind: every branch on
// this folds away).
#ifdef DESCENT_NO_SOFTMAX
constexpr bool is_softmax(const dsc_config &) { return false; }
#else
inline bool is_softmax(const dsc_config &c) { return c.kind == DSC_SOFTMAX; }
#endif
inline bool is_intercept(const dsc_config &c, uint32_t j) {
    return is_softmax(c) ? j % block_params(c) == 0 : j == 0;
}
// The parameters the optimizer updates: standardized coordinates when standardizing.
inline float *train_params(dsc_model *m) {
    return standardized(m) ? at<float>(m, m->lay.tparams) : params(m);
}
inline const float *train_params(const dsc_model *m) {
    return standardized(m) ? at<float>(m, m->lay.tparams) : params(m);
}

// Runs one task per kChunkRows-row chunk of a `rows`-row pass through cfg.parallel_for, at most
// n_slots tasks per call: task i of a wave computes chunk job->first + i into task slot i
// (byte offset slots + i * slot_bytes). After each wave, fold(chunk, slot offset) is called for
// its chunks in chunk order, so the sums fold in the same order as a single-threaded pass.
template <typename Job, typename Fold>
void chunk_waves(dsc_model *m, size_t rows, void (*task)(void *, uint32_t), Job *job, Fold fold) {
    const size_t chunks = (rows + kChunkRows - 1) / kChunkRows;
    for (size_t wave = 0; wave < chunks; wave += m->lay.n_slots) {
        const size_t k = chunks - wave < m->lay.n_slots ? chunks - wave : m->lay.n_slots;
        job->first = wave;
        m->cfg.parallel_for(m->cfg.pool, (uint32_t)k, task, job);
        for (size_t i = 0; i < k; ++i) fold(wave + i, m->lay.slots + (uint32_t)i * m->lay.slot_bytes);
    }
}

// model.cpp
uint32_t param_count(const dsc_config &cfg);
bool is_linear_kind(uint32_t kind);
void reset_train_state(dsc_model *m);
// SOFTMAX: subtracts each parameter's mean over the classes (descent.h's convention).
void center_classes(const dsc_config &c, float *theta);

// validate.cpp
dsc_status check_config(const dsc_config *cfg, const char **msg);
// training: also the limits of the training loop (shuffled row indices are 32-bit).
dsc_status check_data(const dsc_config &cfg, const float *X, const float *y, size_t n,
                      bool training, const char **msg);
bool all_finite(const float *v, size_t n);
#ifndef DESCENT_NO_SAMPLE_WEIGHT
// Sample weights of an n-row fit (training) or loss: finite, >= 0, not all 0 (and with early
// stopping, some nonzero among the held-out rows and among the training rows). Fills the
// statistics of `all` (its RowSet part is set by the caller).
dsc_status check_weights(const dsc_config &cfg, const float *w, size_t n, bool training,
                         FitRows *all, const char **msg);
#endif

// arena.cpp: sizing and placing share this one function.
// predict_only: header + parameters only.
bool compute_layout(const dsc_config &cfg, bool predict_only, Layout *lay);
dsc_status place_model(const dsc_config &cfg, bool predict_only, void *arena, size_t bytes,
                       dsc_model **out);

// train.cpp
// The rows come with their weights' statistics (check_weights) when they carry sample weights.
dsc_status fit(dsc_model *m, const FitRows &all, dsc_fit_report *rep);
// Loss and gradient of the current params, summed over a row set (chunk sums folded in order).
void lossgrad_pass(dsc_model *m, const RowSet &rs, double *grad, double *loss);
// The loss at the current params of a fit's rows (all ranks' when distributed), reduced.
double fit_loss(dsc_model *m, const FitRows &all);
// Loss of the current params on a row set (fit_rows: with its class and sample weights),
// reduced per cfg.reduction: MEAN divides by mean_div (the row count, or the sample weights'
// sum, which check_weights has already taken).
double full_loss(const dsc_model *m, const RowSet &rs, double mean_div);

// scaling.cpp: the standardization statistics and the linear maps between raw and
// standardized parameters (theta_raw = M theta_std).
void measure_stats(dsc_model *m, const float *X, size_t n);
ColumnMap column_map(const dsc_model *m);
void raw_from_std(const dsc_model *m, const float *sp, float *raw);
void std_from_raw(const dsc_model *m, const float *raw, float *sp);
// Gradient with respect to raw parameters -> gradient with respect to standardized ones (M^T g).
void grad_to_std(const dsc_model *m, double *g);
// Makes `cand` the training parameters and its map the raw ones, unless a raw parameter would
// not be finite in float32 (a huge weight on a column with a large mean): then false, and
// nothing changes. cand may not alias the kernel scratch `acc`.
bool adopt_train_params(dsc_model *m, const float *cand);

// newton.cpp
dsc_status newton_fit(dsc_model *m, const FitRows &all, dsc_fit_report *rep);
// Shared with train.cpp: the epoch's bookkeeping and the report's closing fields.
uint32_t after_epoch(dsc_model *m, double n, double epoch_loss, bool diverged, bool safeguard);
void finish(dsc_model *m, dsc_fit_report *rep, uint32_t why, const FitRows &all);
void note_best(dsc_model *m, double loss);
void restore_best(dsc_model *m);

// optim.cpp
struct StepInput {
    const double *grad;  // summed gradient over the batch
    double scale;        // 1/rows for mean, 1 for sum
    float lr;            // learning rate for this step
};
// Writes the candidate parameters to `out`; updates the momentum buffer. Returns false if a
// candidate parameter is not finite (the caller then keeps the old ones).
bool sgd_step(dsc_model *m, const StepInput &in, float *out);
// alpha (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|^2) over the weights of the training parameters.
float penalty_value(const dsc_model *m);
// Folds the training parameters just adopted into the running average (average != 0).
void average_step(dsc_model *m);
// avg_raw = the raw-unit map of the running average; false if a value is not finite.
bool publish_average(dsc_model *m);
// After an epoch: publish_average, restarting the average at the parameters if its map fails.
void refresh_average(dsc_model *m);

// blob.cpp
uint32_t crc32(const void *data, size_t len, uint32_t crc);

// dist.cpp: data-parallel passes (cfg.exchange set). A pass appends one record per local chunk
// (key: the global chunk index) or per rank (minibatch: key = rank), gathers every rank's
// records in rank order, and folds them in that order with the same additions a single process
// makes. After a failed exchange kCommFailed is set and every later pass yields NaN, which
// stops the fit; dsc_fit then returns DSC_ERR_COMM. With kCommScan (every rank's transport
// can pass a message along the ranks) the fold runs along the ranks instead: rank r receives
// the fold of ranks 0..r-1 (one record), folds its own records onto it, and passes the result
// on; the last rank's result is broadcast. The additions are the same, in the same order.
constexpr uint32_t kCommFailed = 1u, kCommScan = 2u;
inline bool comm_failed(const dsc_model *m) { return (m->comm_flags & kCommFailed) != 0; }
#ifdef DESCENT_NO_DIST
// A build without data-parallel training (DESCENT_DIST=OFF, firmware): every branch on this is
// dead code the compiler drops; check_config refuses config.exchange.
constexpr bool distributed(const dsc_model *) { return false; }
#else
inline bool distributed(const dsc_model *m) { return m->cfg.exchange != nullptr; }
#endif
// The rows of the fit over all ranks: this process's rows when not distributed (dist_start
// refuses totals beyond size_t and 2^32 - 1, so the cast never truncates).
inline size_t total_rows(const dsc_model *m, const RowSet &all) {
    return distributed(m) ? (size_t)m->rows_total : all.count;
}
// The rows the optimizer steps over: all of the fit's, less the held-out ones.
inline size_t train_rows(dsc_model *m, const RowSet &all) {
#ifndef DESCENT_NO_EARLY_STOP
    if (early_stop(m)) return all.count - (size_t)es_state(m)->n_val;
#endif
    return total_rows(m, all);
}
// MEAN's divisor for all of a fit's rows, and for its training rows (all less the held-out
// ones): the row counts, or the sums of their sample weights.
inline double fit_weight(const dsc_model *m, const FitRows &all) {
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) return all.w_all;
#endif
    return (double)total_rows(m, all);
}
inline double train_weight(dsc_model *m, const FitRows &all) {
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    if (weighted(all)) return all.w_all - all.w_val;
#endif
    return (double)train_rows(m, all);
}
struct Segment {
    const void *data;
    size_t bytes;
};
void dist_emit(dsc_model *m, uint64_t key, uint64_t rows, const Segment *seg, uint32_t n_seg);
// Gathers the records (payload bytes each, a multiple of 8) and calls
// fold(index, rows, payload) for each in order; index 0 starts the fold (copy), later ones add.
// chunk_keys: the records are global chunks 0, 1, .. and every chunk of rows_total is present;
// else keys must rise. Along the ranks (kCommScan), state(seg) describes the fold so far as a
// record's payload (at most 4 segments), which is passed on and finally folded as index 0 on
// every rank. False on failure.
using FoldFn = void (*)(void *ctx, size_t index, uint64_t rows, const double *payload);
using StateFn = uint32_t (*)(void *ctx, Segment *seg);
bool dist_gather(dsc_model *m, size_t payload, bool chunk_keys, FoldFn fold, StateFn state,
                 void *ctx);
template <class F, class S>
bool dist_fold(dsc_model *m, size_t payload, bool chunk_keys, F f, S s) {
    struct Ctx {
        F *f;
        S *s;
    } ctx = {&f, &s};
    return dist_gather(
        m, payload, chunk_keys,
        [](void *c, size_t i, uint64_t rows, const double *d) { (*static_cast<Ctx *>(c)->f)(i, rows, d); },
        [](void *c, Segment *seg) -> uint32_t { return (*static_cast<Ctx *>(c)->s)(seg); }, &ctx);
}
// Before a distributed fit changes anything: every rank's local status, shard size and model
// fingerprint are exchanged; sets rows_total and row0. Any rank's failure is every rank's.
dsc_status dist_start(dsc_model *m, dsc_status local, size_t n, const char **msg);

}  // namespace dsc
