/*
 * 04_legendre3.c — y = a + b P3(c + d x), PyTorch's "defining new autograd functions" example.
 *
 * P3(t) = (5 t^3 - 3 t) / 2, the Legendre polynomial of degree three. Data y = sin(x) on 2000
 * points in [-pi, pi]; start a = 0, b = -1, c = 0, d = 0.3 (the all-zero start is a saddle
 * with zero gradient); loss = sum of squared errors; lr 5e-6; 2000 full-batch epochs.
 * The tutorial ends near loss 9 with y = -5.4e-9 - 2.2 P3(-3.0e-10 + 0.255 x).
 *
 * The model is not linear in its parameters, so there is no safe automatic step size for GD;
 * with cfg.lr = 0 it trains by damped Gauss-Newton instead (the NEWTON solver), shown last.
 */
#include "common.h"

#define N_POINTS 2000
#define EPOCHS 2000
#define LR 5e-6

static float X[N_POINTS];
static float Y[N_POINTS];

static void make_data(void) {
    int i;
    for (i = 0; i < N_POINTS; ++i) {
        X[i] = (float)(-EX_PI + 2.0 * EX_PI * (double)i / (N_POINTS - 1));
        Y[i] = (float)sin((double)X[i]);
    }
}

/* The tutorial's loop, in double, with the hand-written backward of P3. */
static void reference(const float start[4], double p[4], double *loss) {
    int t, i, k;
    for (k = 0; k < 4; ++k) p[k] = start[k];
    for (t = 0; t < EPOCHS; ++t) {
        double g[4] = {0.0, 0.0, 0.0, 0.0};
        for (i = 0; i < N_POINTS; ++i) {
            double x = X[i], u = p[2] + p[3] * x;
            double P = 0.5 * (5.0 * u * u * u - 3.0 * u), dP = 1.5 * (5.0 * u * u - 1.0);
            double e = 2.0 * (p[0] + p[1] * P - (double)Y[i]);
            g[0] += e;
            g[1] += e * P;
            g[2] += e * p[1] * dP;
            g[3] += e * p[1] * dP * x;
        }
        for (k = 0; k < 4; ++k) p[k] -= LR * g[k];
    }
    *loss = 0.0;
    for (i = 0; i < N_POINTS; ++i) {
        double u = p[2] + p[3] * (double)X[i];
        double e = p[0] + p[1] * 0.5 * (5.0 * u * u * u - 3.0 * u) - (double)Y[i];
        *loss += e * e;
    }
}

int main(void) {
    static const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
    dsc_config cfg;
    dsc_fit_report rep;
    ex_curve curve = {100u, ""};
    void *arena = NULL;
    dsc_model *m, *m_auto = NULL;
    dsc_status s;
    size_t bytes;
    float p[4], loss0;
    double ref[4], ref_loss;
    int bad = 0;

    make_data();
    dsc_config_init(&cfg, DSC_LEGENDRE3, 1);
    cfg.reduction = DSC_REDUCTION_SUM;
    cfg.lr = (float)LR;
    cfg.max_epochs = EPOCHS;
    cfg.on_epoch = ex_print_epoch;
    cfg.user = &curve;
    bytes = dsc_arena_size(&cfg);
    m = ex_create(&cfg, &arena);
    if (m == NULL) return 1;
    printf("y = a + b P3(c + d x) fitted to sin(x): sum-MSE, lr 5e-6, 2000 epochs\n");
    printf("backend: %s\n", dsc_backend_name(m));

    s = dsc_set_params(m, start, 4);
    if (ex_fail_status("dsc_set_params", s)) return 1;
    ex_print_params("start (a, b, c, d)", m);
    s = dsc_loss(m, X, Y, N_POINTS, &loss0);
    if (ex_fail_status("dsc_loss", s)) return 1;
    s = dsc_fit(m, X, Y, N_POINTS, &rep);
    if (ex_fail_status("dsc_fit", s)) return 1;
    ex_print_report("fit", &rep);
    s = dsc_get_params(m, p, 4);
    if (ex_fail_status("dsc_get_params", s)) return 1;
    printf("Result: y = %.7g + %.7g * P3(%.7g + %.7g x)\n", (double)p[0], (double)p[1],
           (double)p[2], (double)p[3]);
    reference(start, ref, &ref_loss);
    printf("double-precision loop: y = %.7g + %.7g * P3(%.7g + %.7g x)  (loss %.6g)\n", ref[0],
           ref[1], ref[2], ref[3], ref_loss);
    printf("loss %.6g -> %.6g (%.1fx lower)\n", (double)loss0, (double)rep.final_loss,
           (double)(loss0 / rep.final_loss));

    if (!isfinite(rep.final_loss) || !(rep.final_loss * 10.0f < loss0)) {
        fprintf(stderr, "FAIL: loss did not fall by more than 10x (%g -> %g)\n", (double)loss0,
                (double)rep.final_loss);
        bad = 1;
    }
    bad |= ex_check_close("a vs double loop", p[0], ref[0], 1e-3);
    bad |= ex_check_close("b vs double loop", p[1], ref[1], 1e-3);
    bad |= ex_check_close("c vs double loop", p[2], ref[2], 1e-3);
    bad |= ex_check_close("d vs double loop", p[3], ref[3], 1e-4);
    bad |= ex_check_close("final loss vs double loop", rep.final_loss, ref_loss, 1e-2 * ref_loss);

    free(arena);

    /* Automatic mode: with cfg.lr = 0 the model trains by Gauss-Newton with Levenberg-Marquardt
     * damping (the NEWTON solver) on standardized x, from the same start, and stops when it
     * has converged: a few passes instead of 2000 epochs, to a loss no higher than the above. */
    cfg.lr = 0.0f;
    bytes = dsc_arena_size(&cfg);
    arena = malloc(bytes);
    if (arena == NULL) return 1;
    s = dsc_create(&cfg, arena, bytes, &m_auto);
    if (s == DSC_OK) s = dsc_set_params(m_auto, start, 4);
    dsc_fit_report rauto;
    if (s == DSC_OK) s = dsc_fit(m_auto, X, Y, N_POINTS, &rauto);
    if (s != DSC_OK) {
        fprintf(stderr, "FAIL: automatic Legendre3 fit: %s\n", dsc_status_string(s));
        bad = 1;
    } else {
        float pa[4];
        dsc_get_params(m_auto, pa, 4);
        printf("\ncfg.lr = 0 (NEWTON, Gauss-Newton): %u passes, %s, loss %.9g\n",
               rauto.epochs_run, rauto.converged ? "converged" : "NOT converged",
               (double)rauto.final_loss);
        printf("  y = %.7g + %.7g * P3(%.7g + %.7g x)\n", (double)pa[0], (double)pa[1],
               (double)pa[2], (double)pa[3]);
        if (!rauto.converged || !(rauto.final_loss <= rep.final_loss * 1.0001f)) {
            fprintf(stderr, "FAIL: the automatic fit should converge to a loss <= %g\n",
                    (double)rep.final_loss);
            bad = 1;
        }
    }
    free(arena);
    if (bad) return 1;
    printf("OK: loss fell %.0fx and matches the double-precision loop\n",
           (double)(loss0 / rep.final_loss));
    return 0;
}
