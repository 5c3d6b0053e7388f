/*
 * descent-mpi-train — data-parallel training of one descent model over MPI ranks.
 *
 *   mpirun -np 4 descent-mpi-train --file data.dscd --kind linear --out model.dscb --report
 *   mpirun -np 2 descent-mpi-train --synthetic 1000000 --features 32 --lr 0.05 --solver gd \
 *       --epochs 50 --time
 *   descent-mpi-train --synthetic 100000 --features 6 --write-data data.dscd
 *
 * Each rank reads (or generates) only its own rows: the chunk-aligned shard dsc_mpi_shard
 * assigns it. Data file (README "Data file"), little-endian:
 *   bytes 0..7    magic "DSCDATA1"
 *   bytes 8..15   uint64 n_rows
 *   bytes 16..19  uint32 n_features
 *   bytes 20..23  uint32 0 (reserved)
 *   then n_rows rows of (n_features + 1) float32: the features, then the target.
 * Synthetic rows are a function of (seed, global row index) only (synth.h), so any number of
 * ranks trains on the same data set and saves the same model.
 *
 * Any failure on any rank (bad option, unreadable file, short shard, a fit error) makes every
 * rank exit with status 1, and rank 0 prints each failing rank's message: every step that can
 * fail on one rank only ends in a collective agreement before the next collective call.
 */
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descent_mpi.h"
#include "descent_pool.h"
#include "synth.h"

#define MSG_LEN 200
#define HEADER_BYTES 24
static const char MAGIC[8] = {'D', 'S', 'C', 'D', 'A', 'T', 'A', '1'};

static dsc_mpi_comm *g_comm;
static int g_rank, g_size;

typedef struct options {
    const char *file, *out, *write_data;
    uint64_t synthetic, seed;
    uint32_t features, kind, solver, standardize, epochs, batch, threads;
    int physical, report, time;
    float lr, momentum;
} options;

/* Collective: the worst status of all ranks; when it is not DSC_OK, rank 0 prints the message
 * of every rank that failed (msg "" for a rank that did not). */
static dsc_status agree(dsc_status local, const char *msg)
{
    dsc_status s = dsc_mpi_agree(g_comm, local);
    if (s == DSC_OK) return s;
    if (s == DSC_ERR_COMM && local == DSC_OK) { /* the reduction itself failed */
        fprintf(stderr, "descent-mpi-train: rank %d: MPI failed\n", g_rank);
        return s;
    }
    char mine[MSG_LEN] = {0};
    if (local != DSC_OK) snprintf(mine, sizeof mine, "%s", msg ? msg : dsc_status_string(local));
    char *all = g_rank == 0 ? calloc((size_t)g_size, MSG_LEN) : NULL;
    MPI_Gather(mine, MSG_LEN, MPI_CHAR, all, MSG_LEN, MPI_CHAR, 0, dsc_mpi_handle(g_comm));
    if (g_rank == 0) {
        /* A fit error is the same on every rank (the library agrees on it): say it once. */
        int same = 1;
        for (int r = 1; all != NULL && r < g_size; r++)
            same &= strncmp(all, all + (size_t)r * MSG_LEN, MSG_LEN) == 0;
        for (int r = 0; all != NULL && r < g_size; r++) {
            const char *m = all + (size_t)r * MSG_LEN;
            if (same && g_size > 1) {
                fprintf(stderr, "descent-mpi-train: every rank: %.*s\n", MSG_LEN, m);
                break;
            }
            if (m[0] != '\0') fprintf(stderr, "descent-mpi-train: rank %d: %.*s\n", r, MSG_LEN, m);
        }
        free(all);
    }
    return s;
}

static void usage(FILE *f)
{
    fputs("usage: descent-mpi-train (--file DATA | --synthetic N [--features D] [--seed S]\n"
          "                          [--units physical|unit]) [options]\n"
          "  --kind linear|logistic        model (default linear)\n"
          "  --solver auto|gd|newton       (default auto: NEWTON when lr = 0 and full batch)\n"
          "  --lr R                        learning rate; 0 = automatic (default)\n"
          "  --batch B                     minibatch size; 0 = full batch (default)\n"
          "  --momentum M                  (default 0)\n"
          "  --epochs E                    max epochs / Newton iterations (default 1000)\n"
          "  --threads T                   threads per rank for the passes (default 1)\n"
          "  --standardize on|off|auto     (default auto: on when lr = 0)\n"
          "  --out FILE                    rank 0 writes the dsc_save blob\n"
          "  --report                      rank 0 prints the fit report and parameters\n"
          "  --time                        fit time (max over ranks), per epoch, bytes exchanged\n"
          "  --write-data FILE             write the synthetic set as a data file and exit\n",
          f);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') return 0;
    *v = x;
    return 1;
}

static int parse_f(const char *s, float *v)
{
    char *end;
    errno = 0;
    float x = strtof(s, &end);
    if (errno != 0 || end == s || *end != '\0') return 0;
    *v = x;
    return 1;
}

static int takes_value(const char *a)
{
    static const char *const names[] = {"--file", "--out", "--write-data", "--synthetic",
        "--seed", "--features", "--epochs", "--batch", "--lr", "--momentum", "--units", "--kind",
        "--solver", "--standardize", "--threads"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(a, names[i]) == 0) return 1;
    return 0;
}

/* NULL on success, else a message. Every rank parses the same argv, so all agree anyway. */
static const char *parse(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->features = 8;
    o->kind = DSC_LINEAR;
    o->solver = DSC_SOLVER_AUTO;
    o->standardize = DSC_STANDARDIZE_AUTO;
    o->epochs = 1000;
    o->threads = 1;
    o->physical = 1;
    o->seed = 1;
    static char bad[MSG_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u = 0;
        int ok = 1, flag = 0;
        if (strcmp(a, "--report") == 0) o->report = flag = 1;
        else if (strcmp(a, "--time") == 0) o->time = flag = 1;
        else if (strcmp(a, "--help") == 0) return "help";
        else if (!takes_value(a)) {
            snprintf(bad, sizeof bad, "unknown option %s (--help lists them)", a);
            return bad;
        } else if (v == NULL) ok = 0;
        else if (strcmp(a, "--file") == 0) o->file = v;
        else if (strcmp(a, "--out") == 0) o->out = v;
        else if (strcmp(a, "--write-data") == 0) o->write_data = v;
        else if (strcmp(a, "--synthetic") == 0) ok = parse_u64(v, &o->synthetic);
        else if (strcmp(a, "--seed") == 0) ok = parse_u64(v, &o->seed);
        else if (strcmp(a, "--features") == 0)
            ok = parse_u64(v, &u) && u >= 1 && u <= 4096 && (o->features = (uint32_t)u);
        else if (strcmp(a, "--epochs") == 0)
            ok = parse_u64(v, &u) && u <= UINT32_MAX && ((o->epochs = (uint32_t)u), 1);
        else if (strcmp(a, "--threads") == 0)
            ok = parse_u64(v, &u) && u >= 1 && u <= 256 && (o->threads = (uint32_t)u);
        else if (strcmp(a, "--batch") == 0)
            ok = parse_u64(v, &u) && u <= UINT32_MAX && ((o->batch = (uint32_t)u), 1);
        else if (strcmp(a, "--lr") == 0) ok = parse_f(v, &o->lr);
        else if (strcmp(a, "--momentum") == 0) ok = parse_f(v, &o->momentum);
        else if (strcmp(a, "--units") == 0)
            ok = strcmp(v, "physical") == 0 ? (o->physical = 1) : strcmp(v, "unit") == 0
                     ? ((o->physical = 0), 1) : 0;
        else if (strcmp(a, "--kind") == 0)
            ok = strcmp(v, "linear") == 0 ? (int)(o->kind = DSC_LINEAR)
                 : strcmp(v, "logistic") == 0 ? (int)(o->kind = DSC_LOGISTIC) : 0;
        else if (strcmp(a, "--solver") == 0)
            ok = strcmp(v, "auto") == 0 ? ((o->solver = DSC_SOLVER_AUTO), 1)
                 : strcmp(v, "gd") == 0 ? ((o->solver = DSC_SOLVER_GD), 1)
                 : strcmp(v, "newton") == 0 ? ((o->solver = DSC_SOLVER_NEWTON), 1) : 0;
        else if (strcmp(a, "--standardize") == 0)
            ok = strcmp(v, "auto") == 0 ? ((o->standardize = DSC_STANDARDIZE_AUTO), 1)
                 : strcmp(v, "on") == 0 ? ((o->standardize = DSC_STANDARDIZE_ON), 1)
                 : strcmp(v, "off") == 0 ? ((o->standardize = DSC_STANDARDIZE_OFF), 1) : 0;
        if (!ok) {
            snprintf(bad, sizeof bad, "bad or missing value for %s", a);
            return bad;
        }
        if (!flag) i++;
    }
    if ((o->file == NULL) == (o->synthetic == 0))
        return "give exactly one of --file DATA and --synthetic N (N >= 1)";
    if (o->write_data != NULL && o->synthetic == 0) return "--write-data needs --synthetic";
    return NULL;
}

/* Rows [row0, row0 + n) of a data file into X and y, one chunk at a time so that the
 * interleaved row layout costs only a chunk of extra memory. */
static const char *read_rows(const char *path, uint64_t row0, uint64_t n, uint32_t d, float *X,
                             float *y)
{
    static char msg[MSG_LEN];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        return msg;
    }
    const size_t w = (size_t)d + 1;
    float *buf = malloc(DSC_CHUNK_ROWS * w * sizeof(float));
    const char *err = NULL;
    if (buf == NULL) err = "out of memory";
    else if (fseeko(f, (off_t)(HEADER_BYTES + row0 * w * sizeof(float)), SEEK_SET) != 0)
        err = "seek failed";
    for (uint64_t done = 0; err == NULL && done < n;) {
        size_t k = n - done < DSC_CHUNK_ROWS ? (size_t)(n - done) : DSC_CHUNK_ROWS;
        if (fread(buf, w * sizeof(float), k, f) != k) {
            snprintf(msg, sizeof msg, "%s: short read at row %llu", path,
                     (unsigned long long)(row0 + done));
            err = msg;
            break;
        }
        for (size_t i = 0; i < k; i++) {
            memcpy(X + (done + i) * d, buf + i * w, d * sizeof(float));
            y[done + i] = buf[i * w + d];
        }
        done += k;
    }
    free(buf);
    fclose(f);
    return err;
}

/* The header: n_rows and n_features. */
static const char *read_header(const char *path, uint64_t *n_rows, uint32_t *d)
{
    static char msg[MSG_LEN];
    unsigned char h[HEADER_BYTES];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        return msg;
    }
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got != sizeof h || memcmp(h, MAGIC, sizeof MAGIC) != 0) {
        snprintf(msg, sizeof msg, "%s: not a descent data file (magic DSCDATA1)", path);
        return msg;
    }
    uint64_t n = 0;
    uint32_t c = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | h[8 + i];
    for (int i = 3; i >= 0; i--) c = (c << 8) | h[16 + i];
    if (c == 0 || c > 4096 || n == 0) {
        snprintf(msg, sizeof msg, "%s: bad header (n_rows %llu, n_features %u)", path,
                 (unsigned long long)n, c);
        return msg;
    }
    *n_rows = n;
    *d = c;
    return NULL;
}

/* Rank 0 writes the whole synthetic set; little-endian hosts only (checked in main). */
static const char *write_data(const options *o)
{
    static char msg[MSG_LEN];
    FILE *f = fopen(o->write_data, "wb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "%s: %s", o->write_data, strerror(errno));
        return msg;
    }
    unsigned char h[HEADER_BYTES] = {0};
    memcpy(h, MAGIC, sizeof MAGIC);
    for (int i = 0; i < 8; i++) h[8 + i] = (unsigned char)(o->synthetic >> (8 * i));
    for (int i = 0; i < 4; i++) h[16 + i] = (unsigned char)(o->features >> (8 * i));
    const uint32_t d = o->features;
    const size_t w = (size_t)d + 1;
    float *X = malloc(DSC_CHUNK_ROWS * d * sizeof(float));
    float *y = malloc(DSC_CHUNK_ROWS * sizeof(float));
    float *row = malloc(DSC_CHUNK_ROWS * w * sizeof(float));
    int ok = X && y && row && fwrite(h, sizeof h, 1, f) == 1;
    for (uint64_t r0 = 0; ok && r0 < o->synthetic; r0 += DSC_CHUNK_ROWS) {
        size_t k = o->synthetic - r0 < DSC_CHUNK_ROWS ? (size_t)(o->synthetic - r0)
                                                     : DSC_CHUNK_ROWS;
        synth_rows(o->seed, o->physical, o->kind == DSC_LOGISTIC, d, r0, k, X, y);
        for (size_t i = 0; i < k; i++) {
            memcpy(row + i * w, X + i * d, d * sizeof(float));
            row[i * w + d] = y[i];
        }
        ok = fwrite(row, w * sizeof(float), k, f) == k;
    }
    free(X);
    free(y);
    free(row);
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        snprintf(msg, sizeof msg, "%s: write failed", o->write_data);
        return msg;
    }
    return NULL;
}

static int run(int argc, char **argv)
{
    options o;
    const char *err = parse(argc, argv, &o);
    if (err != NULL && strcmp(err, "help") == 0) {
        if (g_rank == 0) usage(stdout);
        return 0;
    }
    if (agree(err ? DSC_ERR_INVALID_ARGUMENT : DSC_OK, err) != DSC_OK) return 1;
    const uint16_t probe = 1;
    if ((o.file != NULL || o.write_data != NULL) && *(const unsigned char *)&probe != 1)
        err = "data files are little-endian; this host is not";

    if (o.write_data != NULL) {
        if (g_rank == 0 && err == NULL) err = write_data(&o);
        if (agree(err ? DSC_ERR_INVALID_ARGUMENT : DSC_OK, err) != DSC_OK) return 1;
        if (g_rank == 0)
            printf("wrote %llu rows x %u features to %s\n", (unsigned long long)o.synthetic,
                   o.features, o.write_data);
        return 0;
    }

    uint64_t n_total = o.synthetic;
    uint32_t d = o.features;
    if (err == NULL && o.file != NULL) err = read_header(o.file, &n_total, &d);
    if (agree(err ? DSC_ERR_INVALID_ARGUMENT : DSC_OK, err) != DSC_OK) return 1;

    uint64_t row0 = 0, n = 0;
    char msg[MSG_LEN];
    if (dsc_mpi_shard(n_total, g_rank, g_size, &row0, &n) != DSC_OK) {
        snprintf(msg, sizeof msg,
                 "%llu rows cannot give %d ranks a shard each: every rank but the last needs "
                 "whole chunks of %u rows; run at most %llu ranks",
                 (unsigned long long)n_total, g_size, DSC_CHUNK_ROWS,
                 (unsigned long long)((n_total + DSC_CHUNK_ROWS - 1) / DSC_CHUNK_ROWS));
        err = msg;
    }
    if (agree(err ? DSC_ERR_INVALID_ARGUMENT : DSC_OK, err) != DSC_OK) return 1;

    float *X = malloc((size_t)n * d * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    if (X == NULL || y == NULL) err = "out of memory for the shard";
    else if (o.file != NULL) err = read_rows(o.file, row0, n, d, X, y);
    else synth_rows(o.seed, o.physical, o.kind == DSC_LOGISTIC, d, row0, n, X, y);

    dsc_config cfg;
    dsc_config_init(&cfg, (dsc_model_kind)o.kind, d);
    cfg.lr = o.lr;
    cfg.solver = o.solver;
    cfg.standardize = o.standardize;
    cfg.max_epochs = o.epochs;
    cfg.batch_size = o.batch;
    cfg.momentum = o.momentum;
    dsc_mpi_attach(g_comm, &cfg);
    /* Threads split each rank's passes into 16384-row tasks; the result stays bit-identical. */
    dsc_pool *pool = o.threads > 1 ? dsc_pool_create(o.threads) : NULL;
    if (pool != NULL) {
        cfg.parallel_for = dsc_pool_parallel_for;
        cfg.pool = pool;
    } else if (o.threads > 1 && err == NULL) {
        err = "cannot start the threads";
    }
    const char *bad = dsc_check_config(&cfg);
    if (err == NULL && bad != NULL) err = bad;
    size_t need = bad == NULL ? dsc_arena_size(&cfg) : 0;
    void *arena = need ? malloc(need) : NULL;
    dsc_model *m = NULL;
    dsc_status s = DSC_OK;
    if (err != NULL) s = DSC_ERR_INVALID_ARGUMENT;
    else if (arena == NULL) err = "out of memory for the arena", s = DSC_ERR_ARENA_TOO_SMALL;
    else s = dsc_create(&cfg, arena, need, &m);
    int rc = 1;
    if (agree(s, err) != DSC_OK) goto done;

    dsc_fit_report rep;
    MPI_Barrier(dsc_mpi_handle(g_comm)); /* the time starts when the slowest loader is done */
    dsc_mpi_reset_stats(g_comm);
    double t0 = MPI_Wtime();
    s = dsc_fit(m, X, y, (size_t)n, &rep);
    double t = MPI_Wtime() - t0, t_max = t;
    MPI_Allreduce(&t, &t_max, 1, MPI_DOUBLE, MPI_MAX, dsc_mpi_handle(g_comm));
    /* The library returns the same status on every rank; agree() is what prints it. */
    snprintf(msg, sizeof msg, "dsc_fit: %s (%s)", dsc_status_string(s),
             rep.message ? rep.message : "");
    if (agree(s, msg) != DSC_OK) goto done;

    if (o.report && g_rank == 0) {
        printf("epochs %u, stop: %s, final loss %.9g, converged %u, steps %llu, lr %.6g, "
               "solver %s, standardized %u\n",
               rep.epochs_run, dsc_stop_reason_string((dsc_stop_reason)rep.stop_reason),
               (double)rep.final_loss, rep.converged, (unsigned long long)rep.steps,
               (double)rep.lr, rep.solver == DSC_SOLVER_NEWTON ? "newton" : "gd",
               rep.standardized);
        float p[4097];
        size_t np = dsc_param_count(m);
        if (np <= 4097 && dsc_get_params(m, p, np) == DSC_OK) {
            printf("params:");
            for (size_t i = 0; i < np; i++) printf(" %.9g", (double)p[i]);
            printf("\n");
        }
    }
    if (o.time) {
        dsc_mpi_stats st;
        dsc_mpi_get_stats(g_comm, &st);
        unsigned long long sent = st.bytes_appended, sent_all = 0;
        MPI_Reduce(&sent, &sent_all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0,
                   dsc_mpi_handle(g_comm));
        if (g_rank == 0) {
            uint32_t ep = rep.epochs_run ? rep.epochs_run : 1;
            printf("ranks %d, rows %llu x %u: fit %.4f s (max over ranks), %.3f ms per epoch "
                   "over %u epochs\n",
                   g_size, (unsigned long long)n_total, d, t_max, 1e3 * t_max / ep,
                   rep.epochs_run);
            printf("exchange: %llu allgathers (%.2f per epoch); rank 0 sent %llu bytes, all "
                   "ranks %llu; each rank received %llu bytes (%.0f per epoch, %.0f per "
                   "allgather)\n",
                   (unsigned long long)st.allgathers, (double)st.allgathers / ep,
                   (unsigned long long)st.bytes_appended, sent_all,
                   (unsigned long long)st.bytes_gathered, (double)st.bytes_gathered / ep,
                   st.allgathers ? (double)st.bytes_gathered / (double)st.allgathers : 0.0);
        }
    }

    err = NULL;
    if (o.out != NULL && g_rank == 0) {
        size_t len = dsc_save_size(m), written = 0;
        void *blob = malloc(len);
        FILE *f = blob ? fopen(o.out, "wb") : NULL;
        if (blob == NULL || dsc_save(m, blob, len, &written) != DSC_OK) err = "dsc_save failed";
        else if (f == NULL || fwrite(blob, 1, written, f) != written) err = "cannot write --out";
        if (f != NULL && fclose(f) != 0 && err == NULL) err = "cannot write --out";
        free(blob);
    }
    if (agree(err ? DSC_ERR_INVALID_ARGUMENT : DSC_OK, err) != DSC_OK) goto done;
    rc = 0;
done:
    free(arena);
    dsc_pool_destroy(pool);
    free(X);
    free(y);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    g_comm = dsc_mpi_comm_create(MPI_COMM_WORLD);
    if (g_comm == NULL) {
        fprintf(stderr, "descent-mpi-train: cannot set up the communicator\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    g_rank = dsc_mpi_rank(g_comm);
    g_size = dsc_mpi_size(g_comm);
    int rc = run(argc, argv);
    dsc_mpi_comm_destroy(g_comm);
    MPI_Finalize();
    return rc;
}
