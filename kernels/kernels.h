// Kernel interface: the only place the training loop touches data.
//
// Kernels know nothing about configs, arenas or status codes: they take pointers and sizes and
// return numbers. Each pass reads every selected row once. Sums are formed in float32 over
// blocks of DSC_BLOCK_ROWS consecutive rows of the row set and folded into the double outputs
// in block order, so a result depends only on the rows and their order, never on who calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace dsc {

constexpr size_t kBlockRows = 256;
constexpr uint32_t kMaxPolyDegree = 15;  // = DSC_MAX_POLY_DEGREE

// Rows a pass visits: row r of the set is X[(idx ? idx[r] : begin + r) * cols ...].
struct RowSet {
    const float *X;       // row-major, `cols` floats per row
    const float *y;       // one target per row (may be null for passes that do not need it)
    const uint32_t *idx;  // optional row indices (minibatch with shuffle)
    size_t begin;         // first row when idx is null
    size_t count;         // rows in the set
    uint32_t cols;        // floats per row of X
#ifndef DESCENT_NO_CLASS_WEIGHT
    // Label weights: a row with target y counts lw0 (1 - y) + lw1 y times in the loss terms,
    // their derivatives and curvatures of the linear-model passes (lw0 for label 0, lw1 for
    // label 1). Both 1: unweighted, and those passes run exactly as without them.
    float lw0 = 1.0f, lw1 = 1.0f;
#endif
#ifndef DESCENT_NO_SAMPLE_WEIGHT
    // Sample weights: row r of the set counts w[row] times (indexed like y; null: every row
    // counts once) in the loss terms, derivatives and curvatures of every model's passes, and
    // in the Gram product and its max |phi|^2 (w |phi|^2). Label weights multiply on top
    // (w[row] * label weight), except in the Gram pass, which takes sample weights only.
    const float *w = nullptr;
#endif
};

#ifdef DESCENT_NO_CLASS_WEIGHT  // a build without class weights (firmware): no weighted code
constexpr bool label_weighted(const RowSet &) { return false; }
constexpr float label_w0(const RowSet &) { return 1.0f; }
constexpr float label_w1(const RowSet &) { return 1.0f; }
#else
inline bool label_weighted(const RowSet &rs) { return rs.lw0 != 1.0f || rs.lw1 != 1.0f; }
inline float label_w0(const RowSet &rs) { return rs.lw0; }
inline float label_w1(const RowSet &rs) { return rs.lw1; }
#endif

#ifdef DESCENT_NO_SAMPLE_WEIGHT  // a build without sample weights (firmware)
constexpr const float *sample_w(const RowSet &) { return nullptr; }
#else
inline const float *sample_w(const RowSet &rs) { return rs.w; }
#endif
// Any weight on the rows: the weighted code runs only then.
inline bool row_weighted(const RowSet &rs) { return sample_w(rs) != nullptr || label_weighted(rs); }

static inline size_t row_of(const RowSet &rs, size_t r) { return rs.idx ? rs.idx[r] : rs.begin + r; }

// Loss and gradient, summed (not averaged) over the row set.
//   linear/logistic: theta = [bias, w_1..w_cols], grad has cols+1 entries
//   polynomial:      theta = [c_0..c_degree] over x = X[row*cols], grad has degree+1 entries
//   legendre3:       theta = [a, b, c, d], grad has 4 entries
// MSE rows contribute (pred - y)^2; BCE rows contribute softplus(z) - y z from the logit z.
// Outputs are overwritten, not accumulated.
// `acc` is caller scratch of (number of parameters) floats for the per-block sums.
typedef void (*LossGradFn)(const RowSet &rs, const float *theta, uint32_t degree, float *acc,
                           double *grad, double *loss);
// Loss only (no gradient): same sums as LossGradFn's loss.
typedef double (*LossFn)(const RowSet &rs, const float *theta, uint32_t degree);
// Model output per row (the logit for logistic) for rows begin..begin+count of X.
typedef void (*PredictFn)(const float *X, size_t count, uint32_t cols, const float *theta,
                          uint32_t degree, float *out);
// Feature-space Gram product for the automatic step size: out = sum_rows phi (phi . v), and
// *max_sq = max over rows of |phi|^2. phi = [1, x] (linear) or [1, x, .., x^degree] (poly).
typedef void (*GramFn)(const RowSet &rs, const float *v, uint32_t degree, float *acc,
                       double *out, double *max_sq);

// Affine map from raw input columns to the coordinates a curvature pass works in:
// z_j = ((double)x_j - shift[j]) * inv_scale[j]. Both null: z = x.
struct ColumnMap {
    const double *shift;
    const double *inv_scale;
};

// Loss, gradient and curvature of the MEAN-free (summed) loss, everything in double, in the
// mapped coordinates, at parameters theta given in those coordinates (same layouts as
// LossGradFn). hess is the packed lower triangle by rows (entry (i, j), j <= i, at
// i (i + 1) / 2 + j): the exact Hessian for BCE, Gauss-Newton (2 J^T J) for the MSE models.
// grad and hess null: loss only; hess alone null: loss and gradient (the Gauss-Newton matrix of
// a model linear in its parameters does not change with theta, so the solver keeps it).
// Outputs are overwritten. Rows are summed in order.
// `scratch` is caller scratch of (number of parameters) doubles.
typedef void (*CurvFn)(const RowSet &rs, const ColumnMap &map, const float *theta,
                       uint32_t degree, double *scratch, double *grad, double *hess,
                       double *loss);

// Column statistics over rows [begin, begin + count) of X (cols floats per row), for the first
// `use` columns: mean[j] and m2[j] = sum of squared deviations from that mean (Welford, in
// double), overwritten; mn[j] / mx[j] are lowered / raised to the column's min / max (updated,
// not overwritten, so successive calls fold).
typedef void (*StatsFn)(const float *X, size_t begin, size_t count, uint32_t cols, uint32_t use,
                        double *mean, double *m2, float *mn, float *mx);

// Marks a function whose floating-point expressions must not be contracted into FMA (GCC; clang
// takes `#pragma clang fp contract(off)` in the body), so that a pass computed lane by lane
// gives the bits of its scalar version on every path.
#if defined(__clang__)
#define DSC_NO_CONTRACT
#else
#define DSC_NO_CONTRACT __attribute__((optimize("fp-contract=off")))
#endif

// The scalar curvature and statistics passes. The SIMD tables have their own linear-model
// curvature passes and share the polynomial ones and the statistics pass.
void curv_linear_mse_scalar(const RowSet &, const ColumnMap &, const float *, uint32_t,
                            double *, double *, double *, double *);
void curv_linear_bce_scalar(const RowSet &, const ColumnMap &, const float *, uint32_t,
                            double *, double *, double *, double *);
void curv_poly_mse_scalar(const RowSet &, const ColumnMap &, const float *, uint32_t, double *,
                          double *, double *, double *);
void curv_legendre3_mse_scalar(const RowSet &, const ColumnMap &, const float *, uint32_t,
                               double *, double *, double *, double *);
void col_stats_scalar(const float *, size_t, size_t, uint32_t, uint32_t, double *, double *,
                      float *, float *);
// SOFTMAX's scalar passes (KernelTable::softmax...), shared by the SIMD tables.
void softmax_scalar(const RowSet &, const float *, uint32_t, float *, double *, double *);
double softmax_loss_scalar(const RowSet &, const float *, uint32_t);
void softmax_predict_scalar(const float *, size_t, uint32_t, const float *, uint32_t, float *);
void curv_softmax_scalar(const RowSet &, const ColumnMap &, const float *, uint32_t, double *,
                         double *, double *, double *);
// One BCE row of a curvature pass, in double: returns log(1 + e^z) - y z, with *g its
// derivative and *h its second derivative. Out of line in scalar.cpp, so every path's pass
// uses the same row math.
double curv_bce_row(double z, double y, double *g, double *h);

// Per-row losses of the linear model besides MSE and BCE, chosen at run time; r = z - y, e the
// loss's parameter:
//   kRowHuber    c = min(|r|, e): c (|r| - c / 2)        d/dz = sign(r) c
//   kRowEpsIns   max(|r| - e, 0)                         d/dz = sign(r) where |r| > e, else 0
//   kRowSqEpsIns m = max(|r| - e, 0): m^2                d/dz = 2 sign(r) m
//   kRowHinge    s = 2 y - 1: max(1 - s z, 0)            d/dz = -s where s z <= 1, else 0
// (sign(r) = +1 for r >= 0). Sums as LossGradFn's; grad null: loss only (acc unused).
enum RowLoss : uint32_t { kRowHuber = 1, kRowEpsIns = 2, kRowSqEpsIns = 3, kRowHinge = 4 };
typedef void (*RobustFn)(const RowSet &rs, const float *theta, uint32_t loss, float e,
                         float *acc, double *grad, double *loss_sum);

// Elementwise math the BCE passes use, exposed so tests can measure its accuracy:
// e^x for x <= 0, and log(1 + t) for t in [0, 1].
typedef void (*MathFn)(const float *in, float *out, size_t n);

struct KernelTable {
    const char *name;
    LossGradFn linear_mse, linear_bce, poly_mse, legendre3_mse;
    LossFn linear_mse_loss, linear_bce_loss, poly_mse_loss, legendre3_mse_loss;
    PredictFn linear_predict, poly_predict, legendre3_predict;
    GramFn linear_gram, poly_gram;
    MathFn exp_neg, log1p_unit;
    CurvFn curv_linear_mse, curv_linear_bce, curv_poly_mse, curv_legendre3_mse;
    StatsFn col_stats;
    RobustFn linear_robust;  // null in a build without them (DESCENT_LOSSES=OFF)
    // SOFTMAX (null in a build without it, DESCENT_SOFTMAX=OFF): the `degree` argument is the
    // class count K, theta holds K blocks [b_k, w_k] of cols + 1, and a row's label is its class
    // index (0..K-1, as a float). Loss and gradient: the cross-entropy log sum_k e^z_k - z_y,
    // d/dz_k = p_k - [k = y], all K logits of a row from one read of it; predict writes the K
    // logits of each row (out: count x K); the curvature pass gives the full Hessian
    // sum (diag(p) - p p^T) (x) J J^T over the K (cols + 1) parameters.
    LossGradFn softmax;
    LossFn softmax_loss;
    PredictFn softmax_predict;
    CurvFn curv_softmax;
};
constexpr uint32_t kMaxClasses = 256;  // = DSC_MAX_CLASSES

extern const KernelTable kScalarKernels;
#if defined(__x86_64__) || defined(_M_X64)
extern const KernelTable kSse2Kernels, kAvx2Kernels, kAvx512Kernels;
#endif
#if defined(__aarch64__)
extern const KernelTable kNeonKernels;
#endif

// Returns the table for a dsc_backend value, or null if it is not compiled in or this CPU
// cannot run it. DSC_BACKEND_AUTO picks the best available (or the DESCENT_BACKEND override).
const KernelTable *kernels_for(uint32_t backend);
// The concrete backend AUTO stands for here (explicit values are returned unchanged).
uint32_t resolve_backend(uint32_t backend);
// "scalar", "avx2", ... to a dsc_backend value; 0xFFFFFFFF for an unknown name.
uint32_t backend_from_name(const char *name);

}  // namespace dsc
