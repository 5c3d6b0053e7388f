// Data-parallel training (config.exchange) without MPI: N threads play N ranks over an
// in-process allgather. A distributed fit must give the bits of one dsc_fit on the
// concatenated rows, for any N, for every full-batch solver; one rank's bad data must be every
// rank's status; a failed exchange must stop every rank with DSC_ERR_COMM.
// (ports/mpi runs the same checks across processes with mpirun.)
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

// An allgather across threads: every rank's message, concatenated in rank order; with `scan`,
// also the ordered pass (RECV_PREV / PASS_ON: a mailbox per rank and a broadcast).
struct Hub {
    explicit Hub(int n, bool s = false) : ranks(n), scan(s), slots(n), mail(n), has_mail(n, 0) {}
    int ranks;
    bool scan;
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::vector<unsigned char>> slots;
    std::vector<unsigned char> joined;
    int arrived = 0;
    uint64_t generation = 0;
    std::vector<std::vector<unsigned char>> mail;
    std::vector<char> has_mail;
    std::vector<unsigned char> last;  // the last rank's message of the latest PASS_ON
    uint64_t last_gen = 0;
};

struct Comm {
    Hub *hub;
    int rank;
    std::vector<unsigned char> out;
    std::vector<uint64_t> all;  // 8-byte aligned copy of the gathered bytes
    int fail_at = -1;           // collective (ALLGATHER or PASS_ON, 0-based) that returns NULL
    int calls = 0;
    size_t bytes_gathered = 0;  // bytes this rank received
    uint64_t seen_gen = 0;
};

// Returns `bytes` (copied 8-aligned into comm.all) or NULL when this call is the failing one.
const void *deliver(Comm &comm, const std::vector<unsigned char> &bytes, size_t *out_bytes, bool fail) {
    comm.all.assign(bytes.size() / 8 + 1, 0);
    if (!bytes.empty()) std::memcpy(comm.all.data(), bytes.data(), bytes.size());
    *out_bytes = bytes.size();
    return fail ? nullptr : comm.all.data();
}

const void *exchange(void *c, const void *data, size_t bytes, uint32_t op, size_t *out_bytes) {
    Comm &comm = *static_cast<Comm *>(c);
    if (op == DSC_EXCHANGE_APPEND) {
        const unsigned char *b = static_cast<const unsigned char *>(data);
        comm.out.insert(comm.out.end(), b, b + bytes);
        return &comm;
    }
    Hub &h = *comm.hub;
    if (op == DSC_EXCHANGE_SCAN_QUERY) return h.scan ? &comm : nullptr;
    if (op == DSC_EXCHANGE_RECV_PREV) {
        REQUIRE(h.scan);
        std::vector<unsigned char> got;
        if (comm.rank > 0) {
            std::unique_lock<std::mutex> lk(h.mu);
            h.cv.wait(lk, [&] { return h.has_mail[comm.rank] != 0; });
            got.swap(h.mail[comm.rank]);
            h.has_mail[comm.rank] = 0;
            comm.bytes_gathered += got.size();
        }
        got.insert(got.end(), comm.out.begin(), comm.out.end());
        comm.out.clear();
        return deliver(comm, got, out_bytes, false);
    }
    if (op == DSC_EXCHANGE_PASS_ON) {
        REQUIRE(h.scan);
        const bool fail = comm.calls++ == comm.fail_at;
        std::unique_lock<std::mutex> lk(h.mu);
        if (comm.rank + 1 < h.ranks) {
            h.mail[comm.rank + 1] = std::move(comm.out);
            h.has_mail[comm.rank + 1] = 1;
        } else {
            h.last = std::move(comm.out);
            ++h.last_gen;
        }
        comm.out.clear();
        h.cv.notify_all();
        h.cv.wait(lk, [&] { return h.last_gen > comm.seen_gen; });
        comm.seen_gen = h.last_gen;
        comm.bytes_gathered += h.last.size();
        return deliver(comm, h.last, out_bytes, fail);
    }
    REQUIRE(op == DSC_EXCHANGE_ALLGATHER);
    const bool fail = comm.calls++ == comm.fail_at;
    std::unique_lock<std::mutex> lk(h.mu);
    h.slots[comm.rank] = std::move(comm.out);
    comm.out.clear();
    const uint64_t gen = h.generation;
    if (++h.arrived == h.ranks) {
        h.joined.clear();
        for (auto &s : h.slots) h.joined.insert(h.joined.end(), s.begin(), s.end());
        h.arrived = 0;
        ++h.generation;
        h.cv.notify_all();
    } else {
        h.cv.wait(lk, [&] { return h.generation != gen; });
    }
    comm.bytes_gathered += h.joined.size();
    return deliver(comm, h.joined, out_bytes, fail);
}

// A parallel_for without threads, tasks in reverse order.
void reverse_for(void *, uint32_t n, dsc_task_fn task, void *arg) {
    for (uint32_t i = n; i-- > 0;) task(arg, i);
}

// Physical-unit columns: a pressure near 1e5, a strain near 1e-3, an uncentred offset, two
// nearly collinear channels, a plain one.
dsct::Data physical(size_t n, bool logistic, uint64_t seed) {
    dsct::Rng r(seed);
    dsct::Data d;
    d.n = n;
    const size_t c = 6;
    d.X.resize(n * c);
    d.y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        float *x = &d.X[i * c];
        const double a = r.normal();
        x[0] = (float)(1.0e5 + 2.0e3 * r.normal());
        x[1] = (float)(1.0e-3 * (1.0 + 0.2 * r.normal()));
        x[2] = (float)(250.0 + 3.0 * r.normal());
        x[3] = (float)a;
        x[4] = (float)(a + 1e-2 * r.normal());
        x[5] = (float)r.normal();
        const double t = 3e-5 * (x[0] - 1e5) + 800.0 * (x[1] - 1e-3) + 0.3 * (x[2] - 250.0) +
                         0.7 * x[3] - 0.2 * x[4] + 0.5 * x[5] + 1.5;
        d.y[i] = logistic ? (r.uniform() < 1.0 / (1.0 + std::exp(-t)) ? 1.0f : 0.0f)
                          : (float)(t + 0.1 * r.normal());
    }
    return d;
}

struct Result {
    dsc_status status = DSC_ERR_INVALID_ARGUMENT;
    dsc_fit_report rep{};
    std::vector<unsigned char> blob;
    std::vector<float> params;
    size_t bytes_gathered = 0;
};

Result finish(dsct::Model &m, dsc_status s, const dsc_fit_report &rep) {
    Result r;
    r.status = s;
    r.rep = rep;
    r.params = m.params();
    r.blob.resize(dsc_save_size(m.m));
    size_t w = 0;
    REQUIRE(dsc_save(m.m, r.blob.data(), r.blob.size(), &w) == DSC_OK);
    return r;
}

Result single(const dsc_config &cfg, const dsct::Data &d) {
    dsct::Model m(cfg);
    REQUIRE(m.status == DSC_OK);
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m.m, d.X.data(), d.y.data(), d.n, &rep);
    return finish(m, s, rep);
}

// Rank r gets rows [bounds[r], bounds[r + 1]).
std::vector<size_t> chunk_shards(size_t n, int ranks) {
    const size_t chunks = (n + DSC_CHUNK_ROWS - 1) / DSC_CHUNK_ROWS;
    std::vector<size_t> b(ranks + 1, 0);
    for (int r = 1; r < ranks; ++r) b[r] = std::min(n, chunks * r / ranks * DSC_CHUNK_ROWS);
    b[ranks] = n;
    return b;
}

// Every rank fits its shard on its own thread. tweak(rank, cfg, X) may change a rank's setup.
template <class Tweak>
std::vector<Result> distributed(const dsc_config &cfg, const dsct::Data &d,
                                const std::vector<size_t> &bounds, Tweak tweak, bool scan = false) {
    const int ranks = (int)bounds.size() - 1;
    Hub hub(ranks, scan);
    std::vector<Result> out(ranks);
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r) {
        threads.emplace_back([&, r] {
            Comm comm{&hub, r, {}, {}, -1, 0, 0, 0};
            dsc_config c = cfg;
            c.exchange = exchange;
            c.comm = &comm;
            c.comm_rank = (uint32_t)r;
            std::vector<float> X(d.X.begin() + bounds[r] * 6, d.X.begin() + bounds[r + 1] * 6);
            std::vector<float> y(d.y.begin() + bounds[r], d.y.begin() + bounds[r + 1]);
            tweak(r, c, X, comm);
            dsct::Model m(c);
            if (m.status != DSC_OK) return;  // REQUIRE off the main thread: checked below
            dsc_fit_report rep;
            const dsc_status s = dsc_fit(m.m, X.data(), y.data(), y.size(), &rep);
            out[r] = finish(m, s, rep);
            out[r].bytes_gathered = comm.bytes_gathered;
        });
    }
    for (auto &t : threads) t.join();
    return out;
}

std::vector<Result> distributed(const dsc_config &cfg, const dsct::Data &d, int ranks,
                                bool scan = false) {
    return distributed(cfg, d, chunk_shards(d.n, ranks),
                       [](int, dsc_config &, std::vector<float> &, Comm &) {}, scan);
}

void check_same(const Result &a, const Result &ref) {
    CHECK(a.status == ref.status);
    CHECK(a.blob == ref.blob);
    CHECK(a.rep.epochs_run == ref.rep.epochs_run);
    CHECK(a.rep.stop_reason == ref.rep.stop_reason);
    CHECK(a.rep.steps == ref.rep.steps);
    CHECK(a.rep.converged == ref.rep.converged);
    CHECK(std::memcmp(&a.rep.final_loss, &ref.rep.final_loss, sizeof(float)) == 0);
    CHECK(std::memcmp(&a.rep.lr, &ref.rep.lr, sizeof(float)) == 0);
}

const size_t kRows = 5 * DSC_CHUNK_ROWS + 777;

}  // namespace

TEST_CASE("threads: distributed full-batch fits are bit-identical to one dsc_fit, for 1-4 ranks") {
    struct Case {
        const char *name;
        dsc_model_kind kind;
        uint32_t solver, standardize;
        float lr;
        uint32_t epochs;
    };
    const Case cases[] = {
        {"linear defaults (standardized NEWTON)", DSC_LINEAR, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 0.0f, 1000},
        {"logistic defaults (NEWTON)", DSC_LOGISTIC, DSC_SOLVER_AUTO, DSC_STANDARDIZE_AUTO, 0.0f, 1000},
        {"linear GD, automatic rate, standardized", DSC_LINEAR, DSC_SOLVER_GD, DSC_STANDARDIZE_AUTO, 0.0f, 40},
        {"logistic GD, explicit lr, standardized", DSC_LOGISTIC, DSC_SOLVER_GD, DSC_STANDARDIZE_ON, 0.5f, 30},
        {"linear GD, explicit lr, raw features", DSC_LINEAR, DSC_SOLVER_GD, DSC_STANDARDIZE_OFF, 1e-11f, 20},
    };
    for (const Case &c : cases) {
        SUBCASE(c.name) {
            const dsct::Data d = physical(kRows, c.kind == DSC_LOGISTIC, 7);
            dsc_config cfg;
            dsc_config_init(&cfg, c.kind, 6);
            cfg.solver = c.solver;
            cfg.standardize = c.standardize;
            cfg.lr = c.lr;
            cfg.max_epochs = c.epochs;
            const Result ref = single(cfg, d);
            REQUIRE(ref.status == DSC_OK);
            for (int ranks = 1; ranks <= 4; ++ranks) {
                CAPTURE(ranks);
                const std::vector<Result> got = distributed(cfg, d, ranks);
                // Each rank's chunks on a (reverse-order) pool: the same records.
                dsc_config pooled = cfg;
                pooled.parallel_for = reverse_for;
                pooled.max_tasks = 2;
                for (const Result &r : distributed(pooled, d, ranks)) check_same(r, ref);
                // The fold along the ranks (RECV_PREV / PASS_ON): the same bits, and from the
                // third rank on each rank receives less than the one-record-per-chunk gather.
                const std::vector<Result> scanned = distributed(cfg, d, ranks, true);
                for (int r = 0; r < ranks; ++r) {
                    check_same(scanned[r], ref);
                    if (ranks >= 3) CHECK(scanned[r].bytes_gathered < got[r].bytes_gathered);
                }
                for (const Result &r : got) {
                    check_same(r, ref);
                    CHECK(r.bytes_gathered > 0);  // the fit really went through the exchange
                }
            }
        }
    }
}

TEST_CASE("threads: distributed minibatch SGD: one rank is dsc_fit, reruns repeat, more ranks stay close") {
    const dsct::Data d = physical(kRows, false, 11);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 6);
    cfg.batch_size = 64;
    cfg.momentum = 0.9f;
    cfg.lr = 0.002f;
    cfg.standardize = DSC_STANDARDIZE_ON;
    cfg.max_epochs = 2;
    const Result ref = single(cfg, d);
    REQUIRE(ref.status == DSC_OK);
    check_same(distributed(cfg, d, 1)[0], ref);
    for (int ranks = 2; ranks <= 4; ++ranks) {
        CAPTURE(ranks);
        const std::vector<Result> a = distributed(cfg, d, ranks), b = distributed(cfg, d, ranks);
        double worst = 0.0;
        for (int r = 0; r < ranks; ++r) {
            CHECK(a[r].blob == b[r].blob);
            CHECK(a[r].blob == a[0].blob);
            for (size_t j = 0; j < ref.params.size(); ++j)
                worst = std::max(worst, (double)std::fabs(a[r].params[j] - ref.params[j]) /
                                            (1e-3 + std::fabs(ref.params[j])));
        }
        MESSAGE("minibatch, " << ranks << " ranks: max relative parameter difference " << worst);
        CHECK(worst < 1e-4);
        // Along the ranks the per-rank sums fold in the same rank order: the same bits.
        for (const Result &r : distributed(cfg, d, ranks, true)) CHECK(r.blob == a[0].blob);
    }
}

TEST_CASE("threads: distributed fit: one rank's bad data or shard is every rank's status, nothing changes") {
    const dsct::Data d = physical(kRows, false, 3);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 6);
    Result before;  // a new model: all-zero parameters
    before.params.assign(7, 0.0f);
    SUBCASE("a NaN in rank 1's rows") {
        const auto got = distributed(cfg, d, chunk_shards(d.n, 3),
                                     [](int r, dsc_config &, std::vector<float> &X, Comm &) {
                                         if (r == 1) X[17] = NAN;
                                     });
        for (const Result &r : got) {
            CHECK(r.status == DSC_ERR_NONFINITE_INPUT);
            CHECK(r.params == before.params);
            CHECK(r.rep.message != nullptr);
        }
    }
    SUBCASE("shards not made of whole chunks") {
        const auto got = distributed(cfg, d, {0, 1000, d.n},
                                     [](int, dsc_config &, std::vector<float> &, Comm &) {});
        for (const Result &r : got) {
            CHECK(r.status == DSC_ERR_INVALID_ARGUMENT);
            CHECK(r.params == before.params);
        }
    }
    SUBCASE("models that differ between ranks") {
        const auto got = distributed(cfg, d, chunk_shards(d.n, 2),
                                     [](int r, dsc_config &c, std::vector<float> &, Comm &) {
                                         if (r == 1) c.weight_decay = 1e-3f;
                                     });
        for (const Result &r : got) {
            CHECK(r.status == DSC_ERR_COMM);
            CHECK(r.params == before.params);
        }
    }
    SUBCASE("ranks that are not 0..size-1") {
        const auto got = distributed(cfg, d, chunk_shards(d.n, 2),
                                     [](int, dsc_config &c, std::vector<float> &, Comm &) { c.comm_rank = 0; });
        for (const Result &r : got) CHECK(r.status == DSC_ERR_COMM);
    }
}

TEST_CASE("threads: distributed fit: an exchange that fails mid-fit stops every rank with DSC_ERR_COMM") {
    const dsct::Data d = physical(kRows, false, 5);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 6);
    cfg.solver = DSC_SOLVER_GD;
    cfg.max_epochs = 30;
    // Every rank's transport fails at the same call (an MPI error is collective), here in the
    // middle of the GD epochs.
    for (bool scan : {false, true}) {
        CAPTURE(scan);
        const auto got = distributed(
            cfg, d, chunk_shards(d.n, 2),
            [](int, dsc_config &, std::vector<float> &, Comm &comm) { comm.fail_at = 25; }, scan);
        for (const Result &r : got) {
            CHECK(r.status == DSC_ERR_COMM);
            for (float p : r.params) CHECK(std::isfinite(p));
            CHECK(r.blob == got[0].blob);
        }
    }
}

TEST_CASE("distributed fit: config and API checks") {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 2);
    cfg.exchange = exchange;
    cfg.backend = DSC_BACKEND_CUDA;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.backend = DSC_BACKEND_AUTO;
    CHECK(dsc_check_config(&cfg) == nullptr);
    dsct::Model m(cfg);
    REQUIRE(m.status == DSC_OK);
    CHECK(dsc_set_exchange(nullptr, exchange, nullptr, 0) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_set_exchange(m.m, nullptr, nullptr, 3) == DSC_OK);
    dsc_config out;
    REQUIRE(dsc_get_config(m.m, &out) == DSC_OK);
    CHECK(!out.exchange);
    CHECK(out.comm_rank == 0);
    CHECK(std::string(dsc_status_string(DSC_ERR_COMM)).find("distributed") != std::string::npos);
    // Blobs carry no transport: a loaded model is local until dsc_set_exchange.
    std::vector<unsigned char> blob(dsc_save_size(m.m));
    size_t w;
    REQUIRE(dsc_set_exchange(m.m, exchange, &w, 1) == DSC_OK);
    REQUIRE(dsc_save(m.m, blob.data(), blob.size(), &w) == DSC_OK);
    std::vector<uint64_t> arena(dsc_arena_size(&cfg) / 8 + 1);
    dsc_model *l = nullptr;
    REQUIRE(dsc_load(blob.data(), blob.size(), arena.data(), arena.size() * 8, &l) == DSC_OK);
    REQUIRE(dsc_get_config(l, &out) == DSC_OK);
    CHECK(!out.exchange);
}
