/*
 * predict_c — the CLI round-trip check's independent side: load the dsc_save blob inside a
 * `descent` model file (everything after the "blob <bytes>\n" header line) with the C API
 * and print dsc_predict's outputs (or dsc_predict_label's with --label), one per line, %.9g.
 *
 *   predict_c MODEL.dscb MATRIX.txt [--label]
 *
 * MATRIX.txt: "n d" then n*d numbers (the CSV's own text, read with strtof like the CLI).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descent.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int label = argc > 3 && strcmp(argv[3], "--label") == 0;
    size_t len = 0;
    char *file = slurp(argv[1], &len);
    if (!file) return 2;
    const char *b = NULL;
    for (size_t i = 0; i + 5 < len; ++i)
        if ((i == 0 || file[i - 1] == '\n') && memcmp(file + i, "blob ", 5) == 0) {
            b = memchr(file + i, '\n', len - i);
            break;
        }
    if (!b) return 3;
    ++b;
    size_t blen = len - (size_t)(b - file), need = 0;
    if (dsc_load_arena_size(b, blen, &need) != DSC_OK) return 4;
    void *arena = malloc(need);
    dsc_model *m;
    if (dsc_load(b, blen, arena, need, &m) != DSC_OK) return 4;
    dsc_config cfg;
    dsc_get_config(m, &cfg);

    FILE *f = fopen(argv[2], "r");
    size_t n = 0, d = 0;
    if (!f || fscanf(f, "%zu %zu", &n, &d) != 2 || d != cfg.n_features) return 5;
    float *X = malloc(n * d * sizeof *X), *out = malloc(n * sizeof *out);
    char tok[256];
    for (size_t i = 0; i < n * d; ++i) {
        if (fscanf(f, "%255s", tok) != 1) return 5;
        X[i] = strtof(tok, NULL);
    }
    fclose(f);
    dsc_status s = label ? dsc_predict_label(m, X, n, out) : dsc_predict(m, X, n, out);
    if (s != DSC_OK) return 6;
    for (size_t i = 0; i < n; ++i) printf("%.9g\n", (double)out[i]);
    free(X);
    free(out);
    free(arena);
    free(file);
    return 0;
}
