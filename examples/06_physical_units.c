/*
 * 06_physical_units.c — sensor data in physical units, fitted with the default settings.
 *
 * 4000 readings of a pressure near 1e5 Pa (spread 500 Pa), a strain near 1e-3 (spread 1e-4)
 * and two temperatures near 300 K that agree to within 0.05 K (correlation 0.9999); the
 * target is y = 1000 + 2e-3 p + 5e3 s + 0.7 t1 - 0.3 t2 + noise. Raw, the design's
 * condition number is about 1e9, and gradient descent with 1/L steps needs about that many
 * epochs. With the defaults the model standardizes its columns internally, solves by Newton
 * (NEWTON solver, chosen because lr = 0, full batch, 5 parameters) and stops once the
 * Newton decrement says it has converged: two passes. The parameters it reports are in raw
 * units. The example then checks them against least squares solved in double precision
 * (normal equations on centred, scaled columns), and shows what raw gradient descent
 * reaches in 1000 epochs, honestly reported as not converged.
 */
#include "common.h"

#define N_ROWS 4000
#define D 4

static float X[N_ROWS * D];
static float Y[N_ROWS];

/* Mean squared error of raw-unit parameters, in double. */
static double mse(const float *theta) {
    double s = 0.0;
    for (int i = 0; i < N_ROWS; ++i) {
        double out = theta[0];
        for (int j = 0; j < D; ++j) out += (double)theta[j + 1] * X[i * D + j];
        s += (out - Y[i]) * (out - Y[i]);
    }
    return s / N_ROWS;
}

/* Least squares in double: normal equations on standardized columns, then the loss. */
static double least_squares_loss(void) {
    double mu[D] = {0}, sd[D] = {0}, M[(D + 1) * (D + 2)], z[D + 1];
    for (int i = 0; i < N_ROWS; ++i)
        for (int j = 0; j < D; ++j) mu[j] += X[i * D + j] / (double)N_ROWS;
    for (int i = 0; i < N_ROWS; ++i)
        for (int j = 0; j < D; ++j) sd[j] += (X[i * D + j] - mu[j]) * (X[i * D + j] - mu[j]);
    for (int j = 0; j < D; ++j) sd[j] = sqrt(sd[j] / N_ROWS);
    for (int k = 0; k < (D + 1) * (D + 2); ++k) M[k] = 0.0;
    for (int i = 0; i < N_ROWS; ++i) {
        z[0] = 1.0;
        for (int j = 0; j < D; ++j) z[j + 1] = (X[i * D + j] - mu[j]) / sd[j];
        for (int a = 0; a <= D; ++a) {
            for (int b = 0; b <= D; ++b) M[a * (D + 2) + b] += z[a] * z[b];
            M[a * (D + 2) + D + 1] += z[a] * Y[i];
        }
    }
    double th[D + 1];
    if (ex_solve(D + 1, M, th) != 0) return -1.0;
    double s = 0.0;
    for (int i = 0; i < N_ROWS; ++i) {
        double out = th[0];
        for (int j = 0; j < D; ++j) out += th[j + 1] * (X[i * D + j] - mu[j]) / sd[j];
        s += (out - Y[i]) * (out - Y[i]);
    }
    return s / N_ROWS;
}

int main(void) {
    ex_rng r;
    ex_rng_init(&r, 2026);
    for (int i = 0; i < N_ROWS; ++i) {
        const double p = 1e5 + 500.0 * ex_rng_normal(&r);
        const double s = 1e-3 + 1e-4 * ex_rng_normal(&r);
        const double t1 = 300.0 + 5.0 * ex_rng_normal(&r);
        const double t2 = t1 + 0.05 * ex_rng_normal(&r);
        X[i * D + 0] = (float)p;
        X[i * D + 1] = (float)s;
        X[i * D + 2] = (float)t1;
        X[i * D + 3] = (float)t2;
        Y[i] = (float)(1000.0 + 2e-3 * p + 5e3 * s + 0.7 * t1 - 0.3 * t2 + 0.05 * ex_rng_normal(&r));
    }
    const double ls = least_squares_loss();
    printf("least squares (double): loss %.9g\n", ls);
    if (!(ls > 0.0)) return 1;

    /* Defaults: nothing to tune. */
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, D);
    void *arena = NULL;
    dsc_model *m = ex_create(&cfg, &arena);
    if (!m) return 1;
    dsc_fit_report rep;
    dsc_status s = dsc_fit(m, X, Y, N_ROWS, &rep);
    if (s != DSC_OK) return ex_fail_status("dsc_fit (defaults)", s);
    float theta[D + 1];
    dsc_get_params(m, theta, D + 1);
    const double gap = (mse(theta) - ls) / ls;
    printf("defaults: solver %s, standardized %u, %u passes, %s\n",
           rep.solver == DSC_SOLVER_NEWTON ? "NEWTON" : "GD", rep.standardized, rep.epochs_run,
           rep.message);
    printf("  y = %.6g + %.6g p + %.6g s + %.6g t1 + %.6g t2\n", (double)theta[0],
           (double)theta[1], (double)theta[2], (double)theta[3], (double)theta[4]);
    printf("  loss %.9g, relative gap to least squares %.2e\n", mse(theta), gap);
    free(arena);
    int bad = 0;
    if (!rep.converged || rep.epochs_run > 5 || !(gap < 1e-6)) {
        fprintf(stderr, "FAIL: defaults should converge in a few passes to within 1e-6\n");
        bad = 1;
    }

    /* The same data through raw-feature gradient descent: kappa ~ 1e9, and it says so. */
    cfg.solver = DSC_SOLVER_GD;
    cfg.standardize = DSC_STANDARDIZE_OFF;
    m = ex_create(&cfg, &arena);
    if (!m) return 1;
    s = dsc_fit(m, X, Y, N_ROWS, &rep);
    if (s != DSC_OK) return ex_fail_status("dsc_fit (raw GD)", s);
    dsc_get_params(m, theta, D + 1);
    printf("raw GD, automatic rate: %u epochs, converged %u, relative gap %.2e\n  (%s)\n",
           rep.epochs_run, rep.converged, (mse(theta) - ls) / ls, rep.message);
    free(arena);
    if (rep.converged) {
        fprintf(stderr, "FAIL: raw GD cannot have converged on this conditioning\n");
        bad = 1;
    }
    if (!bad) printf("OK: the defaults reached least squares on raw physical units\n");
    return bad;
}
