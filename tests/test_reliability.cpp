// Reliability guarantees (README "Guarantees"), each tested here or named where it is tested:
//   - fuzz-found bugs, replayed as regression tests (the inputs are minimised by hand from the
//     crashing fuzz cases; the raw inputs are in tests/fuzz/corpus/*/regression-*);
//   - CPU-dispatch initialisation when many threads create models at once, one model predicted
//     from many threads at once, models of every kind trained concurrently (test names start
//     with "threads: " so the TSan preset runs them);
//   - determinism: bit-identical parameters and blobs run to run, whatever the alignment of the
//     arena and the data, and process to process (ctest runs the digest case in two processes
//     and compares their output files, tests/CMakeLists.txt);
//   - divergence under every schedule and optimizer stops with DSC_ERR_DIVERGED and the last
//     finite parameters (tests/test_api.cpp covers the constant schedule in depth).
#include <doctest/doctest.h>

#include <atomic>
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "kernels.h"
#include "test_support.hpp"

namespace {

using dsct::bits_equal;

std::vector<unsigned char> save_blob(const dsc_model *m) {
    std::vector<unsigned char> b(dsc_save_size(m));
    size_t written = 0;
    REQUIRE(!b.empty());
    REQUIRE(dsc_save(m, b.data(), b.size(), &written) == DSC_OK);
    REQUIRE(written == b.size());
    return b;
}

// Loads a blob into `arena`; the status of dsc_load_arena_size, then of dsc_load.
dsc_status reload(const std::vector<unsigned char> &blob, std::vector<uint64_t> *arena,
                  dsc_model **out) {
    size_t need = 0;
    const dsc_status s = dsc_load_arena_size(blob.data(), blob.size(), &need);
    if (s != DSC_OK) return s;
    arena->assign(need / 8 + 1, 0);
    return dsc_load(blob.data(), blob.size(), arena->data(), need, out);
}

std::vector<float> params_of(const dsc_model *m) {
    std::vector<float> p(dsc_param_count(m));
    REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
    return p;
}

bool all_finite(const std::vector<float> &v) {
    for (float x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

const dsc_backend kAllPaths[] = {DSC_BACKEND_SCALAR, DSC_BACKEND_SSE2, DSC_BACKEND_AVX2,
                                 DSC_BACKEND_AVX512, DSC_BACKEND_NEON};

}  // namespace

// =============================================================================================
// 1. Bugs found by the fuzz targets (tests/fuzz), as regression tests. Every blob dsc_save
//    writes must load back (descent.h: "any blob written by dsc_save loads").
// =============================================================================================

TEST_CASE("reliability: a model saved after a second tolerance-stopped fit loads back") {
    // fuzz_fit: a fit stopped by n_iter_no_change leaves no_improve == n_iter_no_change; the
    // next fit adds one more before it stops again, dsc_save writes no_improve = 3 with
    // n_iter_no_change = 2, and the loader rejects that (blob.cpp, st.no_improve >
    // c.n_iter_no_change). Same after the adaptive schedule's lr floor.
    for (uint32_t schedule : {(uint32_t)DSC_LR_CONSTANT, (uint32_t)DSC_LR_ADAPTIVE}) {
        CAPTURE(schedule);
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 1);
        c.lr = 0.1f;
        c.tol = 1e9f;  // no epoch ever improves by this much
        c.n_iter_no_change = 2;
        c.schedule = schedule;
        dsct::Model m(c);
        REQUIRE(m.status == DSC_OK);
        const float X[2] = {1.0f, 2.0f}, y[2] = {1.0f, 2.0f};
        for (int fit = 1; fit <= 2; ++fit) {
            CAPTURE(fit);
            dsc_fit_report rep;
            REQUIRE(dsc_fit(m.m, X, y, 2, &rep) == DSC_OK);
            CHECK(rep.stop_reason == (uint32_t)(schedule == DSC_LR_ADAPTIVE ? DSC_STOP_LR_MIN
                                                                            : DSC_STOP_TOLERANCE));
            const std::vector<unsigned char> blob = save_blob(m.m);
            std::vector<uint64_t> arena;
            dsc_model *l = nullptr;
            CHECK(reload(blob, &arena, &l) == DSC_OK);
        }
    }
}

TEST_CASE("reliability: a model whose lr is above 3.4e38 saves a blob that loads back") {
    // fuzz_fit: dsc_create accepts any finite lr; the loader refuses a training-state lr above
    // 3.4e38f (blob.cpp), so lr = FLT_MAX gives a model whose own blob does not load.
    for (float lr : {3.4e38f, std::nextafter(3.4e38f, INFINITY), FLT_MAX}) {
        CAPTURE(lr);
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 1);
        c.lr = lr;
        dsct::Model m(c);
        REQUIRE(m.status == DSC_OK);
        const std::vector<unsigned char> blob = save_blob(m.m);
        std::vector<uint64_t> arena;
        dsc_model *l = nullptr;
        CHECK(reload(blob, &arena, &l) == DSC_OK);
    }
}

TEST_CASE("reliability: the automatic learning rate is finite and the model reloads") {
    // fuzz_fit: lr = 0 with x = +-1e23 overflows the power iteration, which gives up with
    // lambda = 0; L is then weight_decay alone (1e-39), and auto_lr returns (float)(1 / L) =
    // +Inf. The fit diverges (acceptable), but reports lr_initial = +Inf and leaves
    // st.lr = +Inf in the model, whose blob then does not load.
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 1);
    c.weight_decay = 1e-39f;
    c.max_epochs = 1;
    dsct::Model m(c);
    REQUIRE(m.status == DSC_OK);
    const float X[2] = {1e23f, -1e23f}, y[2] = {0.0f, 0.0f};
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m.m, X, y, 2, &rep);
    CHECK((s == DSC_OK || s == DSC_ERR_DIVERGED));
    CHECK(std::isfinite(rep.lr_initial));
    CHECK(all_finite(params_of(m.m)));
    const std::vector<unsigned char> blob = save_blob(m.m);
    std::vector<uint64_t> arena;
    dsc_model *l = nullptr;
    CHECK(reload(blob, &arena, &l) == DSC_OK);
}

TEST_CASE("reliability: LEGENDRE3 leaving its saddle on a near-constant column keeps finite parameters") {
    // fuzz_fit (CI): LEGENDRE3 under NEWTON with standardization starts from the saddle b = d = 0
    // and moves to d' = 0.5 in standardized coordinates. On a column whose spread is ~1e-44 the
    // raw d = 0.5 / std overflows float32, and that move skipped the finiteness check every
    // other update makes: the fit returned DSC_OK with d = +Inf.
    dsc_config c;
    dsc_config_init(&c, DSC_LEGENDRE3, 1);
    c.max_epochs = 4;
    c.reduction = DSC_REDUCTION_SUM;
    dsct::Model m(c);
    REQUIRE(m.status == DSC_OK);
    const float X[4] = {0.0f, 1e-44f, 0.0f, 1e-44f}, y[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m.m, X, y, 4, &rep);
    CHECK((s == DSC_OK || s == DSC_ERR_DIVERGED));
    CHECK(rep.solver == DSC_SOLVER_NEWTON);
    CHECK(rep.standardized == 1);
    CHECK(all_finite(params_of(m.m)));
    std::vector<uint64_t> arena;
    dsc_model *l = nullptr;
    CHECK(reload(save_blob(m.m), &arena, &l) == DSC_OK);
}

TEST_CASE("reliability: a pure L1 or pure L2 penalty on overflowing parameters saves a blob that loads") {
    // fuzz_fit (CI): with lr = 0 (automatic rate) and a penalty, the safeguard watches loss +
    // penalty. penalty_value computed alpha * (r * l1 + 0.5 * (1 - r) * l2); from parameters
    // near FLT_MAX the sum of squares overflows, and l1_ratio = 1 made that 0 * inf = NaN. The
    // NaN objective went into the blob, whose loader refuses a NaN prev_obj. A weight on a
    // column of zeros keeps the loss finite while its square overflows.
    for (uint32_t kind : {(uint32_t)DSC_LINEAR, (uint32_t)DSC_LOGISTIC}) {
        for (float ratio : {0.0f, 1.0f}) {
            CAPTURE(kind);
            CAPTURE(ratio);
            dsc_config c;
            dsc_config_init(&c, (dsc_model_kind)kind, 1);
            c.solver = DSC_SOLVER_GD;
            c.standardize = DSC_STANDARDIZE_OFF;
            c.alpha = 1e-4f;
            c.l1_ratio = ratio;
            c.max_epochs = 3;
            dsct::Model m(c);
            REQUIRE(m.status == DSC_OK);
            const float start[2] = {0.5f, 1e20f};
            REQUIRE(dsc_set_params(m.m, start, 2) == DSC_OK);
            const float X[4] = {0.0f, 0.0f, 0.0f, 0.0f}, y[4] = {0.0f, 1.0f, 0.0f, 1.0f};
            dsc_fit_report rep;
            const dsc_status s = dsc_fit(m.m, X, y, 4, &rep);
            CHECK((s == DSC_OK || s == DSC_ERR_DIVERGED));
            CHECK(all_finite(params_of(m.m)));
            const std::vector<unsigned char> blob = save_blob(m.m);
            std::vector<uint64_t> arena;
            dsc_model *l = nullptr;
            CHECK(reload(blob, &arena, &l) == DSC_OK);
        }
    }
}

TEST_CASE("reliability: SSE2 partial loads and stores never dereference a misaligned double") {
    // Found by the fuzz corpora replayed in the gcc ASan+UBSan build (tests/CMakeLists.txt,
    // fuzz_*_corpus): kernels/x86_sse2.cpp moves 2 floats with _mm_load_sd / _mm_store_sd
    // through reinterpret_cast<double *>(p). GCC's emmintrin.h implements them as a plain
    // `double` load/store (*__P), which is undefined behaviour for a p that is only 4-byte
    // aligned: UBSan reports "load of misaligned address ... for type 'const double'". (clang's
    // header goes through a packed, may_alias struct, so the clang fuzz build does not see it.)
    // Without UBSan this test passes whatever the code does; in the asan preset it fails until
    // the partial moves use an unaligned form (e.g. _mm_loadl_epi64 / _mm_storel_epi64, or memcpy).
    if (!dsc_backend_available(DSC_BACKEND_SSE2)) return;
    const dsc::KernelTable &k = *dsc::kernels_for(DSC_BACKEND_SSE2);
    alignas(16) float in[8] = {-0.5f, -1.0f, -2.0f, -3.0f, -4.0f, -5.0f, -6.0f, -7.0f};
    alignas(16) float out[8] = {};
    for (size_t n : {2u, 3u, 6u, 7u}) {
        CAPTURE(n);
        k.exp_neg(in + 1, out + 1, n);  // 4 mod 8: the tail of 2 or 3 floats is misaligned
        for (size_t i = 0; i < n; ++i) CHECK(out[1 + i] == doctest::Approx(std::exp(in[1 + i])));
    }
    // A 3-feature linear prediction: every row's tail of 3 floats, rows at odd float offsets.
    alignas(16) float X[9] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f, 9.0f};
    const float theta[4] = {0.5f, 1.0f, -1.0f, 2.0f};
    float pred[2] = {};
    k.linear_predict(X + 1, 2, 3, theta, 0, pred);
    CHECK(pred[0] == doctest::Approx(0.5f + 2.0f - 3.0f + 8.0f));
    CHECK(pred[1] == doctest::Approx(0.5f + 5.0f - 6.0f + 14.0f));
}

// =============================================================================================
// 2. Threads (run under ThreadSanitizer by the `tsan` preset: names start with "threads: ")
// =============================================================================================

TEST_CASE("threads: CPU dispatch is safe when 16 threads create 100 models each at once") {
    // Every dsc_create with the AUTO backend runs CPUID/XGETBV dispatch (and reads the
    // DESCENT_BACKEND override); nothing is cached, so there is nothing to race on. The answer
    // must be the same in every thread as in a single one.
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 4);
    cfg.backend = DSC_BACKEND_AUTO;
    const size_t need = dsc_arena_size(&cfg);
    REQUIRE(need > 0);
    std::string alone;
    {
        dsct::Model m(cfg);
        REQUIRE(m.status == DSC_OK);
        alone = dsc_backend_name(m.m);
    }
    constexpr int kThreads = 16, kModels = 100;
    std::vector<std::vector<uint64_t>> arenas(kThreads, std::vector<uint64_t>(need / 8 + 1));
    std::vector<int> mismatches(kThreads, 0), failures(kThreads, 0);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < kThreads) std::this_thread::yield();  // start together
            for (int i = 0; i < kModels; ++i) {
                dsc_model *m = nullptr;
                if (dsc_create(&cfg, arenas[t].data(), need, &m) != DSC_OK) {
                    ++failures[t];
                    continue;
                }
                if (alone != dsc_backend_name(m)) ++mismatches[t];
                if (dsc_backend_available(DSC_BACKEND_AUTO) != 1) ++failures[t];
            }
        });
    for (auto &t : ts) t.join();
    for (int t = 0; t < kThreads; ++t) {
        CAPTURE(t);
        CHECK(failures[t] == 0);
        CHECK(mismatches[t] == 0);
    }
}

namespace {

struct Trained {
    dsc_config cfg;
    dsct::Data d;
};

Trained trained_case(dsc_model_kind kind, uint32_t d) {
    Trained t;
    dsc_config_init(&t.cfg, kind, d);
    t.cfg.max_epochs = 30;
    if (kind == DSC_LOGISTIC) {
        t.d = dsct::logistic_data(3001, std::vector<double>(d, 0.7), 0.2, 41);
    } else {
        t.d = dsct::linear_data(3001, std::vector<double>(d, 0.5), 1.0, 0.1, 41);
        if (kind == DSC_POLYNOMIAL)
            for (size_t i = 0; i < t.d.n; ++i) t.d.y[i] = std::sin(t.d.X[i]);
    }
    return t;
}

// Everything a const call on a model gives, as bytes.
std::vector<unsigned char> read_everything(const dsc_model *m, const dsct::Data &d) {
    std::vector<unsigned char> out;
    auto put = [&out](const void *p, size_t n) {
        const unsigned char *b = static_cast<const unsigned char *>(p);
        out.insert(out.end(), b, b + n);
    };
    std::vector<float> v(d.n);
    dsc_status s = dsc_predict(m, d.X.data(), d.n, v.data());
    put(&s, sizeof s);
    put(v.data(), v.size() * 4);
    s = dsc_predict_logit(m, d.X.data(), d.n, v.data());
    put(&s, sizeof s);
    put(v.data(), v.size() * 4);
    s = dsc_predict_label(m, d.X.data(), d.n, v.data());
    put(&s, sizeof s);
    put(v.data(), v.size() * 4);
    float loss = 0.0f;
    s = dsc_loss(m, d.X.data(), d.y.data(), d.n, &loss);
    put(&s, sizeof s);
    put(&loss, sizeof loss);
    std::vector<float> p(dsc_param_count(m));
    dsc_get_params(m, p.data(), p.size());
    put(p.data(), p.size() * 4);
    std::vector<unsigned char> blob(dsc_save_size(m)), pblob(dsc_save_predictor_size(m));
    size_t w = 0;
    s = dsc_save(m, blob.data(), blob.size(), &w);
    put(&s, sizeof s);
    put(blob.data(), blob.size());
    s = dsc_save_predictor(m, pblob.data(), pblob.size(), &w);
    put(&s, sizeof s);
    put(pblob.data(), pblob.size());
    dsc_config c;
    dsc_get_config(m, &c);
    put(&c.kind, sizeof c.kind);
    const char *name = dsc_backend_name(m);
    put(name, std::strlen(name));
    return out;
}

}  // namespace

TEST_CASE("threads: one model is read (predict, loss, save) from many threads at once") {
    for (dsc_model_kind kind : {DSC_LINEAR, DSC_LOGISTIC, DSC_POLYNOMIAL}) {
        CAPTURE(kind);
        const Trained t = trained_case(kind, kind == DSC_POLYNOMIAL ? 1 : 6);
        dsct::Model m(t.cfg);
        REQUIRE(m.status == DSC_OK);
        REQUIRE(dsc_fit(m.m, t.d.X.data(), t.d.y.data(), t.d.n, nullptr) == DSC_OK);
        const std::vector<unsigned char> ref = read_everything(m.m, t.d);
        constexpr int kThreads = 8, kRounds = 5;
        std::vector<int> diffs(kThreads, 0);
        std::vector<std::thread> ts;
        const dsc_model *shared = m.m;
        for (int i = 0; i < kThreads; ++i)
            ts.emplace_back([&, i] {
                for (int r = 0; r < kRounds; ++r)
                    if (read_everything(shared, t.d) != ref) ++diffs[i];
            });
        for (auto &th : ts) th.join();
        for (int i = 0; i < kThreads; ++i) CHECK(diffs[i] == 0);
    }
}

TEST_CASE("threads: eight models of every kind and optimizer train concurrently, each as if alone") {
    struct Setup {
        dsc_model_kind kind;
        uint32_t d, batch;
        float lr, momentum;
        uint32_t nesterov, schedule;
    };
    const Setup setups[8] = {
        {DSC_LINEAR, 5, 0, 0.0f, 0.0f, 0, DSC_LR_CONSTANT},
        {DSC_LINEAR, 3, 32, 0.01f, 0.9f, 1, DSC_LR_INVSCALING},
        {DSC_LOGISTIC, 4, 0, 0.5f, 0.0f, 0, DSC_LR_CONSTANT},
        {DSC_LOGISTIC, 4, 64, 0.1f, 0.9f, 0, DSC_LR_ADAPTIVE},
        {DSC_POLYNOMIAL, 1, 0, 0.0f, 0.0f, 0, DSC_LR_CONSTANT},
        {DSC_POLYNOMIAL, 1, 16, 0.01f, 0.5f, 0, DSC_LR_CONSTANT},
        {DSC_LEGENDRE3, 1, 0, 1e-3f, 0.0f, 0, DSC_LR_CONSTANT},
        {DSC_LEGENDRE3, 1, 8, 1e-3f, 0.5f, 1, DSC_LR_INVSCALING},
    };
    auto make = [&](int i) {
        const Setup &s = setups[i];
        Trained t = trained_case(s.kind, s.d);
        t.cfg.batch_size = s.batch;
        t.cfg.lr = s.lr;
        t.cfg.momentum = s.momentum;
        t.cfg.nesterov = s.nesterov;
        t.cfg.schedule = s.schedule;
        if (s.schedule == DSC_LR_ADAPTIVE) t.cfg.tol = 1e-4f;
        t.cfg.seed = (uint64_t)i;
        t.cfg.max_epochs = 5;
        return t;
    };
    auto train = [&](const Trained &t, std::vector<float> *params, std::vector<unsigned char> *blob) {
        dsct::Model m(t.cfg);
        if (m.status != DSC_OK) return m.status;
        if (t.cfg.kind == DSC_LEGENDRE3) {
            const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
            dsc_set_params(m.m, start, 4);
        }
        const dsc_status s = dsc_fit(m.m, t.d.X.data(), t.d.y.data(), t.d.n, nullptr);
        *params = m.params();
        blob->resize(dsc_save_size(m.m));
        size_t w;
        dsc_save(m.m, blob->data(), blob->size(), &w);
        return s;
    };
    std::vector<Trained> cases;
    for (int i = 0; i < 8; ++i) cases.push_back(make(i));
    std::vector<std::vector<float>> alone(8), together(8);
    std::vector<std::vector<unsigned char>> blob_alone(8), blob_together(8);
    for (int i = 0; i < 8; ++i) REQUIRE(train(cases[i], &alone[i], &blob_alone[i]) == DSC_OK);
    std::vector<dsc_status> st(8, DSC_ERR_INVALID_ARGUMENT);
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i)
        ts.emplace_back([&, i] { st[i] = train(cases[i], &together[i], &blob_together[i]); });
    for (auto &t : ts) t.join();
    for (int i = 0; i < 8; ++i) {
        CAPTURE(i);
        CHECK(st[i] == DSC_OK);
        CHECK(bits_equal(alone[i], together[i]));
        CHECK(blob_alone[i] == blob_together[i]);
    }
}

TEST_CASE("threads: one blob is loaded into eight arenas by eight threads at once") {
    const Trained t = trained_case(DSC_LINEAR, 4);
    dsct::Model m(t.cfg);
    REQUIRE(dsc_fit(m.m, t.d.X.data(), t.d.y.data(), t.d.n, nullptr) == DSC_OK);
    const std::vector<unsigned char> blob = save_blob(m.m);
    const std::vector<float> want = m.params();
    std::vector<int> bad(8, 0);
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i)
        ts.emplace_back([&, i] {
            for (int r = 0; r < 50; ++r) {
                std::vector<uint64_t> arena;
                dsc_model *l = nullptr;
                if (reload(blob, &arena, &l) != DSC_OK) {
                    ++bad[i];
                    continue;
                }
                std::vector<float> p(dsc_param_count(l));
                dsc_get_params(l, p.data(), p.size());
                if (!bits_equal(p, want)) ++bad[i];
            }
        });
    for (auto &th : ts) th.join();
    for (int i = 0; i < 8; ++i) CHECK(bad[i] == 0);
}

// =============================================================================================
// 3. Determinism
// =============================================================================================

namespace {

struct Run {
    const char *name;
    dsc_model_kind kind;
    uint32_t d, batch, shuffle;
    float lr, momentum, weight_decay;
    uint32_t nesterov, schedule, reduction;
    float tol;
};

const Run kRuns[] = {
    {"linear full batch auto lr", DSC_LINEAR, 7, 0, 1, 0.0f, 0.0f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_MEAN, -1.0f},
    {"linear minibatch shuffle nesterov invscaling", DSC_LINEAR, 19, 32, 1, 0.01f, 0.9f, 1e-3f, 1, DSC_LR_INVSCALING, DSC_REDUCTION_MEAN, -1.0f},
    {"linear minibatch in order, sum", DSC_LINEAR, 3, 50, 0, 1e-4f, 0.5f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_SUM, -1.0f},
    {"logistic full batch adaptive", DSC_LOGISTIC, 9, 0, 1, 0.5f, 0.0f, 0.0f, 0, DSC_LR_ADAPTIVE, DSC_REDUCTION_MEAN, 1e-3f},
    {"logistic minibatch momentum", DSC_LOGISTIC, 33, 64, 1, 0.1f, 0.9f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_MEAN, -1.0f},
    {"polynomial degree 5 auto lr", DSC_POLYNOMIAL, 1, 0, 1, 0.0f, 0.0f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_MEAN, -1.0f},
    {"polynomial minibatch", DSC_POLYNOMIAL, 1, 16, 1, 0.01f, 0.5f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_MEAN, -1.0f},
    {"legendre3 minibatch momentum", DSC_LEGENDRE3, 1, 16, 1, 1e-3f, 0.5f, 0.0f, 0, DSC_LR_CONSTANT, DSC_REDUCTION_MEAN, -1.0f},
};

uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

// Trains `r` on `path` with the arena misaligned by `shift` bytes and the data by `shift`
// floats; returns a hash of the parameters, the saved blob and the report. No field may
// depend on where things are in memory.
uint64_t train_digest(const Run &r, dsc_backend path, size_t shift, std::vector<float> *params) {
    dsct::Data d = r.kind == DSC_LOGISTIC
                       ? dsct::logistic_data(2003, std::vector<double>(r.d, 0.6), 0.2, 17)
                       : dsct::linear_data(2003, std::vector<double>(r.d, 0.5), 1.0, 0.1, 17);
    if (r.kind == DSC_POLYNOMIAL || r.kind == DSC_LEGENDRE3)
        for (size_t i = 0; i < d.n; ++i) {
            d.X[i] *= 0.4f;  // x^5 of N(0, 1) data would need a tiny rate
            d.y[i] = std::sin(2.0f * d.X[i]) + 0.3f;
        }
    dsc_config c;
    dsc_config_init(&c, r.kind, r.d);
    c.degree = 5;
    c.batch_size = r.batch;
    c.shuffle = r.shuffle;
    c.lr = r.lr;
    c.momentum = r.momentum;
    c.weight_decay = r.weight_decay;
    c.nesterov = r.nesterov;
    c.schedule = r.schedule;
    c.reduction = r.reduction;
    c.tol = r.tol;
    c.seed = 1234;
    c.max_epochs = 20;
    c.backend = path;
    const size_t need = dsc_arena_size(&c);
    REQUIRE(need > 0);
    std::vector<uint64_t> arena((need + 16) / 8 + 1);
    unsigned char *base = reinterpret_cast<unsigned char *>(arena.data()) + shift % 8;
    dsc_model *m = nullptr;
    REQUIRE(dsc_create(&c, base, need + 8, &m) == DSC_OK);
    if (r.kind == DSC_LEGENDRE3) {
        const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
        REQUIRE(dsc_set_params(m, start, 4) == DSC_OK);
    }
    std::vector<float> X(d.X.size() + shift), y(d.y.size() + shift);
    std::memcpy(X.data() + shift, d.X.data(), d.X.size() * 4);
    std::memcpy(y.data() + shift, d.y.data(), d.y.size() * 4);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(m, X.data() + shift, y.data() + shift, d.n, &rep) == DSC_OK);
    *params = params_of(m);
    const std::vector<unsigned char> blob = save_blob(m);
    uint64_t h = 0xCBF29CE484222325ull;
    h = fnv1a(h, params->data(), params->size() * 4);
    h = fnv1a(h, blob.data(), blob.size());
    h = fnv1a(h, &rep.epochs_run, sizeof rep.epochs_run);
    h = fnv1a(h, &rep.stop_reason, sizeof rep.stop_reason);
    h = fnv1a(h, &rep.final_loss, sizeof rep.final_loss);
    h = fnv1a(h, &rep.lr, sizeof rep.lr);
    h = fnv1a(h, &rep.steps, sizeof rep.steps);
    return h;
}

}  // namespace

TEST_CASE("reliability: same config, seed, data and path give bit-identical results, wherever they lie") {
    for (dsc_backend path : kAllPaths) {
        if (!dsc_backend_available(path)) continue;
        CAPTURE(path);
        for (const Run &r : kRuns) {
            const std::string run_name = r.name;
            CAPTURE(run_name);
            std::vector<float> p0, p1, p2;
            const uint64_t h0 = train_digest(r, path, 0, &p0);
            const uint64_t h1 = train_digest(r, path, 0, &p1);  // run to run
            const uint64_t h2 = train_digest(r, path, 3, &p2);  // other alignments
            CHECK(all_finite(p0));
            CHECK(bits_equal(p0, p1));
            CHECK(bits_equal(p0, p2));
            CHECK(h0 == h1);
            CHECK(h0 == h2);
        }
    }
}

// ctest runs this case in two processes (DESCENT_DIGEST_OUT = a file each, DESCENT_DIGEST_SHIFT
// = different alignments) and compares the two files byte for byte (tests/CMakeLists.txt):
// process to process, results are bit-identical. Run alone, it only writes nothing.
TEST_CASE("reliability: determinism digest") {
    const char *out = std::getenv("DESCENT_DIGEST_OUT");
    const char *shift_env = std::getenv("DESCENT_DIGEST_SHIFT");
    const size_t shift = shift_env ? (size_t)std::strtoul(shift_env, nullptr, 10) % 8 : 0;
    std::string text;
    for (dsc_backend path : kAllPaths) {
        if (!dsc_backend_available(path)) continue;
        for (const Run &r : kRuns) {
            std::vector<float> p;
            char line[200];
            std::snprintf(line, sizeof line, "backend %d | %s | %016llx\n", (int)path, r.name,
                          (unsigned long long)train_digest(r, path, shift, &p));
            text += line;
        }
    }
    CHECK(!text.empty());
    if (out) {
        FILE *f = std::fopen(out, "wb");
        REQUIRE(f != nullptr);
        CHECK(std::fwrite(text.data(), 1, text.size(), f) == text.size());
        CHECK(std::fclose(f) == 0);
    }
}

// =============================================================================================
// 4. Divergence under every schedule and optimizer
// =============================================================================================

namespace {

struct Snapshot {
    dsc_model *m = nullptr;
    std::vector<float> last;                // parameters after the last epoch that completed
    std::vector<std::vector<float>> after;  // parameters after each completed epoch
    std::vector<float> losses;              // each completed epoch's loss
    uint32_t epochs = 0;
};

int snapshot_cb(void *user, uint32_t, float loss) {
    Snapshot *s = static_cast<Snapshot *>(user);
    s->last.resize(dsc_param_count(s->m));
    dsc_get_params(s->m, s->last.data(), s->last.size());
    s->after.push_back(s->last);
    s->losses.push_back(loss);
    ++s->epochs;
    return 0;
}

}  // namespace

TEST_CASE("reliability: divergence under every schedule and optimizer keeps the lowest-loss parameters") {
    struct Opt {
        const char *name;
        float momentum, dampening, weight_decay;
        uint32_t nesterov;
    };
    const Opt opts[] = {{"plain", 0.0f, 0.0f, 0.0f, 0},
                        {"momentum + dampening", 0.9f, 0.5f, 0.0f, 0},
                        {"nesterov", 0.9f, 0.0f, 0.0f, 1},
                        {"weight decay", 0.0f, 0.0f, 0.1f, 0},
                        {"nesterov + weight decay", 0.5f, 0.0f, 0.01f, 1}};
    const uint32_t schedules[] = {DSC_LR_CONSTANT, DSC_LR_INVSCALING, DSC_LR_ADAPTIVE};
    const dsc_model_kind kinds[] = {DSC_LINEAR, DSC_LOGISTIC, DSC_POLYNOMIAL, DSC_LEGENDRE3};
    for (dsc_model_kind kind : kinds)
        for (uint32_t schedule : schedules)
            for (const Opt &o : opts)
                for (uint32_t batch : {0u, 8u})
                    for (uint32_t reduction : {(uint32_t)DSC_REDUCTION_MEAN, (uint32_t)DSC_REDUCTION_SUM}) {
                        CAPTURE(kind);
                        CAPTURE(schedule);
                        const std::string opt_name = o.name;
                        CAPTURE(opt_name);
                        CAPTURE(batch);
                        CAPTURE(reduction);
                        const uint32_t d = kind == DSC_LINEAR || kind == DSC_LOGISTIC ? 3 : 1;
                        dsc_config c;
                        dsc_config_init(&c, kind, d);
                        // Far too large: BCE's gradient is bounded, so logistic needs a rate
                        // near the float range (tests/test_api.cpp explains).
                        c.lr = kind == DSC_LOGISTIC ? 3e38f : kind == DSC_LEGENDRE3 ? 1e3f : 1e6f;
                        c.momentum = o.momentum;
                        c.dampening = o.dampening;
                        c.weight_decay = o.weight_decay;
                        c.nesterov = o.nesterov;
                        c.schedule = schedule;
                        c.tol = schedule == DSC_LR_ADAPTIVE ? 1e-4f : -1.0f;
                        c.batch_size = batch;
                        c.reduction = reduction;
                        c.seed = 99;
                        c.max_epochs = 5000;
                        dsct::Data D = kind == DSC_LOGISTIC
                                           ? dsct::logistic_data(64, std::vector<double>(d, 0.5), 0.0, 5)
                                           : dsct::linear_data(64, std::vector<double>(d, 0.5), 1.0, 0.1, 5);
                        if (kind == DSC_LOGISTIC) {  // coin-flip labels: the gradient never vanishes
                            dsct::Rng rr(123);
                            for (float &v : D.y) v = (float)(rr.next() >> 63);
                        }
                        dsct::Model M(c);
                        REQUIRE(M.status == DSC_OK);
                        if (kind == DSC_LEGENDRE3) {
                            const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
                            REQUIRE(dsc_set_params(M.m, start, 4) == DSC_OK);
                        }
                        Snapshot snap;
                        snap.m = M.m;
                        snap.last = M.params();
                        const std::vector<float> first = snap.last;
                        REQUIRE(dsc_set_callback(M.m, snapshot_cb, &snap) == DSC_OK);
                        dsc_fit_report rep;
                        const dsc_status s = dsc_fit(M.m, D.X.data(), D.y.data(), D.n, &rep);
                        REQUIRE(s == DSC_ERR_DIVERGED);
                        CHECK(rep.stop_reason == (uint32_t)DSC_STOP_DIVERGED);
                        CHECK(rep.epochs_run == snap.epochs + 1);  // the callback saw the others
                        const std::vector<float> left = M.params();
                        CHECK(all_finite(left));
                        // The lowest epoch loss names the parameters kept. Full batch: an
                        // epoch's loss is that of the params before its step (the start, or
                        // those after the epoch before); minibatch: those at the epoch's end.
                        size_t best = 0;
                        for (size_t e = 0; e < snap.losses.size(); ++e)
                            if (best == 0 || snap.losses[e] < snap.losses[best - 1]) best = e + 1;
                        if (best > 0) {
                            const size_t idx = batch == 0 ? best - 1 : best;  // epochs completed
                            if (idx > 0) CHECK(bits_equal(left, snap.after[idx - 1]));
                            else CHECK(bits_equal(left, first));
                        }
                        // The model is still a model: its blob loads with those parameters.
                        const std::vector<unsigned char> blob = save_blob(M.m);
                        std::vector<uint64_t> arena;
                        dsc_model *l = nullptr;
                        REQUIRE(reload(blob, &arena, &l) == DSC_OK);
                        CHECK(bits_equal(params_of(l), left));
                    }
}
