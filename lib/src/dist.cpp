// Data-parallel training: the records a pass exchanges, their fold, and the agreement every
// rank reaches before a distributed fit changes anything. The transport is the caller's
// (cfg.exchange); this file only defines what goes through it. (DIST_READY)
//
// A record is a 16-byte head (key, rows) and a payload of doubles. Full-batch passes send one
// record per local chunk, keyed by its global chunk index; since every shard but the last holds
// whole chunks, the gathered records are exactly the chunks a single process would compute, in
// the same order, and folding them with the single process's additions gives the same bits.
#include <string.h>

#include "model.hpp"

namespace dsc {
#ifndef DESCENT_NO_DIST
namespace {

struct Head {
    uint64_t key;
    uint64_t rows;
};

// The start record's payload: this rank's status, model fingerprint, and whether its transport
// can pass messages along the ranks.
struct Hello {
    uint32_t status;
    uint32_t fingerprint;
    uint32_t scan;
    uint32_t pad;
};

// The key of a record that carries the fold of every record before it (along the ranks): the
// top bit, above any chunk index or rank, and the key the next record must have.
constexpr uint64_t kFoldKey = 1ull << 63;

bool fail(dsc_model *m) {
    m->comm_flags |= kCommFailed;
    return false;
}

// What must be equal on every rank for the ranks to take the same steps: the training config
// (host-side fields and the kernel path aside: ranks may run different ISAs, their records are
// folded identically everywhere), the parameters and the whole training state.
uint32_t fingerprint(const dsc_model *m) {
    dsc_config c = m->cfg;
    c.backend = 0;
    c.on_epoch = nullptr;
    c.user = nullptr;
    c.parallel_for = nullptr;
    c.pool = nullptr;
    c.max_tasks = 0;
    c.cuda_arena = nullptr;
    c.cuda_arena_bytes = 0;
    c.cuda_max_samples = 0;
    c.cuda_device = 0;
    c.exchange = nullptr;
    c.comm = nullptr;
    c.comm_rank = 0;
    const uint32_t p = m->n_params;
    uint32_t h = crc32(&c, sizeof c, 0);
    h = crc32(params(m), p * sizeof(float), h);
    if (const float *v = at<float>(m, m->lay.velocity)) h = crc32(v, p * sizeof(float), h);
    h = crc32(&m->st, sizeof m->st, h);
    h = crc32(&m->has_stats, sizeof m->has_stats, h);
    h = crc32(&m->damping, sizeof m->damping, h);
    if (standardized(m) && m->has_stats) {
        h = crc32(train_params(m), p * sizeof(float), h);
        h = crc32(at<double>(m, m->lay.shift), m->cfg.n_features * sizeof(double), h);
        h = crc32(at<double>(m, m->lay.inv_scale), m->cfg.n_features * sizeof(double), h);
    }
    return h;
}

const unsigned char *gather(dsc_model *m, size_t *len, uint32_t op = DSC_EXCHANGE_ALLGATHER) {
    if (comm_failed(m)) return nullptr;
    *len = 0;
    const void *all = m->cfg.exchange(m->cfg.comm, nullptr, 0, op, len);
    // Records are read as doubles in place: the exchange promises 8-byte alignment.
    if (!all || reinterpret_cast<uintptr_t>(all) % 8 != 0) {
        fail(m);
        return nullptr;
    }
    return static_cast<const unsigned char *>(all);
}

}  // namespace

void dist_emit(dsc_model *m, uint64_t key, uint64_t rows, const Segment *seg, uint32_t n_seg) {
    if (comm_failed(m)) return;
    const Head h = {key, rows};
    size_t unused = 0;
    if (!m->cfg.exchange(m->cfg.comm, &h, sizeof h, DSC_EXCHANGE_APPEND, &unused)) {
        fail(m);
        return;
    }
    for (uint32_t i = 0; i < n_seg; ++i) {
        if (seg[i].bytes == 0) continue;
        if (!m->cfg.exchange(m->cfg.comm, seg[i].data, seg[i].bytes, DSC_EXCHANGE_APPEND, &unused)) {
            fail(m);
            return;
        }
    }
}

namespace {

// The fold along the ranks: the fold of the earlier ranks (if any) and this rank's records,
// passed on as one record; every rank then takes the last rank's.
bool scan_fold(dsc_model *m, size_t payload, bool chunk_keys, FoldFn fold, StateFn state,
               void *ctx) {
    const size_t rec = sizeof(Head) + payload;
    size_t len;
    const unsigned char *b = gather(m, &len, DSC_EXCHANGE_RECV_PREV);
    if (!b || len % rec != 0) return fail(m);
    const size_t count = len / rec;
    size_t folded = 0;
    uint64_t next = 0, rows = 0;
    for (size_t i = 0; i < count; ++i) {
        Head h;
        memcpy(&h, b + i * rec, sizeof h);
        const bool carried = (h.key & kFoldKey) != 0;
        const uint64_t key = h.key & ~kFoldKey;
        // Only the first record may carry a fold; a chunk must be the one the fold expects.
        if ((carried && i != 0) || (chunk_keys && !carried && key != next) ||
            (!chunk_keys && !carried && folded && key < next))
            return fail(m);
        fold(ctx, folded++, h.rows, reinterpret_cast<const double *>(b + i * rec + sizeof(Head)));
        next = carried ? key : key + 1;
        rows += h.rows;
    }
    Segment seg[4];
    if (folded) dist_emit(m, kFoldKey | next, rows, seg, state(ctx, seg));
    b = gather(m, &len, DSC_EXCHANGE_PASS_ON);
    Head h;
    if (!b || len != rec) return fail(m);
    memcpy(&h, b, sizeof h);
    if (!(h.key & kFoldKey) ||
        (chunk_keys && ((h.key & ~kFoldKey) != (m->rows_total + kChunkRows - 1) / kChunkRows ||
                        h.rows != m->rows_total)))
        return fail(m);
    fold(ctx, 0, h.rows, reinterpret_cast<const double *>(b + sizeof(Head)));
    return true;
}

}  // namespace

bool dist_gather(dsc_model *m, size_t payload, bool chunk_keys, FoldFn fold, StateFn state,
                 void *ctx) {
    if (m->comm_flags & kCommScan) return scan_fold(m, payload, chunk_keys, fold, state, ctx);
    size_t len;
    const unsigned char *b = gather(m, &len);
    if (!b) return false;
    const size_t rec = sizeof(Head) + payload;
    const size_t count = len / rec;
    bool ok = len % rec == 0 && count > 0;
    if (chunk_keys) ok = ok && count == (m->rows_total + kChunkRows - 1) / kChunkRows;
    uint64_t prev = 0;
    for (size_t i = 0; ok && i < count; ++i) {
        Head h;
        memcpy(&h, b + i * rec, sizeof h);
        ok = chunk_keys ? h.key == i : (i == 0 || h.key > prev);
        prev = h.key;
    }
    if (!ok) {  // the ranks disagree about the pass: nothing can be trusted from here on
        fail(m);
        return false;
    }
    for (size_t i = 0; i < count; ++i) {
        Head h;
        memcpy(&h, b + i * rec, sizeof h);
        fold(ctx, i, h.rows, reinterpret_cast<const double *>(b + i * rec + sizeof(Head)));
    }
    return true;
}

dsc_status dist_start(dsc_model *m, dsc_status local, size_t n, const char **msg) {
    m->comm_flags = 0;
    size_t unused = 0;
    const bool scan =
        m->cfg.exchange(m->cfg.comm, nullptr, 0, DSC_EXCHANGE_SCAN_QUERY, &unused) != nullptr;
    const Hello mine = {(uint32_t)local, fingerprint(m), scan ? 1u : 0u, 0u};
    const Segment seg = {&mine, sizeof mine};
    dist_emit(m, m->cfg.comm_rank, local == DSC_OK ? n : 0, &seg, 1);
    size_t len;
    const unsigned char *b = gather(m, &len);
    const size_t rec = sizeof(Head) + sizeof(Hello);
    if (!b || len % rec != 0 || len / rec <= m->cfg.comm_rank) {
        m->comm_flags = 0;
        *msg = "distributed fit: the exchange failed before training started (nothing changed)";
        return DSC_ERR_COMM;
    }
    const size_t ranks = len / rec;
    uint64_t total = 0, row0 = 0;
    dsc_status first_bad = DSC_OK;
    bool keys = true, same = true, aligned = true, all_scan = true;
    for (size_t i = 0; i < ranks; ++i) {
        Head h;
        Hello hello;
        memcpy(&h, b + i * rec, sizeof h);
        memcpy(&hello, b + i * rec + sizeof h, sizeof hello);
        keys = keys && h.key == i;
        same = same && hello.fingerprint == mine.fingerprint;
        all_scan = all_scan && hello.scan == 1u;
        if (first_bad == DSC_OK && hello.status != DSC_OK) first_bad = (dsc_status)hello.status;
        if (i < ranks - 1 && h.rows % kChunkRows != 0) aligned = false;
        if (i == m->cfg.comm_rank) row0 = total;
        total += h.rows;
    }
    // Every rank reaches the same verdict from the same records.
    if (first_bad != DSC_OK) {
        if (local == DSC_OK)
            *msg = "distributed fit: another rank's call failed (its data or arguments; that "
                   "rank's status is returned here); nothing was changed";
        return first_bad;
    }
    if (!keys) {
        *msg = "distributed fit: config.comm_rank must be 0, 1, .., size - 1 in the exchange's "
               "rank order";
        return DSC_ERR_COMM;
    }
    if (!same) {
        *msg = "distributed fit: the ranks' models differ (config, parameters or training "
               "state); create every rank's model alike";
        return DSC_ERR_COMM;
    }
    if (!aligned) {
        *msg = "distributed fit: every shard but the last must hold a multiple of "
               "DSC_CHUNK_ROWS (16384) rows";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    // Shuffled row indices are 32-bit over the whole data set, and a 32-bit host counts the
    // rows in size_t.
    constexpr uint64_t kMaxRows = (uint64_t)SIZE_MAX < 0xFFFFFFFFull ? (uint64_t)SIZE_MAX : 0xFFFFFFFFull;
    if (total > kMaxRows) {
        *msg = "distributed fit: more than 2^32 - 1 rows in all";
        return DSC_ERR_INVALID_ARGUMENT;
    }
    m->rows_total = total;
    m->row0 = row0;
    // Along the ranks only when every rank's transport can (a single rank gathers its own).
    if (all_scan && ranks > 1) m->comm_flags = kCommScan;
    return DSC_OK;
}

#else  // DESCENT_DIST=OFF: check_config refuses config.exchange, so none of this is reached
void dist_emit(dsc_model *, uint64_t, uint64_t, const Segment *, uint32_t) {}
bool dist_gather(dsc_model *, size_t, bool, FoldFn, StateFn, void *) { return false; }
dsc_status dist_start(dsc_model *, dsc_status, size_t, const char **) { return DSC_ERR_UNSUPPORTED; }
#endif

}  // namespace dsc
