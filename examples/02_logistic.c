/*
 * 02_logistic.c — logistic regression, full batch and minibatch.
 *
 * 10000 rows, 5 features x ~ N(0,1); labels drawn from a known model:
 * p = sigmoid(w.x + b), label = Bernoulli(p), all from a fixed seed. The rows are i.i.d., so
 * the first 70% train and the last 30% test. Two fits:
 *
 *   (a) full-batch GD, automatic learning rate, mean binary cross-entropy, 200 epochs
 *   (b) minibatch SGD, batch 64, lr 0.1, shuffled every epoch, 20 epochs
 *
 * The labels are noisy, so no model can be perfect: the yardstick is the accuracy of the TRUE
 * weights on the same test rows. Both fits must come within 2 points of it.
 *
 * Accuracy barely moves with the size of the weights, so it cannot tell a finished fit from
 * a half-finished one. The example therefore also computes the maximum-likelihood fit on the
 * training rows independently (Newton's method in double) and checks the training loss and
 * the parameters against it.
 */
#include "common.h"

#include <string.h>

#define N_ROWS 10000
#define N_TRAIN 7000
#define N_TEST (N_ROWS - N_TRAIN)
#define N_FEAT 5
#define N_PARAM (N_FEAT + 1)

static const double TRUE_B = 0.25;
static const double TRUE_W[N_FEAT] = {1.5, -2.0, 0.75, 1.0, -0.5};

static float X[N_ROWS * N_FEAT];
static float Y[N_ROWS];
static float PRED[N_TEST];

static void make_data(void) {
    ex_rng r;
    int i, j;
    ex_rng_init(&r, 5150u);
    for (i = 0; i < N_ROWS; ++i) {
        double z = TRUE_B, p;
        for (j = 0; j < N_FEAT; ++j) {
            X[i * N_FEAT + j] = (float)ex_rng_normal(&r);
            z += TRUE_W[j] * (double)X[i * N_FEAT + j];
        }
        p = 1.0 / (1.0 + exp(-z));
        Y[i] = ex_rng_uniform(&r) < p ? 1.0f : 0.0f;
    }
}

/* Test accuracy of the true weights: class 1 where b + w.x >= 0 (probability >= 0.5). */
static double true_accuracy(void) {
    int i, j, hit = 0;
    for (i = N_TRAIN; i < N_ROWS; ++i) {
        double z = TRUE_B;
        for (j = 0; j < N_FEAT; ++j) z += TRUE_W[j] * (double)X[i * N_FEAT + j];
        hit += ((z >= 0.0 ? 1.0f : 0.0f) == Y[i]);
    }
    return (double)hit / N_TEST;
}

/* Mean binary cross-entropy of parameters p (bias, w) on the training rows, in double. */
static double train_bce(const double p[N_PARAM]) {
    double s = 0.0;
    int i, j;
    for (i = 0; i < N_TRAIN; ++i) {
        double z = p[0];
        for (j = 0; j < N_FEAT; ++j) z += p[j + 1] * (double)X[i * N_FEAT + j];
        /* -[y log s(z) + (1-y) log(1 - s(z))] = max(z, 0) - y z + log(1 + e^-|z|) */
        s += (z > 0.0 ? z : 0.0) - (double)Y[i] * z + log(1.0 + exp(-fabs(z)));
    }
    return s / N_TRAIN;
}

/* Maximum-likelihood fit on the training rows: Newton's method on the mean BCE, from zero.
 * Gradient (1/n) sum (s - y) a, Hessian (1/n) sum s (1 - s) a a^T, with a = [1, x]. */
static int newton_mle(double p[N_PARAM]) {
    int it, i, j, k;
    for (j = 0; j < N_PARAM; ++j) p[j] = 0.0;
    for (it = 0; it < 30; ++it) {
        double M[N_PARAM][N_PARAM + 1], step[N_PARAM];
        memset(M, 0, sizeof M);
        for (i = 0; i < N_TRAIN; ++i) {
            double a[N_PARAM], z, sg, wgt;
            a[0] = 1.0;
            for (j = 0; j < N_FEAT; ++j) a[j + 1] = (double)X[i * N_FEAT + j];
            for (z = 0.0, j = 0; j < N_PARAM; ++j) z += p[j] * a[j];
            sg = 1.0 / (1.0 + exp(-z));
            wgt = sg * (1.0 - sg);
            for (j = 0; j < N_PARAM; ++j) {
                for (k = 0; k < N_PARAM; ++k) M[j][k] += wgt * a[j] * a[k];
                M[j][N_PARAM] += (sg - (double)Y[i]) * a[j];
            }
        }
        if (ex_solve(N_PARAM, &M[0][0], step)) return 1;
        for (j = 0; j < N_PARAM; ++j) p[j] -= step[j];
    }
    return 0;
}

/* Trains on the first N_TRAIN rows; returns the test accuracy, the final training loss and
 * the parameters. */
static int run(const char *label, dsc_config *cfg, uint32_t every, double *acc, float *loss,
               float p[N_PARAM]) {
    const float *Xtest = X + (size_t)N_TRAIN * N_FEAT;
    const float *Ytest = Y + N_TRAIN;
    ex_curve curve;
    dsc_fit_report rep;
    void *arena = NULL;
    dsc_model *m;
    dsc_status s;
    int i, hit = 0;

    curve.every = every;
    curve.label = label;
    cfg->on_epoch = ex_print_epoch;
    cfg->user = &curve;
    m = ex_create(cfg, &arena);
    if (m == NULL) return 1;
    printf("  backend: %s\n", dsc_backend_name(m));
    s = dsc_fit(m, X, Y, N_TRAIN, &rep);
    if (ex_fail_status("dsc_fit", s)) {
        free(arena);
        return 1;
    }
    ex_print_report(label, &rep);
    ex_print_params("params (bias, w1..w5)", m);
    *loss = rep.final_loss;
    s = dsc_get_params(m, p, N_PARAM);
    if (ex_fail_status("dsc_get_params", s)) return 1;
    s = dsc_predict_label(m, Xtest, N_TEST, PRED);
    free(arena);
    if (ex_fail_status("dsc_predict_label", s)) return 1;
    for (i = 0; i < N_TEST; ++i) hit += (PRED[i] == Ytest[i]);
    *acc = (double)hit / N_TEST;
    /* Training started at zero parameters, where the mean BCE is log 2. */
    if (!(rep.final_loss < 0.9f * 0.6931472f)) {
        fprintf(stderr, "FAIL: %s training loss %g did not fall well below log 2\n", label,
                (double)rep.final_loss);
        return 1;
    }
    return 0;
}

/* Checks a fit against the maximum-likelihood solution. */
static int check_fit(const char *label, float loss, const float p[N_PARAM],
                     const double mle[N_PARAM], double mle_loss, double loss_tol,
                     double param_tol) {
    static const char *names[N_PARAM] = {"bias", "w1", "w2", "w3", "w4", "w5"};
    char what[64];
    int j, bad = 0;
    snprintf(what, sizeof what, "%s training loss vs MLE", label);
    bad |= ex_check_close(what, loss, mle_loss, loss_tol);
    for (j = 0; j < N_PARAM; ++j) {
        snprintf(what, sizeof what, "%s %s vs MLE", label, names[j]);
        bad |= ex_check_close(what, p[j], mle[j], param_tol);
    }
    return bad;
}

int main(void) {
    dsc_config cfg;
    double acc_true, acc_a, acc_b, mle[N_PARAM], mle_loss;
    float loss_a, loss_b, pa[N_PARAM], pb[N_PARAM];
    int i, ones = 0, bad = 0;

    make_data();
    for (i = 0; i < N_ROWS; ++i) ones += (Y[i] == 1.0f);
    acc_true = true_accuracy();
    printf("true model: bias %.2f  w %.2f %.2f %.2f %.2f %.2f\n", TRUE_B, TRUE_W[0], TRUE_W[1],
           TRUE_W[2], TRUE_W[3], TRUE_W[4]);
    printf("%d rows (%d train / %d test), %.1f%% labelled 1\n", N_ROWS, N_TRAIN, N_TEST,
           100.0 * ones / N_ROWS);
    printf("test accuracy of the true weights: %.4f\n", acc_true);
    if (newton_mle(mle)) {
        fprintf(stderr, "FAIL: singular Hessian in the reference Newton fit\n");
        return 1;
    }
    mle_loss = train_bce(mle);
    printf("maximum likelihood on the training rows (Newton, double): bias %.5f  "
           "w %.5f %.5f %.5f %.5f %.5f  loss %.7f\n",
           mle[0], mle[1], mle[2], mle[3], mle[4], mle[5], mle_loss);

    printf("\n(a) full batch, automatic lr, mean BCE, 200 epochs\n");
    dsc_config_init(&cfg, DSC_LOGISTIC, N_FEAT);
    cfg.max_epochs = 200;
    if (run("(a)", &cfg, 20, &acc_a, &loss_a, pa)) return 1;
    printf("  (a) test accuracy: %.4f\n", acc_a);

    printf("\n(b) minibatch 64, lr 0.1, shuffle (seed 7), 20 epochs\n");
    dsc_config_init(&cfg, DSC_LOGISTIC, N_FEAT);
    cfg.batch_size = 64;
    cfg.lr = 0.1f;
    cfg.shuffle = 1;
    cfg.seed = 7;
    cfg.max_epochs = 20;
    if (run("(b)", &cfg, 2, &acc_b, &loss_b, pb)) return 1;
    printf("  (b) test accuracy: %.4f\n", acc_b);

    bad |= ex_check_close("(a) accuracy vs true weights", acc_a, acc_true, 0.02);
    bad |= ex_check_close("(b) accuracy vs true weights", acc_b, acc_true, 0.02);
    /* Full batch converges to the optimum; constant-lr SGD hovers near it. */
    bad |= check_fit("(a)", loss_a, pa, mle, mle_loss, 1e-4, 2e-3);
    bad |= check_fit("(b)", loss_b, pb, mle, mle_loss, 2e-3, 5e-2);
    if (bad) return 1;
    printf("\nOK: both fits within 2 points of the true weights' accuracy (%.4f);\n"
           "    (a) at the maximum-likelihood fit, (b) near it\n", acc_true);
    return 0;
}
