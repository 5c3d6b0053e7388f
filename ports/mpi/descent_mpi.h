/*
 * descent_mpi — data-parallel training of a descent model across MPI ranks. Part of ports/,
 * not of the library: it allocates (growable message buffers) and owns an MPI communicator,
 * which libdescent never does. The library defines the protocol (descent.h, the comment above
 * DSC_CHUNK_ROWS); this file only moves its bytes.
 *
 *     dsc_mpi_comm *c = dsc_mpi_comm_create(MPI_COMM_WORLD);   // collective
 *     uint64_t row0, n;
 *     s = dsc_mpi_shard(n_total, rank, size, &row0, &n);      // chunk-aligned, in rank order
 *     ... load rows [row0, row0 + n) ...
 *     dsc_config_init(&cfg, DSC_LINEAR, d);                   // the same config on every rank
 *     dsc_mpi_attach(c, &cfg);
 *     s = dsc_mpi_agree(c, dsc_create(&cfg, arena, bytes, &m)); // failures before the model
 *     s = dsc_fit(m, X, y, n, &rep);                          // same status on every rank
 *     dsc_mpi_comm_destroy(c);
 *
 * Every rank must make the same sequence of collective calls (create, agree, fit, destroy).
 */
#ifndef DESCENT_MPI_H
#define DESCENT_MPI_H

#include <mpi.h>
#include <stdint.h>

#include "descent.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dsc_mpi_comm dsc_mpi_comm;

/* Byte counters of one communicator, for cost measurements (bench_scaling.sh). */
typedef struct dsc_mpi_stats {
    uint64_t appends;        /* DSC_EXCHANGE_APPEND calls                                   */
    uint64_t bytes_appended; /* bytes this rank sent (the sum of its messages)              */
    uint64_t allgathers;     /* DSC_EXCHANGE_ALLGATHER calls                                */
    uint64_t bytes_gathered; /* bytes this rank received: all ranks' messages, its own too  */
    uint64_t max_message;    /* the largest message of this rank in one ALLGATHER           */
    uint64_t passes;         /* DSC_EXCHANGE_PASS_ON calls (the fold along the ranks)       */
} dsc_mpi_stats;

/* Duplicates comm (collective over it), with MPI_ERRORS_RETURN on the duplicate so a failed
 * transfer becomes DSC_ERR_COMM in dsc_fit instead of an abort. NULL on failure (out of
 * memory or MPI_Comm_dup failed; with the default MPI_ERRORS_ARE_FATAL on comm the latter
 * aborts). */
dsc_mpi_comm *dsc_mpi_comm_create(MPI_Comm comm);
/* Collective (frees the duplicate). NULL is a no-op. */
void dsc_mpi_comm_destroy(dsc_mpi_comm *c);
int dsc_mpi_rank(const dsc_mpi_comm *c);
int dsc_mpi_size(const dsc_mpi_comm *c);
/* The duplicated communicator, for the caller's own collectives (in the same order on all
 * ranks, never from inside a fit). */
MPI_Comm dsc_mpi_handle(const dsc_mpi_comm *c);

/* The dsc_exchange_fn (comm = a dsc_mpi_comm *). ALLGATHER returns NULL (the fit stops with
 * DSC_ERR_COMM) when an MPI call fails, memory runs out, or a message or the total exceeds
 * INT_MAX bytes (MPI counts are int); every rank sees the same sizes, so all refuse together. */
const void *dsc_mpi_exchange(void *comm, const void *data, size_t bytes, uint32_t op,
                             size_t *out_bytes);

/* Sets cfg->exchange, comm and comm_rank for a model about to be created. */
void dsc_mpi_attach(dsc_mpi_comm *c, dsc_config *cfg);
/* The same for a model that already exists (after dsc_load). */
dsc_status dsc_mpi_set_exchange(dsc_mpi_comm *c, dsc_model *m);

/* Rank `rank` of `size` gets rows [*row0, *row0 + *count) of n_total: the ceil(n_total / 16384)
 * chunks of DSC_CHUNK_ROWS rows are spread as evenly as possible, the earlier ranks taking one
 * more where they do not divide evenly (the last rank holds the partial chunk, if any, so it is
 * the lighter one). The library needs every shard non-empty and every shard but the last a
 * whole number of chunks, so n_total must exceed (size - 1) * 16384: below that, and for
 * size < 1 or rank outside [0, size), the answer is DSC_ERR_INVALID_ARGUMENT (run fewer
 * ranks). Pure arithmetic: every rank may call it for every rank. */
dsc_status dsc_mpi_shard(uint64_t n_total, int rank, int size, uint64_t *row0, uint64_t *count);

/* Collective: the largest status of all ranks (DSC_OK only when every rank passed DSC_OK), so a
 * failure before the model exists (bad config, a short arena or an unreadable file on one rank)
 * reaches every rank as a status instead of leaving the others waiting inside dsc_fit.
 * DSC_ERR_COMM if the reduction itself failed. */
dsc_status dsc_mpi_agree(dsc_mpi_comm *c, dsc_status local);

void dsc_mpi_get_stats(const dsc_mpi_comm *c, dsc_mpi_stats *out);
/* The fold along the ranks (descent.h, DSC_EXCHANGE_SCAN_QUERY): each pass sends one running
 * fold from rank to rank and broadcasts the last, O(p^2) bytes a rank instead of a record per
 * chunk of the whole data set, at the price of size-1 sequential hops. Off by default; also
 * on when the environment variable DESCENT_MPI_SCAN is set (not "0") at comm creation. The
 * fit's bits are the same either way. Set it alike on every rank (a rank without it makes the
 * whole fit use ALLGATHER). */
void dsc_mpi_set_scan(dsc_mpi_comm *c, int on);
void dsc_mpi_reset_stats(dsc_mpi_comm *c);

#ifdef __cplusplus
}
#endif
#endif
