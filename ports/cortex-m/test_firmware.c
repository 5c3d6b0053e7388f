/*
 * test_firmware.c — trains on the device, checks the results, exits through semihosting.
 *
 * Every model lives in a static arena; every data set is generated here, on the device, from
 * a fixed seed. The program exits 0 when every check passes, 1 otherwise (QEMU passes the
 * code on); a fault exits 99 (startup.c), a hang is ended by the ctest timeout.
 *
 *   1. linear regression, full-batch GD, automatic step size:   y = 3 + x1 + 2 x2 + 4 x3
 *   2. linear regression, 8 features, minibatch SGD (batch 8) with momentum 0.9 and shuffling
 *      (the arena-budget configuration)
 *   3. logistic regression, minibatch SGD (batch 32, shuffled), Bernoulli labels from known
 *      weights: held-out accuracy against the true weights' accuracy, and the direction
 *   4. save -> load of the logistic model: identical predictions, resumed training
 *      bit-identical, a corrupted blob rejected
 *   5. the cubic fit to sin(x) of PyTorch's tutorial: 2000 points on [-pi, pi], sum-MSE,
 *      lr 1e-6, 2000 epochs -> y ~ 0.843 x - 0.0914 x^3
 *   6. y = a + b P3(c + d x) on the same data (lr 5e-6, 2000 epochs): loss falls > 10x
 *
 * Each dsc_fit runs over a painted stack; the deepest word it overwrote is printed as the
 * measured stack use of dsc_fit (library, libm and libgcc together).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "descent.h"
#include "semihost.h"

#define PI_F 3.14159265358979f

static int g_failures;
static uint32_t g_max_stack;

/* ---- output and checks ---------------------------------------------------------------- */

static void say(const char *s) { sh_puts(s); }

static void check(int ok, const char *what) {
    say(ok ? "  ok    " : "  FAIL  ");
    say(what);
    say("\n");
    if (!ok) ++g_failures;
}

static void check_range(const char *name, double v, double lo, double hi) {
    int ok = v >= lo && v <= hi;
    say(ok ? "  ok    " : "  FAIL  ");
    say(name);
    say(" = ");
    sh_put_f(v);
    say(" in [");
    sh_put_f(lo);
    say(", ");
    sh_put_f(hi);
    say("]\n");
    if (!ok) ++g_failures;
}

static int status_ok(const char *call, dsc_status s) {
    if (s == DSC_OK) return 1;
    say("  FAIL  ");
    say(call);
    say(": ");
    say(dsc_status_string(s));
    say("\n");
    ++g_failures;
    return 0;
}

static void print_params(const char *label, const float *p, uint32_t n) {
    uint32_t i;
    say("  ");
    say(label);
    say(" =");
    for (i = 0; i < n; ++i) {
        say(" ");
        sh_put_f((double)p[i]);
    }
    say("\n");
}

static void print_report(const dsc_fit_report *r) {
    say("  fit: ");
    sh_put_u32(r->epochs_run);
    say(" epochs, ");
    sh_put_u32((uint32_t)r->steps);
    say(" steps, lr ");
    sh_put_f((double)r->lr_initial);
    say(", final loss ");
    sh_put_f((double)r->final_loss);
    say(" (");
    say(r->message ? r->message : "");
    say(")\n");
}

/* ---- stack measurement ---------------------------------------------------------------- */

#if defined(__ARM_ARCH_6M__)
#define PAINT_BYTES 2048u /* inside microbit.ld's 4 KiB stack, above .bss */
#else
#define PAINT_BYTES 4096u
#endif
#define PAINT_WORD 0xC5C5C5C5u

static uint32_t *g_paint_lo;

static inline uint32_t *stack_pointer(void) {
    uint32_t *sp;
#if defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    return sp;
}

/* Paints PAINT_BYTES below this leaf's stack pointer (no interrupts are enabled, so nothing
 * else writes there). noinline: its frame is gone before the measured call starts. */
__attribute__((noinline)) static void paint_stack(void) {
    uint32_t *sp = stack_pointer();
    volatile uint32_t *p; /* volatile: a memset call would paint over its own frame */
    g_paint_lo = sp - PAINT_BYTES / 4;
    for (p = g_paint_lo; p < sp; ++p) *p = PAINT_WORD;
}

/* Bytes between the caller's stack pointer and the lowest overwritten painted word. */
static uint32_t stack_used(uint32_t *caller_sp) {
    uint32_t *p = g_paint_lo;
    while (p < caller_sp && *p == PAINT_WORD) ++p;
    return (uint32_t)((caller_sp - p) * 4);
}

static dsc_status fit_measured(dsc_model *m, const float *X, const float *y, size_t n,
                               dsc_fit_report *rep) {
    uint32_t *sp;
    uint32_t used;
    dsc_status s;
    paint_stack();
    sp = stack_pointer();
    s = dsc_fit(m, X, y, n, rep);
    used = stack_used(sp);
    say("  dsc_fit stack: ");
    sh_put_u32(used);
    say(" bytes (measured)\n");
    if (used > g_max_stack) g_max_stack = used;
    return s;
}

/* ---- data ----------------------------------------------------------------------------- */

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;

static uint32_t rng_u32(void) { /* splitmix64 */
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}
static float uniform(void) { return (float)(rng_u32() >> 8) * (1.0f / 16777216.0f); }
/* Irwin-Hall: the sum of 12 uniforms minus 6 is close to N(0, 1), without libm. */
static float normal(void) {
    float s = 0.0f;
    int i;
    for (i = 0; i < 12; ++i) s += uniform();
    return s - 6.0f;
}

/* Arenas and data: static, sized for the largest use. 8-byte alignment for the arena. */
static uint64_t g_arena[256];
static uint64_t g_arena2[256];
static uint8_t g_blob[512];

#if defined(__ARM_ARCH_6M__)
/* Cortex-M0/M0+ under QEMU's micro:bit: 16 KiB RAM in all, so the data sets are a quarter. */
#define N_LIN 128
#define N_LOG 250
#define N_LOG_TRAIN 200
#define N_SIN 500
#else
#define N_LIN 512
#define N_LOG 1000
#define N_LOG_TRAIN 800
#define N_SIN 2000
#endif
#define F_LOG 4
/* Sum-MSE gradients grow with the point count: the sine fits scale lr (and the SSE bound)
 * by it, so a smaller N_SIN follows the 2000-point trajectory. 1 on the M4F/M7. */
#define SIN_SCALE (2000.0f / (float)N_SIN)
static float g_X[N_LOG * F_LOG > 8 * N_LIN ? N_LOG * F_LOG : 8 * N_LIN];
static float g_y[N_SIN];
static float g_out[N_LOG];

static dsc_model *create(const dsc_config *cfg, uint64_t *arena, size_t bytes) {
    dsc_model *m = 0;
    size_t need = dsc_arena_size(cfg);
    say("  arena: ");
    sh_put_u32((uint32_t)need);
    say(" bytes\n");
    if (need == 0 || need > bytes) {
        const char *why = dsc_check_config(cfg);
        say("  FAIL  arena size (");
        say(why ? why : "static arena too small");
        say(")\n");
        ++g_failures;
        return 0;
    }
    if (!status_ok("dsc_create", dsc_create(cfg, arena, bytes, &m))) return 0;
    return m;
}

/* ---- 1. linear regression, full-batch GD ---------------------------------------------- */

static void test_linear_gd(void) {
    static const float truth[4] = {3.0f, 1.0f, 2.0f, 4.0f};
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m;
    float p[4];
    int i, j;
    say("\n[1] linear regression, 512 rows x 3 features, full-batch GD, automatic lr\n");
    for (i = 0; i < N_LIN; ++i) {
        float t = truth[0];
        for (j = 0; j < 3; ++j) {
            g_X[i * 3 + j] = 2.0f * uniform() - 1.0f;
            t += truth[j + 1] * g_X[i * 3 + j];
        }
        g_y[i] = t;
    }
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.max_epochs = 500;
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_LIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, p, 4);
    print_params("bias, w", p, 4);
    for (j = 0; j < 4; ++j) check_range("|param - truth|", fabs((double)(p[j] - truth[j])), 0.0, 1e-3);
    check_range("final MSE", (double)rep.final_loss, 0.0, 1e-6);
}

/* ---- 2. linear regression, 8 features, momentum SGD (the arena-budget config) --------- */

static void test_linear_momentum_sgd(void) {
    static const float truth[9] = {0.5f, 1.0f, -1.0f, 2.0f, -2.0f, 0.25f, 3.0f, -0.5f, 1.5f};
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m;
    float p[9];
    int i, j;
    say("\n[2] linear regression, 512 rows x 8 features, minibatch SGD: batch 8, momentum 0.9, "
        "shuffled\n");
    for (i = 0; i < N_LIN; ++i) {
        float t = truth[0];
        for (j = 0; j < 8; ++j) {
            g_X[i * 8 + j] = 2.0f * uniform() - 1.0f;
            t += truth[j + 1] * g_X[i * 8 + j];
        }
        g_y[i] = t;
    }
    dsc_config_init(&cfg, DSC_LINEAR, 8);
    cfg.batch_size = 8;
    cfg.momentum = 0.9f;
    cfg.shuffle = 1;
    cfg.seed = 7;
    cfg.max_epochs = 60;
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_LIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, p, 9);
    print_params("bias, w", p, 9);
    {
        double worst = 0.0;
        for (j = 0; j < 9; ++j) {
            double d = fabs((double)(p[j] - truth[j]));
            if (d > worst) worst = d;
        }
        check_range("max |param - truth|", worst, 0.0, 1e-3);
    }
}

/* ---- 3. logistic regression, minibatch SGD -------------------------------------------- */

static const float LOG_B = 0.25f;
static const float LOG_W[F_LOG] = {1.5f, -2.0f, 0.75f, 1.0f};

static void make_logistic(void) {
    int i, j;
    for (i = 0; i < N_LOG; ++i) {
        float z = LOG_B;
        for (j = 0; j < F_LOG; ++j) {
            g_X[i * F_LOG + j] = normal();
            z += LOG_W[j] * g_X[i * F_LOG + j];
        }
        g_y[i] = uniform() < 1.0f / (1.0f + expf(-z)) ? 1.0f : 0.0f;
    }
}

static double accuracy(const float *labels, int first, int count) {
    int i, hit = 0;
    for (i = 0; i < count; ++i) hit += labels[i] == g_y[first + i];
    return (double)hit / count;
}

static dsc_model *g_logistic;

static void test_logistic_sgd(void) {
    dsc_config cfg;
    dsc_fit_report rep;
    float p[F_LOG + 1];
    double acc_fit, acc_true, dot = 0.0, n1 = 0.0, n2 = 0.0;
    int i, j;
    say("\n[3] logistic regression, 800 train + 200 test rows x 4 features, minibatch SGD: "
        "batch 32, shuffled, automatic lr\n");
    make_logistic();
    dsc_config_init(&cfg, DSC_LOGISTIC, F_LOG);
    cfg.batch_size = 32;
    cfg.max_epochs = 40;
    cfg.seed = 11;
    g_logistic = create(&cfg, g_arena, sizeof g_arena);
    if (!g_logistic) return;
    if (!status_ok("dsc_fit", fit_measured(g_logistic, g_X, g_y, N_LOG_TRAIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(g_logistic, p, F_LOG + 1);
    print_params("bias, w", p, F_LOG + 1);
    if (!status_ok("dsc_predict_label",
                   dsc_predict_label(g_logistic, g_X + N_LOG_TRAIN * F_LOG, N_LOG - N_LOG_TRAIN,
                                     g_out)))
        return;
    acc_fit = accuracy(g_out, N_LOG_TRAIN, N_LOG - N_LOG_TRAIN);
    for (i = N_LOG_TRAIN; i < N_LOG; ++i) {
        float z = LOG_B;
        for (j = 0; j < F_LOG; ++j) z += LOG_W[j] * g_X[i * F_LOG + j];
        g_out[i - N_LOG_TRAIN] = z >= 0.0f ? 1.0f : 0.0f;
    }
    acc_true = accuracy(g_out, N_LOG_TRAIN, N_LOG - N_LOG_TRAIN);
    say("  held-out accuracy: fit ");
    sh_put_f(acc_fit);
    say(", true weights ");
    sh_put_f(acc_true);
    say("\n");
    check_range("accuracy - true weights' accuracy", acc_fit - acc_true, -0.03, 1.0);
    for (j = 0; j < F_LOG; ++j) {
        dot += (double)p[j + 1] * LOG_W[j];
        n1 += (double)p[j + 1] * p[j + 1];
        n2 += (double)LOG_W[j] * LOG_W[j];
    }
    check_range("cosine(w, true w)", dot / sqrt(n1 * n2), 0.97, 1.0);
    check_range("bias", (double)p[0], -0.3, 0.8);
}

/* ---- 4. save -> load -> predict and resume ------------------------------------------------ */

static void test_save_load(void) {
    dsc_model *loaded = 0;
    size_t written = 0, need = 0;
    float before[F_LOG + 1], after[F_LOG + 1], out2[16];
    dsc_fit_report rep;
    int j, same = 1;
    say("\n[4] save -> load of the logistic model, predict, resume both for 40 epochs\n");
    if (!g_logistic) {
        check(0, "logistic model exists");
        return;
    }
    if (!status_ok("dsc_save", dsc_save(g_logistic, g_blob, sizeof g_blob, &written))) return;
    say("  blob: ");
    sh_put_u32((uint32_t)written);
    say(" bytes\n");
    if (!status_ok("dsc_load_arena_size", dsc_load_arena_size(g_blob, written, &need))) return;
    check(need <= sizeof g_arena2, "load arena fits");
    if (!status_ok("dsc_load", dsc_load(g_blob, written, g_arena2, sizeof g_arena2, &loaded)))
        return;
    dsc_predict(g_logistic, g_X, 16, g_out);
    dsc_predict(loaded, g_X, 16, out2);
    check(memcmp(g_out, out2, sizeof out2) == 0, "loaded model predicts the same bits");
    /* Resume: both continue the same trajectory (max_epochs = 40 more epochs). */
    dsc_fit(g_logistic, g_X, g_y, N_LOG_TRAIN, &rep);
    dsc_fit(loaded, g_X, g_y, N_LOG_TRAIN, &rep);
    dsc_get_params(g_logistic, before, F_LOG + 1);
    dsc_get_params(loaded, after, F_LOG + 1);
    for (j = 0; j < F_LOG + 1; ++j) same &= memcmp(&before[j], &after[j], sizeof(float)) == 0;
    check(same, "resumed training is bit-identical");
    /* Corrupt one byte: the CRC must catch it. */
    g_blob[written / 2] ^= 0x40u;
    check(dsc_load(g_blob, written, g_arena2, sizeof g_arena2, &loaded) == DSC_ERR_BAD_MODEL_BLOB,
          "corrupted blob rejected");
}

/* ---- 5. cubic fit to sin(x) --------------------------------------------------------------- */

static void make_sine(void) {
    int i;
    for (i = 0; i < N_SIN; ++i) {
        g_X[i] = -PI_F + 2.0f * PI_F * (float)i / (float)(N_SIN - 1);
        g_y[i] = sinf(g_X[i]);
    }
}

static void test_cubic_sine(void) {
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m;
    float c[4];
    say("\n[5] cubic fit to sin(x), 2000 points on [-pi, pi], sum-MSE, lr 1e-6, 2000 epochs "
        "(PyTorch tutorial)\n");
    make_sine();
    dsc_config_init(&cfg, DSC_POLYNOMIAL, 1);
    cfg.degree = 3;
    cfg.reduction = DSC_REDUCTION_SUM;
    cfg.lr = 1e-6f * SIN_SCALE;
    cfg.max_epochs = 2000;
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_SIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, c, 4);
    print_params("c0..c3", c, 4);
    check_range("c1", (double)c[1], 0.80, 0.90);
    check_range("c3", (double)c[3], -0.10, -0.08);
    check_range("|c0|", fabs((double)c[0]), 0.0, 0.05);
    check_range("|c2|", fabs((double)c[2]), 0.0, 0.05);
    check_range("sum of squared errors", (double)rep.final_loss, 0.0, 20.0 / SIN_SCALE);
}

/* ---- 6. Legendre3 ------------------------------------------------------------------------ */

static void test_legendre3(void) {
    static const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m;
    float p[4], loss0 = 0.0f;
    say("\n[6] y = a + b P3(c + d x) on the same data, sum-MSE, lr 5e-6, 2000 epochs\n");
    dsc_config_init(&cfg, DSC_LEGENDRE3, 1);
    cfg.reduction = DSC_REDUCTION_SUM;
    cfg.lr = 5e-6f * SIN_SCALE;
    cfg.max_epochs = 2000;
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_set_params", dsc_set_params(m, start, 4))) return;
    if (!status_ok("dsc_loss", dsc_loss(m, g_X, g_y, N_SIN, &loss0))) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_SIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, p, 4);
    print_params("a, b, c, d", p, 4);
    check_range("loss reduction factor", (double)(loss0 / rep.final_loss), 10.0, 1e9);
    check_range("d", (double)p[3], 0.2, 0.3);
}

/* ---- 7. NEWTON on raw physical units (builds with DESCENT_NEWTON=ON) ------------------- */

static void test_newton(void) {
    static const float truth[4] = {-345.0f, 2e-3f, 5e3f, 0.5f};
    dsc_config cfg;
    dsc_fit_report rep;
    dsc_model *m;
    float p[F_LOG + 1];
    int i, j;
    say("\n[7] NEWTON solver, standardized in the model: 512 rows of pressure ~1e5 Pa, strain "
        "~1e-3, temperature ~300 K, then logistic regression on [3]'s data\n");
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.solver = DSC_SOLVER_NEWTON;
    if (dsc_check_config(&cfg) != 0) {
        /* A GD-only build (DESCENT_NEWTON=OFF) must refuse it, not train something else. */
        check(dsc_create(&cfg, g_arena, sizeof g_arena, &m) == DSC_ERR_UNSUPPORTED,
              "GD-only build: solver NEWTON is DSC_ERR_UNSUPPORTED");
        dsc_config_init(&cfg, DSC_LINEAR, 3);
        m = create(&cfg, g_arena, sizeof g_arena);
        if (m) {
            rep.solver = 0;
            status_ok("dsc_fit", fit_measured(m, g_X, g_y, 8, &rep));
            check(rep.solver == DSC_SOLVER_GD && rep.standardized == 0,
                  "GD-only build: AUTO trains raw GD");
        }
        return;
    }
    for (i = 0; i < N_LIN; ++i) {
        const float x[3] = {1e5f + 500.0f * normal(), 1e-3f + 1e-4f * normal(), 300.0f + 5.0f * normal()};
        double t = truth[0];
        for (j = 0; j < 3; ++j) {
            g_X[i * 3 + j] = x[j];
            t += (double)truth[j + 1] * x[j];
        }
        g_y[i] = (float)t;
    }
    dsc_config_init(&cfg, DSC_LINEAR, 3); /* defaults: AUTO picks NEWTON + standardization */
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_LIN, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, p, 4);
    print_params("bias, w", p, 4);
    check(rep.solver == DSC_SOLVER_NEWTON && rep.standardized == 1, "AUTO picked NEWTON, standardized");
    check(rep.converged == 1, "converged");
    check_range("passes", (double)rep.epochs_run, 1.0, 5.0);
    for (j = 0; j < 4; ++j)
        check_range("|param / truth - 1|", fabs((double)(p[j] / truth[j]) - 1.0), 0.0, 1e-3);

    make_logistic();
    dsc_config_init(&cfg, DSC_LOGISTIC, F_LOG);
    m = create(&cfg, g_arena, sizeof g_arena);
    if (!m) return;
    if (!status_ok("dsc_fit", fit_measured(m, g_X, g_y, N_LOG, &rep))) return;
    print_report(&rep);
    dsc_get_params(m, p, F_LOG + 1);
    print_params("bias, w", p, F_LOG + 1);
    check(rep.converged == 1, "logistic converged");
    check_range("passes", (double)rep.epochs_run, 1.0, 20.0);
}

/* [8] An arena type sized at compile time by DSC_ARENA_BYTES (descent.h), on this target's
 * struct layout: it must equal dsc_arena_size for the same config. (A type, not a second
 * static buffer: the micro:bit's 16 KiB of RAM has no room for one; the model is created in
 * exactly that many bytes of g_arena.) */
typedef uint64_t macro_arena_t[DSC_ARENA_BYTES(9, 8, 1, 8, 1, 0, 0, 0) / 8];

static void macro_case(const char *name, dsc_model_kind kind, uint32_t d, uint32_t batch,
                       float momentum, float lr, size_t macro_bytes) {
    dsc_config cfg;
    dsc_config_init(&cfg, kind, d);
    cfg.batch_size = batch;
    cfg.momentum = momentum;
    cfg.lr = lr;
    say("  ");
    say(name);
    say(": DSC_ARENA_BYTES ");
    sh_put_u32((uint32_t)macro_bytes);
    say(", dsc_arena_size ");
    sh_put_u32((uint32_t)dsc_arena_size(&cfg));
    say("\n");
    check(macro_bytes == dsc_arena_size(&cfg), "compile-time arena size equals dsc_arena_size");
}

static void test_arena_macro(void) {
    dsc_config cfg;
    dsc_model *m = 0;
    int newton;
    say("\n[8] compile-time arena sizes (DSC_ARENA_BYTES) on this target\n");
    dsc_config_init(&cfg, DSC_LINEAR, 1);
    cfg.solver = DSC_SOLVER_NEWTON;
    newton = dsc_check_config(&cfg) == 0; /* a build with the NEWTON solver */
    macro_case("linear d=8, momentum SGD, batch 8, shuffled", DSC_LINEAR, 8, 8, 0.9f, 0.01f,
               sizeof(macro_arena_t));
    macro_case("logistic d=4, SGD batch 32, shuffled", DSC_LOGISTIC, 4, 32, 0.0f, 0.05f,
               DSC_ARENA_BYTES(5, 4, 0, 32, 1, 0, 0, 0));
    macro_case("linear d=3, defaults", DSC_LINEAR, 3, 0, 0.0f, 0.0f,
               DSC_ARENA_BYTES(4, 3, 0, 0, 1, 1, newton, newton));
    macro_case("legendre3, GD lr 1e-3", DSC_LEGENDRE3, 1, 0, 0.0f, 1e-3f,
               DSC_ARENA_BYTES(4, 1, 0, 0, 1, 0, 0, 0));
    dsc_config_init(&cfg, DSC_LINEAR, 8);
    cfg.batch_size = 8;
    cfg.momentum = 0.9f;
    cfg.lr = 0.01f;
    check(sizeof(macro_arena_t) <= sizeof g_arena &&
              dsc_create(&cfg, g_arena, sizeof(macro_arena_t), &m) == DSC_OK,
          "dsc_create in exactly the bytes the macro gives");
}

int main(void) {
    say("descent ");
    sh_put_u32(DSC_VERSION_MAJOR);
    say(".");
    sh_put_u32(DSC_VERSION_MINOR);
    say(".");
    sh_put_u32(DSC_VERSION_PATCH);
    say(" test firmware, " DESCENT_FW_CPU ", backend ");
    {
        dsc_config cfg;
        dsc_model *m = 0;
        dsc_config_init(&cfg, DSC_LINEAR, 1);
        dsc_create(&cfg, g_arena, sizeof g_arena, &m);
        say(m ? dsc_backend_name(m) : "?");
        say("\n");
    }
    test_linear_gd();
    test_linear_momentum_sgd();
    test_logistic_sgd();
    test_save_load();
    test_cubic_sine();
    test_legendre3();
    test_newton();
    test_arena_macro();
    say("\nmax measured dsc_fit stack: ");
    sh_put_u32(g_max_stack);
    say(" bytes\n");
    if (g_failures) {
        say("FIRMWARE TEST FAILED: ");
        sh_put_u32((uint32_t)g_failures);
        say(" check(s)\n");
        return 1;
    }
    say("FIRMWARE TEST PASSED\n");
    return 0;
}
