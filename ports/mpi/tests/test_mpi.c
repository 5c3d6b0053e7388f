/*
 * MPI tests of the data-parallel fit, run under `mpirun -np N test_mpi --case NAME`.
 *
 * identical  full-batch GD (explicit lr, raw and standardized), NEWTON (linear, logistic) and
 *            automatic-rate GD, and two of them with a 2-thread pool on every rank: parameters,
 *            report and dsc_save blob bit-identical to one single-threaded dsc_fit on the
 *            concatenated rows, which rank 0 computes without an exchange
 * sgd        minibatch SGD with momentum: bit-identical across two runs with the same N, and
 *            within a tolerance of the single-process fit (the measured difference is printed)
 * nan        a NaN in rank 1's X: the same non-OK status on every rank, parameters unchanged
 * misaligned rank 0's shard not a whole number of chunks: the same non-OK status everywhere
 * arena      a short arena on the last rank, before any model exists: dsc_mpi_agree makes
 *            every rank fail
 * mismatch   the last rank's learning rate differs: the same non-OK status everywhere
 * killed     rank 1 kills itself in on_epoch at epoch 3 (run by run_scripts.sh, which expects
 *            mpirun to fail promptly rather than hang)
 *
 * Exit status 0 on every rank when the case passed, 1 on every rank when it failed.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descent_mpi.h"
#include "descent_pool.h"
#include "synth.h"

#define N_ROWS (11u * DSC_CHUNK_ROWS + 777u)  /* 12 chunks: several per rank up to N = 4 */
#define N_ROWS_SGD (4u * DSC_CHUNK_ROWS + 100u)
#define D 6u
#define MAX_P 16u
#define SEED 20240601u

static dsc_mpi_comm *g_comm;
static int g_rank, g_size;

/* Everything a fit produced that must match bit for bit. */
typedef struct result {
    int32_t status;
    uint32_t epochs_run, stop_reason, loss_bits, lr_bits, converged, solver, standardized;
    uint64_t steps;
    uint32_t n_params;
    float params[MAX_P];
    uint64_t blob_len;
    unsigned char blob[4096];
} result;

typedef struct fit_case {
    const char *name;
    uint32_t kind;
    int physical;
    float lr;
    uint32_t solver, standardize, max_epochs, batch;
    float momentum;
    uint32_t threads; /* > 1: the distributed fit runs its passes on a descent_pool */
} fit_case;

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void make_config(const fit_case *fc, dsc_config *cfg)
{
    dsc_config_init(cfg, (dsc_model_kind)fc->kind, D);
    cfg->lr = fc->lr;
    cfg->solver = fc->solver;
    cfg->standardize = fc->standardize;
    cfg->max_epochs = fc->max_epochs;
    cfg->batch_size = fc->batch;
    cfg->momentum = fc->momentum;
    cfg->seed = 7;
}

/* One fit from a fresh model; distributed when comm is non-NULL. */
static void run_fit(const fit_case *fc, dsc_mpi_comm *comm, const float *X, const float *y,
                    size_t n, result *out)
{
    memset(out, 0, sizeof *out);
    dsc_config cfg;
    make_config(fc, &cfg);
    dsc_pool *pool = NULL;
    if (comm != NULL) {
        dsc_mpi_attach(comm, &cfg);
        if (fc->threads > 1 && (pool = dsc_pool_create(fc->threads)) != NULL) {
            cfg.parallel_for = dsc_pool_parallel_for;
            cfg.pool = pool;
        }
    }
    size_t need = dsc_arena_size(&cfg);
    void *arena = malloc(need ? need : 8);
    dsc_model *m = NULL;
    dsc_status s = arena ? dsc_create(&cfg, arena, need, &m) : DSC_ERR_ARENA_TOO_SMALL;
    if (comm != NULL) s = dsc_mpi_agree(comm, s);
    if (s != DSC_OK) {
        out->status = (int32_t)s;
        free(arena);
        dsc_pool_destroy(pool);
        return;
    }
    dsc_fit_report rep;
    memset(&rep, 0, sizeof rep);
    out->status = (int32_t)dsc_fit(m, X, y, n, &rep);
    out->epochs_run = rep.epochs_run;
    out->stop_reason = rep.stop_reason;
    out->loss_bits = bits(rep.final_loss);
    out->lr_bits = bits(rep.lr);
    out->converged = rep.converged;
    out->solver = rep.solver;
    out->standardized = rep.standardized;
    out->steps = rep.steps;
    out->n_params = (uint32_t)dsc_param_count(m);
    dsc_get_params(m, out->params, MAX_P);
    size_t written = 0;
    if (dsc_save(m, out->blob, sizeof out->blob, &written) == DSC_OK) out->blob_len = written;
    free(arena);
    dsc_pool_destroy(pool);
}

/* Every rank's verdict reaches every rank; rank 0 prints the case's line. */
static int all_pass(int ok)
{
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, dsc_mpi_handle(g_comm));
    return all;
}

static int same_result(const result *a, const result *b, const char *what, const char *name)
{
    const char *diff = NULL;
    if (a->status != b->status) diff = "status";
    else if (a->epochs_run != b->epochs_run) diff = "epochs_run";
    else if (a->stop_reason != b->stop_reason) diff = "stop_reason";
    else if (a->loss_bits != b->loss_bits) diff = "final_loss bits";
    else if (a->lr_bits != b->lr_bits) diff = "lr bits";
    else if (a->steps != b->steps) diff = "steps";
    else if (a->converged != b->converged) diff = "converged";
    else if (a->solver != b->solver || a->standardized != b->standardized) diff = "solver";
    else if (a->n_params != b->n_params ||
             memcmp(a->params, b->params, a->n_params * sizeof(float)) != 0)
        diff = "params";
    else if (a->blob_len != b->blob_len || memcmp(a->blob, b->blob, a->blob_len) != 0)
        diff = "blob bytes";
    if (diff == NULL) return 1;
    if (strcmp(diff, "blob bytes") == 0) { /* where: config, parameters, statistics, state */
        uint64_t at = 0, len = a->blob_len < b->blob_len ? a->blob_len : b->blob_len;
        while (at < len && a->blob[at] == b->blob[at]) at++;
        printf("rank %d/%d %s %s: blob lengths %llu and %llu, first difference at byte %llu\n",
               g_rank, g_size, name, what, (unsigned long long)a->blob_len,
               (unsigned long long)b->blob_len, (unsigned long long)at);
    }
    printf("rank %d/%d %s %s: %s differs (status %d vs %d, epochs %u vs %u, loss %.9g vs "
           "%.9g, steps %llu vs %llu, w0 %.9g vs %.9g)\n",
           g_rank, g_size, name, what, diff, a->status, b->status, a->epochs_run,
           b->epochs_run, (double)from_bits(a->loss_bits),
           (double)from_bits(b->loss_bits), (unsigned long long)a->steps,
           (unsigned long long)b->steps, (double)a->params[0], (double)b->params[0]);
    return 0;
}

/* This rank's shard of the data set (rows of the global order). */
typedef struct shard {
    uint64_t row0, n;
    float *X, *y;
} shard;

static int make_shard(uint64_t n_total, int physical, int logistic, shard *sh)
{
    if (dsc_mpi_shard(n_total, g_rank, g_size, &sh->row0, &sh->n) != DSC_OK) return 0;
    sh->X = malloc(sh->n * D * sizeof(float));
    sh->y = malloc(sh->n * sizeof(float));
    if (sh->X == NULL || sh->y == NULL) return 0;
    synth_rows(SEED, physical, logistic, D, sh->row0, sh->n, sh->X, sh->y);
    return 1;
}

static void free_shard(shard *sh)
{
    free(sh->X);
    free(sh->y);
}

/* Rank 0 fits the whole data set in one process; every rank receives the result. */
static void reference(const fit_case *fc, uint64_t n_total, result *ref)
{
    if (g_rank == 0) {
        float *X = malloc(n_total * D * sizeof(float)), *y = malloc(n_total * sizeof(float));
        if (X == NULL || y == NULL) {
            memset(ref, 0, sizeof *ref);
            ref->status = -1;
        } else {
            synth_rows(SEED, fc->physical, fc->kind == DSC_LOGISTIC, D, 0, n_total, X, y);
            run_fit(fc, NULL, X, y, n_total, ref);
        }
        free(X);
        free(y);
    }
    MPI_Bcast(ref, (int)sizeof *ref, MPI_BYTE, 0, dsc_mpi_handle(g_comm));
}

static int case_identical(void)
{
    static const fit_case cases[] = {
        /* name                kind          phys  lr     solver            standardize        ep */
        {"gd_lr_raw", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 40, 0, 0.0f, 0},
        {"gd_lr_std", DSC_LINEAR, 1, 0.1f, DSC_SOLVER_GD, DSC_STANDARDIZE_ON, 40, 0, 0.0f, 0},
        {"newton_linear", DSC_LINEAR, 1, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 1000, 0,
         0.0f, 0},
        {"newton_logistic", DSC_LOGISTIC, 1, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 1000,
         0, 0.0f, 0},
        {"gd_auto_linear", DSC_LINEAR, 1, 0.0f, DSC_SOLVER_GD, DSC_STANDARDIZE_AUTO, 60, 0,
         0.0f, 0},
        {"gd_auto_logistic", DSC_LOGISTIC, 1, 0.0f, DSC_SOLVER_GD, DSC_STANDARDIZE_AUTO, 60, 0,
         0.0f, 0},
        /* each rank on 2 threads as well, against the same single-threaded reference */
        {"gd_lr_pool", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 40, 0, 0.0f, 2},
        {"newton_log_pool", DSC_LOGISTIC, 1, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 1000,
         0, 0.0f, 2},
    };
    int pass = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const fit_case *fc = &cases[k];
        static result ref, got;
        reference(fc, N_ROWS, &ref);
        shard sh;
        int ok = make_shard(N_ROWS, fc->physical, fc->kind == DSC_LOGISTIC, &sh);
        if (ok) {
            run_fit(fc, g_comm, sh.X, sh.y, sh.n, &got);
            ok = ref.status == DSC_OK && same_result(&got, &ref, "vs 1 process", fc->name);
        }
        free_shard(&sh);
        ok = all_pass(ok);
        if (g_rank == 0)
            printf("%-17s N=%d: %s (status %d, %u epochs, stop %u, converged %u, loss %.9g)\n",
                   fc->name, g_size, ok ? "bit-identical" : "FAIL", ref.status, ref.epochs_run,
                   ref.stop_reason, ref.converged, (double)from_bits(ref.loss_bits));
        pass &= ok;
    }
    return pass;
}

/* Tolerance on max |theta_N - theta_1| / max(|theta_1|, 1e-3) for minibatch SGD (3 epochs,
 * 3078 steps). Measured: 0 for N = 1, 2.3e-7 for N = 2, 1.1e-7 for N = 3 and 4 -- a few float32
 * ulps from batch sums split at rank boundaries; the tolerance leaves a 40x margin. */
#define SGD_REL_TOL 1e-5

static int case_sgd(void)
{
    const fit_case fc = {"sgd_momentum", DSC_LINEAR, 0, 0.01f, DSC_SOLVER_GD,
                         DSC_STANDARDIZE_OFF, 3, 64, 0.9f, 0};
    static result ref, a, b;
    reference(&fc, N_ROWS_SGD, &ref);
    shard sh;
    int ok = make_shard(N_ROWS_SGD, 0, 0, &sh);
    double rel = 0.0;
    if (ok) {
        run_fit(&fc, g_comm, sh.X, sh.y, sh.n, &a);
        run_fit(&fc, g_comm, sh.X, sh.y, sh.n, &b);
        ok = a.status == DSC_OK && same_result(&a, &b, "rerun", fc.name);
        for (uint32_t i = 0; ok && i < a.n_params; i++) {
            double r = fabs((double)a.params[i] - (double)ref.params[i]) /
                       fmax(fabs((double)ref.params[i]), 1e-3);
            if (r > rel) rel = r;
        }
        if (ok && (ref.status != DSC_OK || a.epochs_run != ref.epochs_run ||
                   a.steps != ref.steps || !(rel <= SGD_REL_TOL)))
            ok = 0;
        if (ok && g_size == 1) ok = same_result(&a, &ref, "vs 1 process", fc.name);
    }
    free_shard(&sh);
    ok = all_pass(ok);
    if (g_rank == 0)
        printf("%s N=%d: %s; reruns bit-identical, max relative parameter difference to the "
               "single-process fit %.3g (tolerance %.3g), %llu steps, loss %.9g vs %.9g\n",
               fc.name, g_size, ok ? "pass" : "FAIL", rel, SGD_REL_TOL,
               (unsigned long long)a.steps, (double)from_bits(a.loss_bits),
               (double)from_bits(ref.loss_bits));
    return ok;
}

/* Gathers every rank's status; 1 when they are all equal and not DSC_OK. */
static int same_failure(dsc_status s, const char *what)
{
    int mine = (int)s, *all = malloc((size_t)g_size * sizeof(int));
    MPI_Allgather(&mine, 1, MPI_INT, all, 1, MPI_INT, dsc_mpi_handle(g_comm));
    int ok = all[0] != DSC_OK;
    for (int r = 1; r < g_size; r++) ok &= all[r] == all[0];
    if (g_rank == 0) {
        printf("%s N=%d: statuses", what, g_size);
        for (int r = 0; r < g_size; r++) printf(" %d", all[r]);
        printf(" (%s): %s\n", dsc_status_string((dsc_status)all[0]),
               ok ? "same failure on every rank" : "FAIL");
    }
    free(all);
    return ok;
}

static int case_nan(void)
{
    static const fit_case cases[] = {
        {"nan_newton", DSC_LINEAR, 1, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 100, 0, 0.0f, 0},
        {"nan_gd_lr", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 10, 0, 0.0f, 0},
        {"nan_sgd", DSC_LINEAR, 0, 0.01f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 2, 64, 0.9f, 0},
    };
    int pass = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const fit_case *fc = &cases[k];
        shard sh;
        int ok = make_shard(N_ROWS, fc->physical, 0, &sh);
        if (ok && g_rank == (g_size > 1 ? 1 : 0)) sh.X[5 * D + 2] = NAN;
        dsc_config cfg;
        make_config(fc, &cfg);
        dsc_mpi_attach(g_comm, &cfg);
        size_t need = dsc_arena_size(&cfg);
        void *arena = malloc(need);
        dsc_model *m = NULL;
        dsc_status s = ok && arena ? dsc_create(&cfg, arena, need, &m) : DSC_ERR_INVALID_ARGUMENT;
        s = dsc_mpi_agree(g_comm, s);
        float start[MAX_P] = {1.5f, -2.0f, 0.25f, 3.0f, 0.5f, -1.0f, 2.0f}, after[MAX_P];
        if (s == DSC_OK) s = dsc_set_params(m, start, D + 1);
        if (s == DSC_OK) {
            dsc_fit_report rep;
            s = dsc_fit(m, sh.X, sh.y, sh.n, &rep);
            ok = same_failure(s, fc->name);
            dsc_get_params(m, after, D + 1);
            int unchanged = memcmp(start, after, (D + 1) * sizeof(float)) == 0;
            if (!unchanged) printf("rank %d: %s changed the parameters\n", g_rank, fc->name);
            ok &= unchanged;
        } else {
            ok = 0;
        }
        ok = all_pass(ok);
        free(arena);
        free_shard(&sh);
        pass &= ok;
    }
    return pass;
}

static int case_misaligned(void)
{
    /* Rank 0 holds one chunk and 5 rows, every later rank 100 rows. */
    uint64_t n = g_rank == 0 ? DSC_CHUNK_ROWS + 5u : 100u;
    uint64_t row0 = g_rank == 0 ? 0 : DSC_CHUNK_ROWS + 5u + 100u * (uint64_t)(g_rank - 1);
    float *X = malloc(n * D * sizeof(float)), *y = malloc(n * sizeof(float));
    synth_rows(SEED, 0, 0, D, row0, n, X, y);
    static const fit_case cases[] = {
        {"misaligned_gd", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 5, 0, 0.0f, 0},
        {"misaligned_newton", DSC_LINEAR, 0, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 5, 0,
         0.0f, 0},
    };
    int pass = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        result got;
        run_fit(&cases[k], g_comm, X, y, n, &got);
        pass &= all_pass(same_failure((dsc_status)got.status, cases[k].name));
    }
    free(X);
    free(y);
    return pass;
}

static int case_arena(void)
{
    const fit_case fc = {"arena", DSC_LINEAR, 1, 0.0f, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO,
                         100, 0, 0.0f, 0};
    dsc_config cfg;
    make_config(&fc, &cfg);
    dsc_mpi_attach(g_comm, &cfg);
    size_t need = dsc_arena_size(&cfg);
    size_t have = g_rank == g_size - 1 ? need - 1 : need;
    void *arena = malloc(need);
    dsc_model *m = NULL;
    dsc_status local = dsc_create(&cfg, arena, have, &m);
    dsc_status s = dsc_mpi_agree(g_comm, local);
    /* Only the agreed status decides; the fit never starts, so nobody waits in it. */
    int ok = all_pass(s == DSC_ERR_ARENA_TOO_SMALL);
    if (g_rank == 0)
        printf("arena N=%d: short arena on rank %d -> %s on every rank: %s\n", g_size,
               g_size - 1, dsc_status_string(s), ok ? "pass" : "FAIL");
    free(arena);
    return ok;
}

/* The last rank's config differs in one training field: the library's start record carries a
 * fingerprint of the model, so every rank refuses the fit. */
static int case_mismatch(void)
{
    fit_case fc = {"mismatch", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 10, 0,
                   0.0f, 0};
    if (g_rank == g_size - 1) fc.lr = 0.04f;
    shard sh;
    int ok = make_shard(N_ROWS, 0, 0, &sh);
    static result got; /* zero (status DSC_OK) if this rank could not even make its shard */
    if (ok) run_fit(&fc, g_comm, sh.X, sh.y, sh.n, &got);
    free_shard(&sh);
    return all_pass(ok) && all_pass(same_failure((dsc_status)got.status, fc.name));
}

static int die_at_epoch3(void *user, uint32_t epoch, float loss)
{
    (void)user;
    (void)loss;
    if (epoch == 3 && g_rank == 1) {
        fflush(stdout);
        raise(SIGKILL);
    }
    return 0;
}

static int case_killed(void)
{
    const fit_case fc = {"killed", DSC_LINEAR, 0, 0.05f, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 50,
                         0, 0.0f, 0};
    shard sh;
    if (!make_shard(N_ROWS, 0, 0, &sh)) return 0;
    dsc_config cfg;
    make_config(&fc, &cfg);
    cfg.on_epoch = die_at_epoch3;
    dsc_mpi_attach(g_comm, &cfg);
    size_t need = dsc_arena_size(&cfg);
    void *arena = malloc(need);
    dsc_model *m = NULL;
    dsc_status s = dsc_mpi_agree(g_comm, dsc_create(&cfg, arena, need, &m));
    if (s == DSC_OK) {
        dsc_fit_report rep;
        s = dsc_fit(m, sh.X, sh.y, sh.n, &rep);
    }
    /* Reached only if the job survived the kill: that is the failure this case looks for. */
    printf("rank %d: fit returned %s after rank 1 was killed\n", g_rank, dsc_status_string(s));
    free(arena);
    free_shard(&sh);
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const char *name = argc == 3 && strcmp(argv[1], "--case") == 0 ? argv[2] : "";
    g_comm = dsc_mpi_comm_create(MPI_COMM_WORLD);
    if (g_comm == NULL) {
        fprintf(stderr, "dsc_mpi_comm_create failed\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    g_rank = dsc_mpi_rank(g_comm);
    g_size = dsc_mpi_size(g_comm);
    int ok;
    if (strcmp(name, "identical") == 0) ok = case_identical();
    else if (strcmp(name, "sgd") == 0) ok = case_sgd();
    else if (strcmp(name, "nan") == 0) ok = case_nan();
    else if (strcmp(name, "misaligned") == 0) ok = case_misaligned();
    else if (strcmp(name, "arena") == 0) ok = case_arena();
    else if (strcmp(name, "mismatch") == 0) ok = case_mismatch();
    else if (strcmp(name, "killed") == 0) ok = case_killed();
    else {
        if (g_rank == 0)
            fprintf(stderr, "usage: test_mpi --case identical|sgd|nan|misaligned|arena|mismatch|"
                            "killed\n");
        ok = 0;
    }
    /* Under DESCENT_MPI_SCAN the fits must really have folded along the ranks. */
    const char *scan = getenv("DESCENT_MPI_SCAN");
    if (ok && scan != NULL && scan[0] == '1' && g_size > 1 && strcmp(name, "identical") == 0) {
        dsc_mpi_stats st;
        dsc_mpi_get_stats(g_comm, &st);
        if (st.passes == 0) {
            fprintf(stderr, "rank %d: DESCENT_MPI_SCAN=1 but no pass went along the ranks\n", g_rank);
            ok = 0;
        }
    }
    dsc_mpi_comm_destroy(g_comm);
    MPI_Finalize();
    return ok ? 0 : 1;
}
