/* consumer.c — a C99 program using an installed descent: fits y = 3 + x1 + 2 x2 + 4 x3. */
#include <descent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N 256

int main(void) {
    static float X[N * 3], y[N];
    static uint64_t arena[128];
    static const float truth[4] = {3.0f, 1.0f, 2.0f, 4.0f};
    uint32_t state = 12345u;
    dsc_config cfg;
    dsc_model *m;
    dsc_fit_report rep;
    dsc_status s;
    float p[4];
    int i, j;
    for (i = 0; i < N; ++i) {
        y[i] = truth[0];
        for (j = 0; j < 3; ++j) {
            state = state * 1664525u + 1013904223u;
            X[i * 3 + j] = (float)(state >> 8) / 8388608.0f - 1.0f;
            y[i] += truth[j + 1] * X[i * 3 + j];
        }
    }
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.max_epochs = 500;
    if (dsc_arena_size(&cfg) > sizeof arena) {
        puts("consumer_c: arena too small");
        return 1;
    }
    s = dsc_create(&cfg, arena, sizeof arena, &m);
    if (s == DSC_OK) s = dsc_fit(m, X, y, N, &rep);
    if (s == DSC_OK) s = dsc_get_params(m, p, 4);
    if (s != DSC_OK) {
        printf("consumer_c: %s\n", dsc_status_string(s));
        return 1;
    }
    printf("consumer_c: descent %d.%d.%d, backend %s, y = %.4f + %.4f x1 + %.4f x2 + %.4f x3\n",
           DSC_VERSION_MAJOR, DSC_VERSION_MINOR, DSC_VERSION_PATCH, dsc_backend_name(m),
           (double)p[0], (double)p[1], (double)p[2], (double)p[3]);
    for (j = 0; j < 4; ++j)
        if (fabs((double)(p[j] - truth[j])) > 1e-3) {
            puts("consumer_c: FAIL");
            return 1;
        }
    puts("consumer_c: OK");
    return 0;
}
