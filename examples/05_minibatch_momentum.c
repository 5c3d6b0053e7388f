/*
 * 05_minibatch_momentum.c — minibatch SGD with Nesterov momentum, then save and resume.
 *
 * Linear regression, 5 features, 5000 rows, known weights and N(0, 0.01^2) noise. SGD with
 * batch 32, momentum 0.9, Nesterov, a new seeded shuffle every epoch (seed 42), lr 0.01, mean
 * loss, 30 epochs (torch.optim.SGD semantics).
 *
 * Then the same training in two halves: 15 epochs, dsc_save into a buffer, dsc_load into a
 * fresh arena (the original model is wiped), 15 more epochs. The blob carries the momentum
 * buffer, step count and epoch counter (which drives the shuffle), so the result equals the
 * straight 30-epoch run bit for bit.
 *
 * This problem is so well conditioned that SGD forgets its past within a few hundred steps:
 * a loader that dropped the momentum buffer would still end on the same final parameters. So
 * the example also compares every epoch's loss (epoch 16 sees the restored momentum) and
 * checks that saving the loaded model reproduces the blob byte for byte.
 */
#include "common.h"

#include <string.h>

#define N_ROWS 5000
#define N_FEAT 5
#define N_PARAM (N_FEAT + 1)

static const double TRUE_B = 1.0;
static const double TRUE_W[N_FEAT] = {0.5, -1.0, 2.0, 1.5, -0.25};

static float X[N_ROWS * N_FEAT];
static float Y[N_ROWS];

static void make_data(void) {
    ex_rng r;
    int i, j;
    ex_rng_init(&r, 777u);
    for (i = 0; i < N_ROWS; ++i) {
        double t = TRUE_B;
        for (j = 0; j < N_FEAT; ++j) {
            X[i * N_FEAT + j] = (float)ex_rng_normal(&r);
            t += TRUE_W[j] * (double)X[i * N_FEAT + j];
        }
        Y[i] = (float)(t + 0.01 * ex_rng_normal(&r));
    }
}

/* Prints like ex_print_epoch and keeps every epoch's loss. */
typedef struct recorder {
    ex_curve curve;
    float loss[32];
} recorder;

static int record_epoch(void *user, uint32_t epoch, float loss) {
    recorder *r = (recorder *)user;
    if (epoch < sizeof r->loss / sizeof r->loss[0]) r->loss[epoch] = loss;
    return ex_print_epoch(&r->curve, epoch, loss);
}

static void base_config(dsc_config *cfg, uint32_t epochs, recorder *rec) {
    dsc_config_init(cfg, DSC_LINEAR, N_FEAT);
    cfg->batch_size = 32;
    cfg->momentum = 0.9f;
    cfg->nesterov = 1;
    cfg->shuffle = 1;
    cfg->seed = 42;
    cfg->lr = 0.01f;
    cfg->reduction = DSC_REDUCTION_MEAN;
    cfg->max_epochs = epochs;
    cfg->on_epoch = record_epoch;
    cfg->user = rec;
}

int main(void) {
    dsc_config cfg;
    dsc_fit_report rep;
    recorder rec_straight, rec_split;
    void *arena = NULL, *arena2 = NULL, *blob = NULL, *blob2 = NULL;
    dsc_model *m, *m2 = NULL;
    dsc_status s;
    size_t blob_bytes, written = 0, written2 = 0, load_bytes = 0;
    float straight[N_PARAM], resumed[N_PARAM];
    int j, bad = 0;
    char what[32];

    make_data();
    printf("true: bias %.2f  w %.2f %.2f %.2f %.2f %.2f\n", TRUE_B, TRUE_W[0], TRUE_W[1],
           TRUE_W[2], TRUE_W[3], TRUE_W[4]);

    /* ---- one straight 30-epoch run ---- */
    printf("\nstraight run: batch 32, momentum 0.9 (Nesterov), shuffle seed 42, lr 0.01, "
           "30 epochs\n");
    memset(&rec_straight, 0, sizeof rec_straight);
    memset(&rec_split, 0, sizeof rec_split);
    rec_straight.curve.every = 1;
    rec_straight.curve.label = "straight";
    base_config(&cfg, 30, &rec_straight);
    m = ex_create(&cfg, &arena);
    if (m == NULL) return 1;
    printf("  backend: %s\n", dsc_backend_name(m));
    s = dsc_fit(m, X, Y, N_ROWS, &rep);
    if (ex_fail_status("dsc_fit", s)) return 1;
    ex_print_report("straight", &rep);
    ex_print_params("params (bias, w1..w5)", m);
    s = dsc_get_params(m, straight, N_PARAM);
    free(arena);
    if (ex_fail_status("dsc_get_params", s)) return 1;
    bad |= ex_check_close("bias", straight[0], TRUE_B, 1e-2);
    for (j = 0; j < N_FEAT; ++j) {
        snprintf(what, sizeof what, "w%d", j + 1);
        bad |= ex_check_close(what, straight[j + 1], TRUE_W[j], 1e-2);
    }

    /* ---- 15 epochs, save, load into a fresh arena, 15 more ---- */
    printf("\nsave/resume: 15 epochs, dsc_save, dsc_load into a new arena, 15 more\n");
    rec_split.curve.every = 5;
    rec_split.curve.label = "first half";
    base_config(&cfg, 15, &rec_split);
    m = ex_create(&cfg, &arena);
    if (m == NULL) return 1;
    s = dsc_fit(m, X, Y, N_ROWS, &rep);
    if (ex_fail_status("dsc_fit (first half)", s)) return 1;
    ex_print_report("first half", &rep);

    blob_bytes = dsc_save_size(m);
    blob = malloc(blob_bytes);
    if (blob == NULL) return 1;
    s = dsc_save(m, blob, blob_bytes, &written);
    if (ex_fail_status("dsc_save", s)) return 1;
    /* The first model is gone: wipe its arena so nothing can leak through it. */
    memset(arena, 0xA5, dsc_arena_size(&cfg));
    free(arena);
    arena = NULL;

    s = dsc_load_arena_size(blob, written, &load_bytes);
    if (ex_fail_status("dsc_load_arena_size", s)) return 1;
    printf("  blob: %lu bytes (dsc_save_size %lu); loaded model needs a %lu-byte arena\n",
           (unsigned long)written, (unsigned long)blob_bytes, (unsigned long)load_bytes);
    arena2 = malloc(load_bytes);
    if (arena2 == NULL) return 1;
    s = dsc_load(blob, written, arena2, load_bytes, &m2);
    if (ex_fail_status("dsc_load", s)) return 1;
    /* Save the loaded model again: the same bytes, or the loader lost something. */
    blob2 = malloc(dsc_save_size(m2));
    if (blob2 == NULL) return 1;
    s = dsc_save(m2, blob2, dsc_save_size(m2), &written2);
    if (ex_fail_status("dsc_save (loaded model)", s)) return 1;
    if (written2 != written || memcmp(blob, blob2, written) != 0) {
        fprintf(stderr, "FAIL: save(load(blob)) differs from blob (%lu vs %lu bytes)\n",
               (unsigned long)written2, (unsigned long)written);
        bad = 1;
    } else {
        printf("  save(load(blob)) == blob, byte for byte\n");
    }
    free(blob);
    free(blob2);
    /* Callbacks are not saved; the epoch counter is, so this prints epochs 16..30. */
    rec_split.curve.label = "second half";
    s = dsc_set_callback(m2, record_epoch, &rec_split);
    if (ex_fail_status("dsc_set_callback", s)) return 1;
    s = dsc_fit(m2, X, Y, N_ROWS, &rep);
    if (ex_fail_status("dsc_fit (second half)", s)) return 1;
    ex_print_report("second half", &rep);
    ex_print_params("params (bias, w1..w5)", m2);
    s = dsc_get_params(m2, resumed, N_PARAM);
    free(arena2);
    if (ex_fail_status("dsc_get_params", s)) return 1;

    if (memcmp(straight, resumed, sizeof straight) != 0) {
        fprintf(stderr, "FAIL: 15 + save/load + 15 epochs differs from 30 straight epochs:\n");
        for (j = 0; j < N_PARAM; ++j)
            fprintf(stderr, "  p[%d]: straight %.9g  resumed %.9g\n", j, (double)straight[j],
                    (double)resumed[j]);
        bad = 1;
    } else {
        printf("  resumed params == straight 30-epoch params, bit for bit (memcmp)\n");
    }
    if (memcmp(rec_straight.loss, rec_split.loss, sizeof rec_straight.loss) != 0) {
        fprintf(stderr, "FAIL: epoch losses of the resumed run differ from the straight run:\n");
        for (j = 1; j <= 30; ++j)
            if (memcmp(&rec_straight.loss[j], &rec_split.loss[j], sizeof(float)) != 0)
                fprintf(stderr, "  epoch %2d: straight %.9g  resumed %.9g\n", j,
                        (double)rec_straight.loss[j], (double)rec_split.loss[j]);
        bad = 1;
    } else {
        printf("  all 30 epoch losses equal the straight run's, bit for bit\n");
    }
    if (bad) return 1;
    printf("\nOK: weights within 1e-2 of the truth; save/resume is exact\n");
    return 0;
}
