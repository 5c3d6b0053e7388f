/* descent_mpi — the MPI transport for descent's data-parallel fit (see descent_mpi.h). */
#include "descent_mpi.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dsc_mpi_comm {
    MPI_Comm comm; /* our duplicate: the library's traffic never meets the caller's */
    int rank, size;
    unsigned char *out; /* this rank's message since the last ALLGATHER */
    size_t out_len, out_cap;
    unsigned char *in; /* every rank's message, concatenated; malloc'd, so 16-aligned */
    size_t in_cap;
    uint64_t *sizes; /* per rank: message bytes, then the int counts MPI takes */
    int *counts, *displs;
    dsc_mpi_stats stats;
    int trace;   /* DESCENT_MPI_TRACE set: each rank prints each gather's sizes and times */
    int scan;    /* answer DSC_EXCHANGE_SCAN_QUERY: fold along the ranks (DESCENT_MPI_SCAN)  */
    double last; /* MPI_Wtime of the previous traced gather */
};

/* Grows *buf to at least need bytes (at least 8, so a zero-byte gather still returns a
 * non-NULL pointer). 0 on failure, with *buf untouched. */
static int grow(unsigned char **buf, size_t *cap, size_t need)
{
    if (need <= *cap && *buf != NULL) return 1;
    size_t c = *cap < 8 ? 8 : *cap;
    while (c < need) {
        if (c > SIZE_MAX / 2) return 0;
        c *= 2;
    }
    unsigned char *p = realloc(*buf, c);
    if (p == NULL) return 0;
    *buf = p;
    *cap = c;
    return 1;
}

dsc_mpi_comm *dsc_mpi_comm_create(MPI_Comm comm)
{
    dsc_mpi_comm *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    if (MPI_Comm_dup(comm, &c->comm) != MPI_SUCCESS) {
        free(c);
        return NULL;
    }
    /* An error inside a collective must come back to dsc_fit as NULL -> DSC_ERR_COMM; the
     * default handler would abort the job from inside the library's call. */
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
    const char *trace = getenv("DESCENT_MPI_TRACE");
    c->trace = trace != NULL && trace[0] != '\0' && trace[0] != '0';
    const char *scan = getenv("DESCENT_MPI_SCAN");
    c->scan = scan != NULL && scan[0] != '\0' && scan[0] != '0';
    c->last = MPI_Wtime();
    size_t n = (size_t)c->size;
    c->sizes = malloc(n * sizeof *c->sizes);
    c->counts = malloc(n * sizeof *c->counts);
    c->displs = malloc(n * sizeof *c->displs);
    /* A gradient record of a few dozen parameters fits without any realloc mid-fit. */
    if (c->sizes == NULL || c->counts == NULL || c->displs == NULL ||
        !grow(&c->out, &c->out_cap, 4096) || !grow(&c->in, &c->in_cap, 4096 * n)) {
        dsc_mpi_comm_destroy(c);
        return NULL;
    }
    return c;
}

void dsc_mpi_comm_destroy(dsc_mpi_comm *c)
{
    if (c == NULL) return;
    if (c->comm != MPI_COMM_NULL) MPI_Comm_free(&c->comm);
    free(c->out);
    free(c->in);
    free(c->sizes);
    free(c->counts);
    free(c->displs);
    free(c);
}

int dsc_mpi_rank(const dsc_mpi_comm *c) { return c->rank; }
int dsc_mpi_size(const dsc_mpi_comm *c) { return c->size; }
MPI_Comm dsc_mpi_handle(const dsc_mpi_comm *c) { return c->comm; }

static const void *allgather(dsc_mpi_comm *c, size_t *out_bytes)
{
    uint64_t mine = c->out_len;
    c->out_len = 0; /* the message is consumed whatever happens next */
    double entered = c->trace ? MPI_Wtime() : 0.0;
    c->stats.allgathers++;
    if (mine > c->stats.max_message) c->stats.max_message = mine;
    if (MPI_Allgather(&mine, 1, MPI_UINT64_T, c->sizes, 1, MPI_UINT64_T, c->comm) !=
        MPI_SUCCESS)
        return NULL;
    /* MPI counts and displacements are int. Every rank holds the same sizes here, so every
     * rank refuses the same gather and no rank is left waiting in Allgatherv. */
    uint64_t total = 0;
    for (int r = 0; r < c->size; r++) {
        if (c->sizes[r] > (uint64_t)INT_MAX - total) return NULL;
        c->counts[r] = (int)c->sizes[r];
        c->displs[r] = (int)total;
        total += c->sizes[r];
    }
    if (!grow(&c->in, &c->in_cap, (size_t)total)) return NULL;
    if (MPI_Allgatherv(c->out, (int)mine, MPI_BYTE, c->in, c->counts, c->displs, MPI_BYTE,
                       c->comm) != MPI_SUCCESS)
        return NULL;
    c->stats.bytes_appended += mine;
    c->stats.bytes_gathered += total;
    if (c->trace) {
        double now = MPI_Wtime();
        fprintf(stderr,
                "descent_mpi: rank %d allgather %llu: sent %llu bytes, received %llu; %.3f ms "
                "computing since the previous one, %.3f ms in MPI\n",
                c->rank, (unsigned long long)c->stats.allgathers, (unsigned long long)mine,
                (unsigned long long)total, 1e3 * (entered - c->last), 1e3 * (now - entered));
        c->last = now;
    }
    if (out_bytes != NULL) *out_bytes = (size_t)total;
    return c->in;
}

/* The tag of the ordered pass's messages; MPI keeps messages between two ranks in order. */
#define DSC_MPI_TAG 0x6473

/* RECV_PREV: rank r-1's message (none on rank 0), then this rank's own appends. */
static const void *recv_prev(dsc_mpi_comm *c, size_t *out_bytes)
{
    size_t got = 0;
    if (c->rank > 0) {
        MPI_Status st;
        int count = 0;
        if (MPI_Probe(c->rank - 1, DSC_MPI_TAG, c->comm, &st) != MPI_SUCCESS ||
            MPI_Get_count(&st, MPI_BYTE, &count) != MPI_SUCCESS || count < 0 ||
            !grow(&c->in, &c->in_cap, (size_t)count + c->out_len))
            return NULL;
        if (MPI_Recv(c->in, count, MPI_BYTE, c->rank - 1, DSC_MPI_TAG, c->comm, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
            return NULL;
        got = (size_t)count;
        c->stats.bytes_gathered += got;
    } else if (!grow(&c->in, &c->in_cap, c->out_len)) {
        return NULL;
    }
    if (c->out_len) memcpy(c->in + got, c->out, c->out_len);
    if (out_bytes != NULL) *out_bytes = got + c->out_len;
    c->out_len = 0; /* kept here, never sent */
    return c->in;
}

/* PASS_ON: this rank's appends to rank r+1, then the last rank's message to everyone. */
static const void *pass_on(dsc_mpi_comm *c, size_t *out_bytes)
{
    const int last = c->size - 1;
    c->stats.passes++;
    if (c->out_len > (size_t)INT_MAX) return NULL;
    if (c->rank < last) {
        c->stats.bytes_appended += c->out_len;
        if (MPI_Send(c->out, (int)c->out_len, MPI_BYTE, c->rank + 1, DSC_MPI_TAG, c->comm) !=
            MPI_SUCCESS)
            return NULL;
    }
    uint64_t len = c->out_len;
    if (MPI_Bcast(&len, 1, MPI_UINT64_T, last, c->comm) != MPI_SUCCESS || len > (uint64_t)INT_MAX ||
        !grow(&c->in, &c->in_cap, (size_t)len))
        return NULL;
    if (c->rank == last && len) memcpy(c->in, c->out, (size_t)len);
    c->out_len = 0;
    if (MPI_Bcast(c->in, (int)len, MPI_BYTE, last, c->comm) != MPI_SUCCESS) return NULL;
    if (c->rank != last) c->stats.bytes_gathered += len;
    if (out_bytes != NULL) *out_bytes = (size_t)len;
    return c->in;
}

const void *dsc_mpi_exchange(void *comm, const void *data, size_t bytes, uint32_t op,
                             size_t *out_bytes)
{
    dsc_mpi_comm *c = comm;
    if (c == NULL) return NULL;
    if (op == DSC_EXCHANGE_APPEND) {
        if (bytes == 0) return c;
        if (data == NULL || bytes > SIZE_MAX - c->out_len ||
            !grow(&c->out, &c->out_cap, c->out_len + bytes))
            return NULL;
        memcpy(c->out + c->out_len, data, bytes);
        c->out_len += bytes;
        c->stats.appends++;
        return c;
    }
    if (op == DSC_EXCHANGE_ALLGATHER) return allgather(c, out_bytes);
    if (op == DSC_EXCHANGE_SCAN_QUERY) return c->scan ? c : NULL;
    if (op == DSC_EXCHANGE_RECV_PREV) return recv_prev(c, out_bytes);
    if (op == DSC_EXCHANGE_PASS_ON) return pass_on(c, out_bytes);
    return NULL;
}

void dsc_mpi_attach(dsc_mpi_comm *c, dsc_config *cfg)
{
    cfg->exchange = dsc_mpi_exchange;
    cfg->comm = c;
    cfg->comm_rank = (uint32_t)c->rank;
}

dsc_status dsc_mpi_set_exchange(dsc_mpi_comm *c, dsc_model *m)
{
    if (c == NULL) return DSC_ERR_INVALID_ARGUMENT;
    return dsc_set_exchange(m, dsc_mpi_exchange, c, (uint32_t)c->rank);
}

dsc_status dsc_mpi_shard(uint64_t n_total, int rank, int size, uint64_t *row0, uint64_t *count)
{
    if (row0 == NULL || count == NULL || size < 1 || rank < 0 || rank >= size)
        return DSC_ERR_INVALID_ARGUMENT;
    const uint64_t C = DSC_CHUNK_ROWS;
    uint64_t chunks = n_total / C + (n_total % C != 0); /* the last may be partial */
    if (chunks < (uint64_t)size) return DSC_ERR_INVALID_ARGUMENT; /* a rank would be empty */
    uint64_t base = chunks / (uint64_t)size, extra = chunks % (uint64_t)size;
    uint64_t r = (uint64_t)rank;
    uint64_t first = r * base + (r < extra ? r : extra);
    uint64_t mine = base + (r < extra);
    uint64_t end = (first + mine) * C;
    *row0 = first * C;
    *count = (end < n_total ? end : n_total) - *row0;
    return DSC_OK;
}

dsc_status dsc_mpi_agree(dsc_mpi_comm *c, dsc_status local)
{
    if (c == NULL) return DSC_ERR_INVALID_ARGUMENT;
    int mine = (int)local, all = 0;
    if (MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, c->comm) != MPI_SUCCESS)
        return DSC_ERR_COMM;
    return (dsc_status)all;
}

void dsc_mpi_get_stats(const dsc_mpi_comm *c, dsc_mpi_stats *out) { *out = c->stats; }
void dsc_mpi_set_scan(dsc_mpi_comm *c, int on) { c->scan = on != 0; }
void dsc_mpi_reset_stats(dsc_mpi_comm *c) { memset(&c->stats, 0, sizeof c->stats); }
