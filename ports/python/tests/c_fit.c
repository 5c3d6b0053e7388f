/*
 * c_fit.c — the C side of the Python parity test (test_c_parity.py): the same training, done
 * by a plain C program against the static library, on data the test writes to files.
 *
 *   c_fit fit <kind> <n> <features> <X.f32> <y.f32> <params.out> <blob.out>
 *             <max_epochs> <batch_size> <momentum> <degree> <lr> <seed>
 *       trains a new model (dsc_config_init defaults, then the given fields) and writes its
 *       parameters (float32) and its dsc_save blob;
 *   c_fit predict <blob> <n> <features> <X.f32> <out.f32>
 *       loads a blob (e.g. one Python saved) and writes dsc_predict's output.
 * Exit status 0 on success; messages on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descent.h"

static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    void *buf;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1u);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f) fclose(f);
    return ok ? 0 : 1;
}

static int fail(const char *what, dsc_status s, const char *detail) {
    fprintf(stderr, "c_fit: %s: %s%s%s\n", what, dsc_status_string(s), detail ? ": " : "",
            detail ? detail : "");
    return 1;
}

static int do_fit(char **a) {
    const int kind = atoi(a[0]);
    const size_t n = strtoul(a[1], NULL, 10);
    const unsigned features = (unsigned)strtoul(a[2], NULL, 10);
    size_t xlen, ylen, need, written;
    float *X = read_file(a[3], &xlen), *y = read_file(a[4], &ylen), params[64];
    dsc_config cfg;
    dsc_model *m;
    dsc_fit_report rep;
    dsc_status s;
    void *arena, *blob;
    if (!X || !y || xlen != n * features * sizeof(float) || ylen != n * sizeof(float)) {
        fprintf(stderr, "c_fit: bad input files\n");
        return 1;
    }
    dsc_config_init(&cfg, (dsc_model_kind)kind, features);
    cfg.max_epochs = (uint32_t)strtoul(a[7], NULL, 10);
    cfg.batch_size = (uint32_t)strtoul(a[8], NULL, 10);
    cfg.momentum = strtof(a[9], NULL);
    cfg.degree = (uint32_t)strtoul(a[10], NULL, 10);
    cfg.lr = strtof(a[11], NULL);
    cfg.seed = strtoull(a[12], NULL, 10);
    need = dsc_arena_size(&cfg);
    if (need == 0) return fail("dsc_arena_size", DSC_ERR_INVALID_ARGUMENT, dsc_check_config(&cfg));
    arena = malloc(need);
    s = dsc_create(&cfg, arena, need, &m);
    if (s != DSC_OK) return fail("dsc_create", s, dsc_check_config(&cfg));
    if (kind == DSC_LEGENDRE3) {
        static const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
        dsc_set_params(m, start, 4);
    }
    s = dsc_fit(m, X, y, n, &rep);
    if (s != DSC_OK) return fail("dsc_fit", s, rep.message);
    s = dsc_get_params(m, params, 64);
    if (s != DSC_OK) return fail("dsc_get_params", s, NULL);
    if (write_file(a[5], params, dsc_param_count(m) * sizeof(float))) return 1;
    blob = malloc(dsc_save_size(m));
    s = dsc_save(m, blob, dsc_save_size(m), &written);
    if (s != DSC_OK) return fail("dsc_save", s, NULL);
    if (write_file(a[6], blob, written)) return 1;
    printf("c_fit: %u epochs, final loss %.9g, backend %s\n", rep.epochs_run,
           (double)rep.final_loss, dsc_backend_name(m));
    free(blob);
    free(arena);
    free(X);
    free(y);
    return 0;
}

static int do_predict(char **a) {
    size_t blen, xlen, need;
    void *blob = read_file(a[0], &blen), *arena;
    const size_t n = strtoul(a[1], NULL, 10);
    const unsigned features = (unsigned)strtoul(a[2], NULL, 10);
    float *X = read_file(a[3], &xlen), *out;
    dsc_model *m;
    dsc_status s;
    if (!blob || !X || xlen != n * features * sizeof(float)) {
        fprintf(stderr, "c_fit: bad input files\n");
        return 1;
    }
    s = dsc_load_arena_size(blob, blen, &need);
    if (s != DSC_OK) return fail("dsc_load_arena_size", s, NULL);
    arena = malloc(need);
    s = dsc_load(blob, blen, arena, need, &m);
    if (s != DSC_OK) return fail("dsc_load", s, NULL);
    out = malloc(n * sizeof(float));
    s = dsc_predict(m, X, n, out);
    if (s != DSC_OK) return fail("dsc_predict", s, NULL);
    if (write_file(a[4], out, n * sizeof(float))) return 1;
    free(out);
    free(arena);
    free(blob);
    free(X);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 15 && strcmp(argv[1], "fit") == 0) return do_fit(argv + 2);
    if (argc == 7 && strcmp(argv[1], "predict") == 0) return do_predict(argv + 2);
    fprintf(stderr, "usage: c_fit fit <kind> <n> <features> <X> <y> <params.out> <blob.out> "
                    "<max_epochs> <batch> <momentum> <degree> <lr> <seed>\n"
                    "       c_fit predict <blob> <n> <features> <X> <out>\n");
    return 2;
}
