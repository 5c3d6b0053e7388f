/*
 * 01_linear.c — linear regression, three ways.
 *
 * Data as in the PyTorch walkthrough: y = 1*x1 + 2*x2 + 4*x3 + 3 + N(0,1)/1e6, 1000 rows,
 * x ~ N(0,1), from a fixed seed.
 *
 *   (a) torch style:  MSELoss(reduction='sum'), SGD lr 1e-4, 500 full-batch epochs
 *   (b) NumPy style:  mean-gradient GD, lr 1e-4, 1000 epochs (converges only partially)
 *   (c) automatic:    cfg.lr = 0, mean loss, 200 epochs
 *
 * The least-squares solution is computed here independently (normal equations in double,
 * Gaussian elimination), and so is the NumPy-style recurrence of (b), so every run is
 * checked against numbers the library did not produce.
 */
#include "common.h"

#include <string.h>

#define N_ROWS 1000
#define N_FEAT 3
#define N_PARAM (N_FEAT + 1) /* bias, w1, w2, w3 */

static float X[N_ROWS * N_FEAT];
static float Y[N_ROWS];

static void make_data(void) {
    static const double w[N_FEAT] = {1.0, 2.0, 4.0};
    ex_rng r;
    int i, j;
    ex_rng_init(&r, 20240601u);
    for (i = 0; i < N_ROWS; ++i) {
        double t = 3.0;
        for (j = 0; j < N_FEAT; ++j) {
            X[i * N_FEAT + j] = (float)ex_rng_normal(&r);
            t += w[j] * (double)X[i * N_FEAT + j];
        }
        Y[i] = (float)(t + ex_rng_normal(&r) / 1e6);
    }
}

/* Least squares on the float32 data the library sees, in double: solve (A^T A) p = A^T y with
 * A = [1 | X] (the normal equations, 4 x 4). */
static int least_squares(double p[N_PARAM]) {
    double M[N_PARAM][N_PARAM + 1];
    int i, j, k;
    memset(M, 0, sizeof M);
    for (i = 0; i < N_ROWS; ++i) {
        double a[N_PARAM];
        a[0] = 1.0;
        for (j = 0; j < N_FEAT; ++j) a[j + 1] = (double)X[i * N_FEAT + j];
        for (j = 0; j < N_PARAM; ++j) {
            for (k = 0; k < N_PARAM; ++k) M[j][k] += a[j] * a[k];
            M[j][N_PARAM] += a[j] * (double)Y[i];
        }
    }
    return ex_solve(N_PARAM, &M[0][0], p);
}

/* The NumPy-style loop of the walkthrough, in double:
 *   e = X.par - Y;  grad = (2/n) X^T e;  par -= lr * grad */
static void numpy_gd(double lr, int epochs, double p[N_PARAM]) {
    int t, i, j;
    for (j = 0; j < N_PARAM; ++j) p[j] = 0.0;
    for (t = 0; t < epochs; ++t) {
        double g[N_PARAM] = {0.0, 0.0, 0.0, 0.0};
        for (i = 0; i < N_ROWS; ++i) {
            double e = p[0] - (double)Y[i];
            for (j = 0; j < N_FEAT; ++j) e += p[j + 1] * (double)X[i * N_FEAT + j];
            g[0] += e;
            for (j = 0; j < N_FEAT; ++j) g[j + 1] += e * (double)X[i * N_FEAT + j];
        }
        for (j = 0; j < N_PARAM; ++j) p[j] -= lr * (2.0 / N_ROWS) * g[j];
    }
}

/* Creates a model for cfg, fits it on the data, prints the curve, the report and the
 * parameters. Returns 0 on success and leaves the parameters in p. */
static int run(const char *label, dsc_config *cfg, uint32_t every, float p[N_PARAM],
               dsc_fit_report *rep) {
    ex_curve curve;
    void *arena = NULL;
    dsc_model *m;
    dsc_status s;
    curve.every = every;
    curve.label = label;
    cfg->on_epoch = ex_print_epoch;
    cfg->user = &curve;
    m = ex_create(cfg, &arena);
    if (m == NULL) return 1;
    printf("  backend: %s\n", dsc_backend_name(m));
    s = dsc_fit(m, X, Y, N_ROWS, rep);
    if (ex_fail_status("dsc_fit", s)) {
        fprintf(stderr, "  (%s)\n", rep->message ? rep->message : "");
        free(arena);
        return 1;
    }
    ex_print_report(label, rep);
    ex_print_params("params (bias, w1, w2, w3)", m);
    s = dsc_get_params(m, p, N_PARAM);
    free(arena);
    return ex_fail_status("dsc_get_params", s);
}

int main(void) {
    static const char *names[N_PARAM] = {"bias", "w1", "w2", "w3"};
    double ls[N_PARAM], ref[N_PARAM];
    float p[N_PARAM];
    dsc_config cfg;
    dsc_fit_report rep;
    float first_loss;
    int j, bad = 0;
    char what[64];

    make_data();
    if (least_squares(ls)) {
        fprintf(stderr, "FAIL: singular normal equations\n");
        return 1;
    }
    printf("least squares (double): bias %.7f  w %.7f %.7f %.7f\n", ls[0], ls[1], ls[2], ls[3]);

    /* (a) torch.nn.MSELoss(reduction='sum') + torch.optim.SGD(lr=1e-4), 500 epochs. */
    printf("\n(a) torch style: sum-MSE, lr 1e-4, 500 epochs, full batch\n");
    dsc_config_init(&cfg, DSC_LINEAR, N_FEAT);
    cfg.reduction = DSC_REDUCTION_SUM;
    cfg.lr = 1e-4f;
    cfg.max_epochs = 500;
    if (run("(a)", &cfg, 50, p, &rep)) return 1;
    for (j = 0; j < N_PARAM; ++j) {
        snprintf(what, sizeof what, "(a) %s vs least squares", names[j]);
        bad |= ex_check_close(what, p[j], ls[j], 1e-4);
    }

    /* (b) NumPy style: grad = (2/n) X^T e, lr 1e-4, 1000 epochs. The step is 2e-4 of the way
     * along each unit-curvature direction, so after 1000 epochs the parameters have covered
     * only about 1 - (1 - 2e-4)^1000 = 18% of the distance: a partial fit, as in the
     * walkthrough. */
    printf("\n(b) NumPy style: mean-MSE, lr 1e-4, 1000 epochs (partial convergence expected)\n");
    dsc_config_init(&cfg, DSC_LINEAR, N_FEAT);
    cfg.reduction = DSC_REDUCTION_MEAN;
    cfg.lr = 1e-4f;
    cfg.max_epochs = 1000;
    {
        /* the first epoch's loss is the loss at all-zero parameters: mean(y^2) */
        double s2 = 0.0;
        int i;
        for (i = 0; i < N_ROWS; ++i) s2 += (double)Y[i] * (double)Y[i];
        first_loss = (float)(s2 / N_ROWS);
    }
    if (run("(b)", &cfg, 100, p, &rep)) return 1;
    numpy_gd(1e-4, 1000, ref);
    printf("  NumPy-style loop in double: bias %.7f  w %.7f %.7f %.7f\n", ref[0], ref[1], ref[2],
           ref[3]);
    printf("  loss at zero params %.6g -> %.6g\n", (double)first_loss, (double)rep.final_loss);
    if (!(rep.final_loss < 0.8f * first_loss)) {
        fprintf(stderr, "FAIL: (b) loss did not decrease enough (%g -> %g)\n", (double)first_loss,
                (double)rep.final_loss);
        bad = 1;
    }
    for (j = 0; j < N_PARAM; ++j) {
        snprintf(what, sizeof what, "(b) %s vs NumPy-style loop", names[j]);
        bad |= ex_check_close(what, p[j], ref[j], 1e-3);
    }

    /* (c) automatic learning rate. */
    printf("\n(c) automatic lr (cfg.lr = 0), mean-MSE, 200 epochs\n");
    dsc_config_init(&cfg, DSC_LINEAR, N_FEAT);
    cfg.max_epochs = 200;
    if (run("(c)", &cfg, 20, p, &rep)) return 1;
    printf("  automatic learning rate picked: %.6g\n", (double)rep.lr_initial);
    for (j = 0; j < N_PARAM; ++j) {
        snprintf(what, sizeof what, "(c) %s vs least squares", names[j]);
        bad |= ex_check_close(what, p[j], ls[j], 1e-4);
    }

    if (bad) return 1;
    printf("\nOK: (a) and (c) match least squares within 1e-4; (b) matches the NumPy loop\n");
    return 0;
}
