/*
 * descent.h — train regression models by gradient descent inside a caller-owned arena.
 *
 * C99 ABI, usable from C, C++ and anything with a C FFI. The library never allocates:
 *
 *     dsc_config cfg;
 *     dsc_config_init(&cfg, DSC_LINEAR, 3);          // defaults, then edit fields
 *     size_t need = dsc_arena_size(&cfg);            // exact bytes, before any data exists
 *     dsc_model *m;
 *     dsc_status s = dsc_create(&cfg, arena, need, &m);
 *     s = dsc_fit(m, X, y, n, &report);              // X row-major n x n_features, float32
 *     s = dsc_predict(m, Xnew, n_new, out);
 *
 * Every fallible call returns a dsc_status; dsc_status_string() gives a static message and
 * dsc_check_config() explains why a config is rejected. A call that fails changes nothing the
 * caller can observe, with one documented exception: a fit that diverges stops with
 * DSC_ERR_DIVERGED and leaves the parameters with the lowest loss seen in that fit.
 *
 * Thread safety: no global mutable state. Distinct models may be used from distinct threads;
 * dsc_predict and the other const calls may run concurrently on one model; dsc_fit,
 * dsc_set_params and dsc_reset need exclusive access to their model.
 *
 * Buffers and the arena:
 *   - dsc_create copies the config first: the config may live anywhere, including inside the
 *     arena it is handed (firmware that keeps everything in one static buffer).
 *   - dsc_load / dsc_load_ex / dsc_load_cap: a blob that overlaps the arena
 *     [arena, arena + arena_bytes) is rejected with DSC_ERR_INVALID_ARGUMENT (placing the model
 *     would overwrite the blob before it is read). Read the file elsewhere, or past the end of
 *     the arena bytes you pass.
 *   - Every buffer handed to a call on a model (X, y, out, loss, params, report, save buffers,
 *     the written count) must not overlap the model's own bytes: such a call returns
 *     DSC_ERR_INVALID_ARGUMENT and changes nothing. Bytes of the caller's arena past the model
 *     (past dsc_arena_size / dsc_load_arena_size) are the caller's to use.
 *
 * Enums: every function taking an enum reads it as an integer and range-checks it, so any
 * integer a C caller passes is safe (out of range: "unknown ..." strings, 0, or
 * DSC_ERR_INVALID_ARGUMENT from the config checks).
 *
 * The on_epoch callback runs while its model is being trained. From inside it, calls that
 * change that model (dsc_fit, dsc_set_params, dsc_reset, dsc_set_callback) return DSC_ERR_BUSY
 * and change nothing; the const calls (predict, loss, get_params, get_config, save, ...) are
 * allowed and see the parameters after that epoch's step. Other models may be used freely.
 * Creating or loading a model into the arena of the model being trained is not detected (a
 * stale mark after a reset mid-fit would lock that arena forever): do not.
 */
#ifndef DESCENT_H
#define DESCENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSC_VERSION_MAJOR 0
#define DSC_VERSION_MINOR 3
#define DSC_VERSION_PATCH 0
#define DSC_VERSION ((DSC_VERSION_MAJOR << 16) | (DSC_VERSION_MINOR << 8) | DSC_VERSION_PATCH)

/* The version of the library linked in, as DSC_VERSION: a binding loading the library at run
 * time (the Python package) compares it with the header version it was written for. */
uint32_t dsc_version(void);

/* dsc_arena_size() is exact for an arena aligned to this many bytes; an arena that is not
 * aligned needs up to DSC_ARENA_ALIGN - 1 extra bytes (dsc_create reports the shortfall). */
#define DSC_ARENA_ALIGN 8u

/* Polynomial degree limit (features x^0..x^degree are formed on the fly). */
#define DSC_MAX_POLY_DEGREE 15u
/* SOFTMAX: at most this many classes (the kernels keep a row's logits on the stack). */
#define DSC_MAX_CLASSES 256u

/* dsc_load, dsc_load_ex and their _arena_size functions refuse (DSC_ERR_LIMIT) a blob whose
 * model would need more arena than this, so a small file cannot make a caller that allocates
 * what it is told allocate gigabytes. dsc_load_cap / dsc_load_arena_size_cap take the cap as an
 * argument (SIZE_MAX: no cap). */
#define DSC_LOAD_DEFAULT_MAX_ARENA ((size_t)64u << 20)

typedef enum dsc_status {
    DSC_OK = 0,
    DSC_ERR_INVALID_ARGUMENT = 1, /* null pointer, zero size, bad enum, bad config value      */
    DSC_ERR_ARENA_TOO_SMALL = 2,  /* fewer bytes than dsc_arena_size() / dsc_load_arena_size() */
    DSC_ERR_NONFINITE_INPUT = 3,  /* NaN or +-Inf in X, y or parameters handed in             */
    DSC_ERR_LABEL_RANGE = 4,      /* logistic label outside [0, 1]                             */
    DSC_ERR_DIVERGED = 5,         /* loss or parameters became non-finite during training
                                     (report.message tells a float32 loss overflow from the
                                     data's magnitude apart from a too-large learning rate)   */
    DSC_ERR_BAD_MODEL_BLOB = 6,   /* truncated, corrupted or hostile blob                      */
    DSC_ERR_UNSUPPORTED = 7,      /* valid request this build or model cannot serve            */
    DSC_ERR_BUFFER_TOO_SMALL = 8, /* output buffer (dsc_save, dsc_get_params) too small        */
    DSC_ERR_SIZE_OVERFLOW = 9,    /* n_samples * n_features bytes does not fit in size_t       */
    DSC_ERR_DEVICE = 10,          /* a CUDA runtime call failed (see dsc_fit_report.message)   */
    DSC_ERR_BUSY = 11,            /* the model is being trained: called from its on_epoch      */
    DSC_ERR_LIMIT = 12,           /* blob asks for more arena than max_arena_bytes allows      */
    DSC_ERR_COMM = 13             /* distributed fit: the exchange failed, or the ranks' models
                                     or shards do not fit together (see report.message)        */
} dsc_status;

typedef enum dsc_model_kind {
    DSC_LINEAR = 1,     /* y = b + w.x, MSE                                              */
    DSC_LOGISTIC = 2,   /* p = sigmoid(b + w.x), binary cross-entropy from the logit     */
    DSC_POLYNOMIAL = 3, /* y = c0 + c1 x + ... + ck x^k (one input column), MSE          */
    DSC_LEGENDRE3 = 4,  /* y = a + b P3(c + d x), P3(t) = (5t^3 - 3t)/2, MSE             */
    DSC_SOFTMAX = 5     /* multinomial logistic regression over cfg.n_classes classes:
                           z_k = b_k + w_k.x, p = softmax(z), cross-entropy from the logits */
} dsc_model_kind;

typedef enum dsc_reduction {
    DSC_REDUCTION_MEAN = 0, /* loss = mean over the rows of the batch (torch 'mean') */
    DSC_REDUCTION_SUM = 1   /* loss = sum over the rows of the batch (torch 'sum')   */
} dsc_reduction;

typedef enum dsc_schedule {
    DSC_LR_CONSTANT = 0,   /* lr_t = lr                                                     */
    DSC_LR_INVSCALING = 1, /* lr_t = lr / t^power_t, t = optimizer step, counted from 1     */
    DSC_LR_ADAPTIVE = 2    /* scikit-learn 'adaptive': lr /= 5 after n_iter_no_change epochs
                              without improvement by tol; training stops once lr <= 1e-6   */
} dsc_schedule;

typedef enum dsc_backend {
    DSC_BACKEND_AUTO = 0, /* best compiled-in path this CPU supports */
    DSC_BACKEND_SCALAR = 1,
    DSC_BACKEND_SSE2 = 2,
    DSC_BACKEND_AVX2 = 3,
    DSC_BACKEND_AVX512 = 4,
    DSC_BACKEND_NEON = 5,
    DSC_BACKEND_CUDA = 6
} dsc_backend;

/* Per-row loss (config.loss; README "Robust losses"). r = z - y, z the model output (the
 * decision value b + w.x for LOGISTIC); scikit-learn's SGD losses, same formulas:
 *   HUBER                        |r| <= epsilon: r^2 / 2, else epsilon (|r| - epsilon / 2)
 *   EPSILON_INSENSITIVE          max(|r| - epsilon, 0)
 *   SQUARED_EPSILON_INSENSITIVE  max(|r| - epsilon, 0)^2
 *   HINGE (LOGISTIC, labels 0/1) max(1 - s z, 0), s = 2 y - 1
 * LINEAR takes the first three, LOGISTIC HINGE; other kinds DEFAULT only. GD and minibatch SGD
 * only (AUTO picks GD; NEWTON and CUDA answer DSC_ERR_UNSUPPORTED). HUBER and
 * SQUARED_EPSILON_INSENSITIVE have Lipschitz gradients, so lr = 0 (the automatic rate) works;
 * the two non-smooth losses need an explicit lr (a subgradient method). */
typedef enum dsc_loss_kind {
    DSC_LOSS_DEFAULT = 0, /* MSE (torch's, (z - y)^2) for the regressors, BCE for LOGISTIC */
    DSC_LOSS_HUBER = 1,
    DSC_LOSS_EPSILON_INSENSITIVE = 2,
    DSC_LOSS_SQUARED_EPSILON_INSENSITIVE = 3,
    DSC_LOSS_HINGE = 4
} dsc_loss_kind;

typedef enum dsc_stop_reason {
    DSC_STOP_NONE = 0,       /* fit did not run (validation failed)                       */
    DSC_STOP_MAX_EPOCHS = 1, /* ran cfg.max_epochs epochs                                 */
    DSC_STOP_TOLERANCE = 2,  /* n_iter_no_change epochs without improving by tol          */
    DSC_STOP_CALLBACK = 3,   /* on_epoch returned non-zero                                */
    DSC_STOP_LR_MIN = 4,     /* adaptive schedule: lr fell to 1e-6 or below               */
    DSC_STOP_DIVERGED = 5,   /* non-finite loss or parameters; the lowest-loss params kept */
    DSC_STOP_CONVERGED = 6,  /* the convergence test (config.conv_tol) passed              */
    DSC_STOP_SEPARABLE = 7,  /* LOGISTIC: the parameters separate the classes, so the loss
                                has no finite minimiser; the separating params are kept   */
    DSC_STOP_STALLED = 8,    /* NEWTON: no damped step lowers the loss any more, and the
                                convergence test had not passed                            */
    DSC_STOP_VALIDATION = 9  /* early stopping: n_iter_no_change epochs without the held-out
                                loss improving by tol (the best held-out params are kept)  */
} dsc_stop_reason;

/* Per-feature standardization inside the model (see README "Reaching the optimum"). */
typedef enum dsc_standardize {
    DSC_STANDARDIZE_AUTO = 0, /* ON when config.lr == 0 (automatic rate), else OFF          */
    DSC_STANDARDIZE_ON = 1,   /* train on (x - mean) / std, report parameters in raw units  */
    DSC_STANDARDIZE_OFF = 2   /* train on raw x (explicit-lr runs follow torch bit for bit) */
} dsc_standardize;

typedef enum dsc_solver {
    DSC_SOLVER_AUTO = 0,   /* NEWTON for full-batch fits with lr == 0, at most
                              DSC_NEWTON_AUTO_MAX_PARAMS parameters, alpha == 0 and
                              average == 0; GD otherwise                                   */
    DSC_SOLVER_GD = 1,     /* gradient descent: full batch, or minibatch SGD (batch_size)  */
    DSC_SOLVER_NEWTON = 2  /* damped Newton / Gauss-Newton (Levenberg-Marquardt) on the
                              full batch, Cholesky in the arena; needs lr == 0, momentum 0 */
} dsc_solver;

/* AUTO picks NEWTON up to this many parameters; NEWTON accepts up to DSC_NEWTON_MAX_PARAMS.
 * Its arena holds two packed p x p matrices: p (p + 1) doubles. */
#define DSC_NEWTON_AUTO_MAX_PARAMS 256u
#define DSC_NEWTON_MAX_PARAMS 1024u

/* Optional host parallelism, without the library owning a thread: parallel_for must call
 * task(arg, i) once for every i in [0, n_tasks), on any threads, in any order, and return when
 * all calls have returned. ports/posix/descent_pool.h is a ready implementation. */
typedef void (*dsc_task_fn)(void *arg, uint32_t task);
typedef void (*dsc_parallel_for_fn)(void *pool, uint32_t n_tasks, dsc_task_fn task, void *arg);

/* Called after every epoch with the epoch's training loss (see dsc_fit); return non-zero to
 * stop training. `epoch` counts from 1 over the model's whole life (it continues across fits). */
typedef int (*dsc_epoch_callback)(void *user, uint32_t epoch, float loss);

/* Data-parallel training across processes (README "Many machines"; ports/mpi implements it over
 * MPI). Every rank holds the same model and calls dsc_fit on its own shard of rows; rank r's
 * shard is the rows that follow those of ranks 0..r-1 (the global order is rank order), and
 * every shard but the last holds a multiple of DSC_CHUNK_ROWS rows. Each pass computes its sums
 * per global chunk of DSC_CHUNK_ROWS rows and folds them in global chunk order -- exactly the
 * additions a single process makes -- so parameters, report and blob are bit-identical to one
 * dsc_fit on the concatenated rows, for any number of ranks (minibatch SGD: see README).
 * The library owns no transport; it calls exchange(comm, data, bytes, op, out_bytes):
 *   DSC_EXCHANGE_APPEND     append `bytes` bytes at data to this rank's outgoing message;
 *                           return any non-NULL pointer on success
 *   DSC_EXCHANGE_ALLGATHER  send this rank's message (the appends since the last ALLGATHER) to
 *                           every rank, and return every rank's message concatenated in rank
 *                           order (8-byte aligned, valid until the next call), its length in
 *                           *out_bytes
 * NULL means the transport failed: the fit stops with DSC_ERR_COMM on that rank. Every rank
 * makes the same sequence of calls, because every decision follows from folded sums.
 * Optional, for many ranks: a transport that can also pass a message along the ranks in order
 * lets each pass move O(p^2) bytes per rank (the running fold) instead of one record per chunk of
 * the whole data set. The library asks once per fit, with DSC_EXCHANGE_SCAN_QUERY (data NULL):
 * if every rank's transport answers non-NULL, the fit's passes use these two instead of
 * ALLGATHER (a transport that does not know an op returns NULL: ALLGATHER as before):
 *   DSC_EXCHANGE_RECV_PREV  wait for rank r-1's message (none on rank 0) and return it
 *                           followed by this rank's own appends since the last exchange (which
 *                           are not sent), 8-byte aligned, valid until the next call
 *   DSC_EXCHANGE_PASS_ON    send the appends since RECV_PREV to rank r+1 (the last rank sends
 *                           nothing), then return the last rank's message on every rank (a
 *                           broadcast from the last rank)
 * The bits are the same either way; the ordered pass costs size-1 sequential hops a pass. */
#define DSC_CHUNK_ROWS 16384u
#define DSC_EXCHANGE_APPEND 1u
#define DSC_EXCHANGE_ALLGATHER 2u
#define DSC_EXCHANGE_SCAN_QUERY 3u
#define DSC_EXCHANGE_RECV_PREV 4u
#define DSC_EXCHANGE_PASS_ON 5u
typedef const void *(*dsc_exchange_fn)(void *comm, const void *data, size_t bytes, uint32_t op,
                                       size_t *out_bytes);

/* Plain config struct. dsc_config_init() fills every field with its default; edit what you
 * need. New fields are only ever appended; struct_size lets the library detect a caller
 * compiled against a different layout. */
typedef struct dsc_config {
    uint32_t struct_size;  /* = sizeof(dsc_config), set by dsc_config_init                    */
    uint32_t kind;         /* dsc_model_kind                                                  */
    uint32_t n_features;   /* input columns; must be 1 for POLYNOMIAL and LEGENDRE3          */
    uint32_t degree;       /* POLYNOMIAL only: highest power (default 3, max 15)              */
    uint32_t reduction;    /* dsc_reduction (default MEAN)                                    */
    uint32_t batch_size;   /* 0 = full-batch gradient descent (default); b = minibatch SGD    */
    uint32_t shuffle;      /* minibatch only: 1 = a fresh seeded permutation per epoch (default) */
    uint32_t max_epochs;   /* default 1000 (Newton iterations under the NEWTON solver)        */
    uint64_t seed;         /* shuffle seed (default 0)                                        */
    float lr;              /* learning rate; 0 = automatic (default; LEGENDRE3: NEWTON only)  */
    float momentum;        /* torch.optim.SGD semantics (default 0)                           */
    float dampening;       /* default 0                                                       */
    float weight_decay;    /* coupled L2 added to the gradient, as torch (default 0)          */
    uint32_t nesterov;     /* needs momentum > 0 and dampening == 0 (default 0)               */
    uint32_t schedule;     /* dsc_schedule (default CONSTANT)                                 */
    float power_t;         /* INVSCALING exponent (default 0.25)                              */
    float tol;             /* improvement tolerance on the per-sample epoch loss; < 0 turns
                              tolerance stopping off (default -1: run max_epochs)             */
    uint32_t n_iter_no_change; /* patience for tol and for ADAPTIVE (default 5)               */
    uint32_t backend;      /* dsc_backend (default AUTO)                                      */
    dsc_epoch_callback on_epoch; /* optional, may be NULL                                     */
    void *user;            /* passed to on_epoch                                              */
    /* Threads: with parallel_for set, passes over more than 16384 rows run as tasks of 16384
     * rows, max_tasks per parallel_for call; their sums are folded in row order, so results
     * are bit-identical to the single-threaded run whatever the thread count. Each task slot
     * adds (p + 2) doubles + p floats to the arena. NULL (default) = single-threaded. */
    dsc_parallel_for_fn parallel_for;
    void *pool;            /* passed to parallel_for                                          */
    uint32_t max_tasks;    /* task slots per parallel_for call (default 16, >= 1)             */
    /* CUDA backend only (DSC_BACKEND_CUDA): the caller's device buffer, of at least
     * dsc_cuda_arena_size(cfg) bytes (cudaMalloc it once; the library never allocates device
     * memory), the most rows a fit may copy from host memory into it (0 if X and y are always
     * device pointers), and the device ordinal. */
    void *cuda_arena;
    uint64_t cuda_arena_bytes;
    uint64_t cuda_max_samples;
    int32_t cuda_device;
    /* Reaching the optimum without tuning (fields added in 0.2). */
    uint32_t standardize;  /* dsc_standardize (default AUTO)                                  */
    uint32_t solver;       /* dsc_solver (default AUTO)                                       */
    /* Convergence test, relative to the loss: NEWTON stops once half the Newton decrement
     * (its estimate of loss - optimum) is <= conv_tol * loss; full-batch GD once the step's
     * guaranteed decrease lr |g|^2 / 2 is <= conv_tol * loss. 0 (default) = 1e-10 when lr == 0
     * and off with an explicit lr; < 0 = off (run max_epochs). Minibatch SGD has no test. */
    float conv_tol;
    /* Data-parallel training (fields added in 0.3): NULL (default) = this process holds all
     * the rows. comm is passed to exchange; comm_rank is this process's rank, 0-based. Not
     * saved in blobs (set them again with dsc_set_exchange); not with DSC_BACKEND_CUDA. */
    dsc_exchange_fn exchange;
    void *comm;
    uint32_t comm_rank;
    /* Penalties in scikit-learn's terms (fields added in 0.4; README "Sparse models and
     * averaged SGD"). The objective becomes
     *     loss (cfg.reduction) + alpha * (l1_ratio |w|_1 + (1 - l1_ratio) / 2 |w|_2^2)
     * over the weights w only: the intercept (LINEAR/LOGISTIC bias, POLYNOMIAL c0) is never
     * penalized. Each step is a proximal gradient step on the training parameters theta
     * (standardized coordinates when standardizing):
     *     g_j   = grad_j + weight_decay theta_j + alpha (1 - l1_ratio) theta_j   (j a weight)
     *     theta = the SGD update with g (momentum, Nesterov, schedule as configured)
     *     theta_j = sign(theta_j) max(|theta_j| - lr_t alpha l1_ratio, 0)        (j a weight)
     * so weights reach exact zeros; the momentum buffer sees g only, never the shrinkage.
     * GD and minibatch SGD only: the NEWTON solver is refused (and AUTO picks GD when
     * alpha > 0); LEGENDRE3 and the CUDA backend answer DSC_ERR_UNSUPPORTED. The loss reported
     * (report.final_loss, on_epoch, dsc_loss, tol) stays the data loss, without the penalty. */
    float alpha;           /* penalty strength, finite and >= 0 (default 0: no penalty)       */
    float l1_ratio;        /* in [0, 1]: 1 = lasso, 0 = ridge on w (default 0.15, sklearn's)  */
    /* Averaged SGD (Polyak-Ruppert, scikit-learn's `average`): 0 = off (default); k >= 1 =
     * after each step that brings the samples seen (over the model's life) to >= k, the
     * running mean avg += (theta - avg) / count of the training parameters is updated (in
     * double). After a fit, prediction, dsc_get_params, dsc_loss, report.final_loss and the
     * predictor blob use the average; training continues from the non-averaged parameters.
     * GD and minibatch SGD only (AUTO picks GD); not with the CUDA backend. Arena: see
     * DSC_ARENA_AVERAGE_BYTES. */
    uint32_t average;
    /* Robust losses (fields added in 0.5; see dsc_loss_kind). loss: a dsc_loss_kind (default DEFAULT).
     * epsilon: HUBER's threshold (> 0) and the insensitive band's half-width (>= 0), finite;
     * ignored by DEFAULT and HINGE (default 0.1, scikit-learn's). dsc_loss, report.final_loss,
     * on_epoch and tol use this loss; under HINGE dsc_predict's sigmoid of the decision value
     * is a score, not a probability (dsc_predict_logit gives the decision value). */
    uint32_t loss;
    float epsilon;
    /* Early stopping on held-out rows (fields added in 0.6; README "Early stopping").
     * early_stopping = 1: dsc_fit holds out n_val = ceil(validation_fraction * n) of its rows,
     * chosen by a seeded permutation of the row indices (config.seed; no copy of the data;
     * dsc_validation_rows lists them), and trains on the other rows only. After every epoch it
     * measures the per-sample loss on the held-out rows (full batch: at the parameters the
     * epoch's step started from; minibatch: at the epoch's end) and applies scikit-learn's
     * rule to it: an epoch whose validation loss is not below best - tol counts as no
     * improvement (tol < 0 counts as 0 here), and n_iter_no_change such epochs in a row stop
     * the fit (DSC_STOP_VALIDATION; the ADAPTIVE schedule first divides lr by 5, as without a
     * split). Whatever stops the fit (short of divergence), the model is left at the
     * parameters with the lowest validation loss, and the report gives that loss and epoch.
     * The training loss (report.final_loss, on_epoch, reduction MEAN's divisor) is over the
     * training rows. Each fit starts the validation record afresh. GD and minibatch SGD only
     * (AUTO picks GD; NEWTON answers DSC_ERR_UNSUPPORTED), not with average, the CUDA backend
     * or config.exchange. The split needs n_val >= 1 and n - n_val >= 1 rows. Arena: see
     * DSC_ARENA_EARLY_STOP_BYTES. */
    uint32_t early_stopping;    /* 0 (default) or 1                                           */
    float validation_fraction;  /* in (0, 1), default 0.1 (scikit-learn's)                    */
    /* Class weights (LOGISTIC; fields added in 0.6; README "Class weights"): a row with label y
     * counts w0 (1 - y) + w1 y times -- exactly class_weight[y] for a 0 / 1 label, as
     * scikit-learn's class_weight -- in the loss, its gradient and its curvature (BCE and
     * HINGE), under every solver. The mean reduction still divides by the row count, so
     * weights n / (2 n_c) ('balanced') keep the loss's scale. Each finite and >= 0, not both 0;
     * other kinds keep the default {1, 1}; not with the CUDA backend. */
    float class_weight[2];
    /* SOFTMAX only (field added in 0.7; README "Multinomial logistic regression"): the number
     * of classes K, 2..DSC_MAX_CLASSES, with (n_features + 1) K <= 2^24; labels are the
     * integers 0..K-1 stored as floats. Other kinds leave it 0 (the default). */
    uint32_t n_classes;
} dsc_config;

typedef struct dsc_fit_report {
    uint32_t epochs_run;   /* epochs run by this call                                         */
    uint32_t stop_reason;  /* dsc_stop_reason                                                 */
    float final_loss;      /* full-data loss (cfg.reduction) at the parameters left in the model */
    float lr;              /* learning rate in force at the end (after schedule / auto pick)  */
    float lr_initial;      /* learning rate at the start of this fit (the auto pick, if lr = 0) */
    uint64_t steps;        /* optimizer steps taken by this call (NEWTON: accepted steps)     */
    const char *message;   /* static text: what stopped training or why the call failed      */
    uint32_t converged;    /* 1 only when the convergence test passed (DSC_STOP_CONVERGED)    */
    uint32_t solver;       /* the solver that ran: DSC_SOLVER_GD or DSC_SOLVER_NEWTON         */
    uint32_t standardized; /* 1 if this fit trained on standardized features                  */
    /* Early stopping only (0 otherwise; fields added in 0.6): the per-sample loss on the
     * held-out rows at the parameters left in the model (the lowest this fit measured), and
     * how many of this fit's epochs had run at those parameters (0: the ones it started
     * from). */
    float validation_loss;
    uint32_t best_epoch;
} dsc_fit_report;

typedef struct dsc_model dsc_model; /* opaque; lives inside the caller's arena */

/* ---- configuration and memory ------------------------------------------------------------ */
void dsc_config_init(dsc_config *cfg, dsc_model_kind kind, uint32_t n_features);
/* NULL if cfg is acceptable, otherwise a static message naming the offending field. */
const char *dsc_check_config(const dsc_config *cfg);
/* Exact bytes dsc_create needs for this config (an aligned arena); 0 if the config is invalid. */
size_t dsc_arena_size(const dsc_config *cfg);

/* The same number at compile time, for a static arena in firmware (no thread pool):
 *
 *     static uint64_t arena[DSC_ARENA_BYTES(9, 8, 1, 8, 1, 0, 0, 0) / 8];   8 features,
 *                                 momentum SGD, batch 8, shuffled, explicit lr, raw GD
 *
 *   p             parameters: n_features + 1 (LINEAR, LOGISTIC), degree + 1 (POLYNOMIAL),
 *                 4 (LEGENDRE3), n_classes (n_features + 1) (SOFTMAX)
 *   n_features    input columns
 *   momentum      1 if cfg.momentum != 0
 *   batch_size    cfg.batch_size (0 = full batch)
 *   shuffle       cfg.shuffle (counts only with batch_size > 0)
 *   lr_auto       1 if cfg.lr == 0 (the automatic rate)
 *   standardized  1 if cfg.standardize == ON, or AUTO with lr == 0 in a build with the NEWTON
 *                 solver (a DESCENT_NEWTON=OFF build never standardizes)
 *   newton        1 if cfg.solver == NEWTON, or AUTO with lr == 0, batch_size == 0,
 *                 p <= DSC_NEWTON_AUTO_MAX_PARAMS, alpha == 0 and average == 0 in a build with
 *                 the NEWTON solver
 *
 * The macro covers cfg.average == 0 and cfg.early_stopping == 0; averaging (never with NEWTON)
 * adds exactly DSC_ARENA_AVERAGE_BYTES(p): the running average (double[p]) and its raw-unit
 * map (float[p]); early stopping (never with NEWTON or averaging) adds exactly
 * DSC_ARENA_EARLY_STOP_BYTES(p, batch_size).
 *
 * Equal to dsc_arena_size() for every such config (tests/test_api.cpp, and the test firmware
 * on each 32-bit target); the library checks DSC_MODEL_HEADER_BYTES against its own header at
 * compile time. */
#define DSC_MODEL_HEADER_BYTES (sizeof(dsc_config) + 208u)
#define DSC_ALIGN8_(x) (((x) + 7u) / 8u * 8u)
#define DSC_ARENA_BYTES(p, n_features, momentum, batch_size, shuffle, lr_auto, standardized,  \
                        newton)                                                               \
    DSC_ALIGN8_(DSC_ARENA_NEWTON_((size_t)(p),                                                \
        DSC_ARENA_STD_((size_t)(p), (size_t)(n_features),                                     \
            DSC_ARENA_SCRATCH_((size_t)(p), (size_t)(batch_size), (shuffle), (lr_auto),      \
                               (standardized), (momentum)), (standardized)) + 4u * (size_t)(p), \
        (newton)))
/* header, parameters, momentum buffer, gradient (8-aligned), chunk sums, accumulators and
 * candidate, shuffled row indices */
#define DSC_ARENA_SCRATCH_(p, b, shuffle, lr_auto, standardized, momentum)                    \
    (DSC_ALIGN8_(DSC_MODEL_HEADER_BYTES + 4u * (p) + ((momentum) ? 4u * (p) : 0u)) + 8u * (p) + \
     (((b) == 0u || (b) > 16384u || (lr_auto) || (standardized)) ? 8u * (p) : 0u) +          \
     8u * (p) + (((b) > 0u && (shuffle)) ? 4u * (b) : 0u))
/* standardized: training parameters, then column means and scales (8-aligned) */
#define DSC_ARENA_STD_(p, c, x, standardized)                                                 \
    ((standardized) ? DSC_ALIGN8_((x) + 4u * (p)) + 16u * (c) : (x))
/* cfg.early_stopping != 0: add to DSC_ARENA_BYTES(..., newton = 0) (b = cfg.batch_size): the
 * validation record, the best parameters (float[p]) and row indices (uint32[max(256, b)]) */
#define DSC_ARENA_EARLY_STOP_BYTES(p, b)                                                      \
    DSC_ALIGN8_(32u + 4u * (size_t)(p) + 4u * ((size_t)(b) > 256u ? (size_t)(b) : 256u))
/* cfg.average != 0: add to DSC_ARENA_BYTES(..., newton = 0) */
#define DSC_ARENA_AVERAGE_BYTES(p) DSC_ALIGN8_(12u * (size_t)(p))
/* NEWTON: two packed p x p matrices and a row, 8-aligned */
#define DSC_ARENA_NEWTON_(p, x, newton)                                                       \
    ((newton) ? DSC_ALIGN8_(x) + 8u * (p) * ((p) + 1u) + 8u * (p) : (x))
dsc_status dsc_create(const dsc_config *cfg, void *arena, size_t arena_bytes, dsc_model **out);

/* ---- training ------------------------------------------------------------------------------
 * Trains for up to cfg.max_epochs epochs, continuing from the model's current parameters and
 * optimizer state (momentum buffer, step count, schedule state, epoch counter for the shuffle),
 * so two fits of 50 epochs equal one of 100, bit for bit. X is n_samples x n_features row-major.
 * Standardization: the first fit after dsc_create / dsc_set_params / dsc_reset measures each
 * column's mean and standard deviation (one pass, float64); later fits keep those statistics
 * frozen, so a continued fit (partial_fit) trains in the same coordinates with the same
 * optimizer state. Parameters are always reported and used for prediction in raw units.
 * Before any update, X and y are checked (finite; logistic labels in [0,1]); on failure
 * nothing is changed. report may be NULL. */
dsc_status dsc_fit(dsc_model *m, const float *X, const float *y, size_t n_samples,
                   dsc_fit_report *report);
/* dsc_fit with one weight per row (sample_weight NULL: dsc_fit). Row i counts sample_weight[i]
 * times, times its class weight (LOGISTIC): in the loss, the gradient and the curvature, so
 * a weight of k equals k copies of the row. MEAN divides by the sum of the sample weights (not
 * the row count): the loss is sum w_i l_i / sum w_i, and a row of weight 0 is no row at all
 * (full batch and NEWTON: exactly the fit without it, to rounding; minibatch: it adds nothing
 * to its batch, and a batch of zero-weight rows takes no step and does not advance the step
 * count). A minibatch divides by its nonzero rows times the mean nonzero weight of the
 * training rows, so its expected step is the full batch's. Weights must be finite and >= 0,
 * not all 0; with early stopping, some held-out and some training row must have a nonzero
 * weight (else DSC_ERR_INVALID_ARGUMENT; NaN/Inf: DSC_ERR_NONFINITE_INPUT). The column
 * statistics of standardization stay unweighted (they only choose the coordinates).
 * CPU backends in one process: CUDA and config.exchange answer DSC_ERR_UNSUPPORTED, as does a
 * build without them (DESCENT_SAMPLE_WEIGHT=OFF). */
dsc_status dsc_fit_weighted(dsc_model *m, const float *X, const float *y,
                            const float *sample_weight, size_t n_samples, dsc_fit_report *report);
/* Early stopping: the rows dsc_fit holds out of an n_samples-row fit under cfg
 * (config.early_stopping, validation_fraction, seed), in the order the permutation gives them.
 * Sets *count to their number, n_val = ceil(validation_fraction * n_samples), and writes the
 * first min(n_val, cap) of them to rows (which may be NULL when cap is 0).
 * DSC_ERR_INVALID_ARGUMENT if cfg is invalid, early stopping is off, or the split leaves
 * either part empty; DSC_ERR_UNSUPPORTED in a build without early stopping. */
dsc_status dsc_validation_rows(const dsc_config *cfg, size_t n_samples, uint32_t *rows,
                               size_t cap, size_t *count);
/* Loss (cfg.reduction) of the current parameters on (X, y), without training. */
dsc_status dsc_loss(const dsc_model *m, const float *X, const float *y, size_t n_samples,
                    float *loss);

/* dsc_loss with sample weights (NULL: dsc_loss): MEAN is sum w_i l_i / sum w_i. */
dsc_status dsc_loss_weighted(const dsc_model *m, const float *X, const float *y,
                             const float *sample_weight, size_t n_samples, float *loss);

/* ---- prediction ----------------------------------------------------------------------------
 * One value per row: the regression output, for LOGISTIC the probability of class 1, for
 * SOFTMAX the most probable class (its index 0..K-1 as a float; ties: the lowest index). */
dsc_status dsc_predict(const dsc_model *m, const float *X, size_t n_samples, float *out);
/* LOGISTIC only: the logit b + w.x (SOFTMAX: DSC_ERR_UNSUPPORTED, its K logits do not fit
 * one value per row: see dsc_predict_proba; other kinds: same as dsc_predict). */
dsc_status dsc_predict_logit(const dsc_model *m, const float *X, size_t n_samples, float *out);
/* LOGISTIC: 1.0f where the probability is >= 0.5, else 0.0f. SOFTMAX: as dsc_predict. */
dsc_status dsc_predict_label(const dsc_model *m, const float *X, size_t n_samples, float *out);
/* Class probabilities, n_samples x K row-major into out, which holds out_count >= n_samples * K
 * floats (else DSC_ERR_BUFFER_TOO_SMALL): SOFTMAX (K = n_classes), LOGISTIC (K = 2: 1 - p, p);
 * other kinds DSC_ERR_UNSUPPORTED. Each row sums to 1 within float rounding. */
dsc_status dsc_predict_proba(const dsc_model *m, const float *X, size_t n_samples, float *out,
                             size_t out_count);

/* ---- parameters ----------------------------------------------------------------------------
 * Layout: LINEAR/LOGISTIC = bias, w1..wd; POLYNOMIAL = c0..ck; LEGENDRE3 = a, b, c, d;
 * SOFTMAX = K blocks of d + 1, class k's block at k (d + 1): b_k, w_k1..w_kd. Softmax is
 * unchanged when one vector is added to every class's block; the convention is that each
 * parameter sums to 0 over the classes: fits from a start that does (zeros) keep it, GD
 * because the gradient sums to 0 over the classes, NEWTON by centring after each step (an L1
 * penalty's soft-thresholding can move the sum: its optimum is the penalized one).
 * A new model starts at all zeros. LEGENDRE3 has a zero gradient at all-zero parameters
 * (b = 0 and d = 0 are a saddle), so set a non-zero start, e.g. a=0, b=-1, c=0, d=0.3.
 * dsc_set_params also restarts the training state (momentum buffer, step and epoch counters,
 * schedule state), as if the model had just been created with these parameters. */
size_t dsc_param_count(const dsc_model *m);
dsc_status dsc_get_params(const dsc_model *m, float *out, size_t count);
dsc_status dsc_set_params(dsc_model *m, const float *in, size_t count);
/* Zero the parameters and restart the training state. */
dsc_status dsc_reset(dsc_model *m);
/* A copy of the model's config (callbacks and thread pool included). */
dsc_status dsc_get_config(const dsc_model *m, dsc_config *out);

/* ---- save / load ---------------------------------------------------------------------------
 * Little-endian, versioned, CRC-32 protected. A full blob holds the config, parameters and the
 * training state, so a loaded model resumes training exactly. A predictor blob holds only what
 * prediction needs; a model loaded from it predicts but cannot be trained (DSC_ERR_UNSUPPORTED).
 * Callbacks (on_epoch, user) and the thread pool are not saved: a loaded model is
 * single-threaded with no callback; set them with dsc_set_callback / dsc_load_ex. */
size_t dsc_save_size(const dsc_model *m);           /* bytes dsc_save writes; 0 if m is NULL */
size_t dsc_save_predictor_size(const dsc_model *m);
dsc_status dsc_save(const dsc_model *m, void *buf, size_t cap, size_t *written);
dsc_status dsc_save_predictor(const dsc_model *m, void *buf, size_t cap, size_t *written);
/* Arena bytes dsc_load needs for this blob (validates the blob first). The blob must not
 * overlap the arena (DSC_ERR_INVALID_ARGUMENT); a model needing more than
 * DSC_LOAD_DEFAULT_MAX_ARENA bytes is refused with DSC_ERR_LIMIT (see dsc_load_cap). */
dsc_status dsc_load_arena_size(const void *blob, size_t len, size_t *bytes);
dsc_status dsc_load(const void *blob, size_t len, void *arena, size_t arena_bytes, dsc_model **out);
/* As dsc_load, with a thread pool (parallel_for may be NULL); the arena must also hold the
 * task slots: size it with dsc_load_arena_size_ex. */
dsc_status dsc_load_arena_size_ex(const void *blob, size_t len, uint32_t max_tasks, size_t *bytes);
dsc_status dsc_load_ex(const void *blob, size_t len, void *arena, size_t arena_bytes,
                       dsc_parallel_for_fn parallel_for, void *pool, uint32_t max_tasks,
                       dsc_model **out);
dsc_status dsc_set_callback(dsc_model *m, dsc_epoch_callback on_epoch, void *user);
/* Sets (or with exchange NULL clears) a model's data-parallel exchange, e.g. after dsc_load. */
dsc_status dsc_set_exchange(dsc_model *m, dsc_exchange_fn exchange, void *comm, uint32_t comm_rank);
/* As dsc_load_arena_size_ex / dsc_load_ex, with the caller's cap on the arena a blob may ask
 * for: DSC_ERR_LIMIT when the model would need more than max_arena_bytes (SIZE_MAX: no cap). */
dsc_status dsc_load_arena_size_cap(const void *blob, size_t len, uint32_t max_tasks,
                                   size_t max_arena_bytes, size_t *bytes);
dsc_status dsc_load_cap(const void *blob, size_t len, void *arena, size_t arena_bytes,
                        dsc_parallel_for_fn parallel_for, void *pool, uint32_t max_tasks,
                        size_t max_arena_bytes, dsc_model **out);

/* ---- CUDA backend (builds with -DDESCENT_CUDA=ON) --------------------------------------------
 * A model created with backend DSC_BACKEND_CUDA trains on the GPU: X and y may be host or
 * device pointers (detected; host data is copied once per fit into the device arena, device
 * data is read in place). Prediction and dsc_loss run on the CPU with host pointers. */
typedef struct dsc_cuda_info {
    int available;          /* 1 if the build has CUDA and a usable device was found      */
    int device;             /* the ordinal examined                                        */
    int cc_major, cc_minor; /* compute capability                                          */
    int integrated;         /* 1 when the GPU shares host memory (Jetson)                  */
    uint64_t total_memory;  /* bytes                                                       */
    char name[96];
    const char *message;    /* static text: "ok", or why CUDA is unavailable               */
} dsc_cuda_info;
dsc_status dsc_cuda_query(int device, dsc_cuda_info *info);
/* Exact device bytes a CUDA model needs (uses cfg->cuda_max_samples); 0 if cfg is invalid. */
size_t dsc_cuda_arena_size(const dsc_config *cfg);

/* ---- introspection -------------------------------------------------------------------------- */
const char *dsc_status_string(dsc_status s);
const char *dsc_stop_reason_string(dsc_stop_reason r);
/* Name of the kernel path the model trains on: "scalar", "sse2", "avx2", "avx512", "neon" or
 * "cuda". With DSC_BACKEND_AUTO, the environment variable DESCENT_BACKEND may pin a path for
 * tests; an unknown or unavailable name there is ignored (AUTO picks as usual), and this name
 * shows which path was really taken. */
const char *dsc_backend_name(const dsc_model *m);
/* 1 if this build has the backend and this CPU can run it, else 0. AUTO: the best such path. */
int dsc_backend_available(dsc_backend backend);

#ifdef __cplusplus
}
#endif
#endif /* DESCENT_H */
