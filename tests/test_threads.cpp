// The parallel_for callback: full-batch passes split into fixed 16384-row chunks whose sums
// are folded in order, so parameters are bit-identical for any thread count, any task order,
// and without a callback at all.
#include <doctest/doctest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "test_support.hpp"
#ifdef DESCENT_HAVE_POOL
#include "descent_pool.h"
#endif

namespace {

// A parallel_for without threads that runs the tasks in reverse order: proves the result
// does not depend on which task finishes first.
void reverse_for(void *, uint32_t n, dsc_task_fn task, void *arg) {
    for (uint32_t i = n; i-- > 0;) task(arg, i);
}

struct Case {
    const char *name;
    dsc_model_kind kind;
    uint32_t d, batch;
    float lr, momentum;
    uint32_t solver = DSC_SOLVER_AUTO;  // AUTO with lr 0 and the full batch: NEWTON
    uint32_t standardize = DSC_STANDARDIZE_AUTO;
};

// The trained model's whole saved state: raw and training parameters, the standardization
// statistics (float64), the optimizer state. The thread pool is not part of a blob.
std::vector<unsigned char> train(const Case &c, const dsct::Data &d, dsc_parallel_for_fn pf,
                                 void *pool, uint32_t max_tasks, dsc_fit_report *rep) {
    dsc_config cfg;
    dsc_config_init(&cfg, c.kind, c.d);
    cfg.batch_size = c.batch;
    cfg.lr = c.lr;
    cfg.momentum = c.momentum;
    cfg.max_epochs = 8;
    cfg.parallel_for = pf;
    cfg.pool = pool;
    cfg.max_tasks = max_tasks;
    cfg.solver = c.solver;
    cfg.standardize = c.standardize;
    dsct::Model m(cfg);
    REQUIRE(m.status == DSC_OK);
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, rep) == DSC_OK);
    std::vector<unsigned char> blob(dsc_save_size(m.m));
    size_t written = 0;
    REQUIRE(dsc_save(m.m, blob.data(), blob.size(), &written) == DSC_OK);
    REQUIRE(written == blob.size());
    return blob;
}

const Case kCases[] = {
    {"linear defaults (standardized NEWTON: threaded curvature pass)", DSC_LINEAR, 7, 0, 0.0f, 0.0f},
    {"logistic defaults (NEWTON, exact Hessian)", DSC_LOGISTIC, 5, 0, 0.0f, 0.0f},
    {"linear full batch GD, automatic lr", DSC_LINEAR, 7, 0, 0.0f, 0.0f, DSC_SOLVER_GD},
    // The statistics pass in task slots sized for it (24 bytes a column > the GD slot).
    {"linear GD, explicit lr, standardized, 40 columns", DSC_LINEAR, 40, 0, 0.05f, 0.0f,
     DSC_SOLVER_GD, DSC_STANDARDIZE_ON},
    {"logistic full batch, momentum", DSC_LOGISTIC, 5, 0, 0.5f, 0.9f},
    {"polynomial defaults (NEWTON)", DSC_POLYNOMIAL, 1, 0, 0.0f, 0.0f},
    {"polynomial full batch GD, automatic lr", DSC_POLYNOMIAL, 1, 0, 0.0f, 0.0f, DSC_SOLVER_GD},
    {"linear minibatch of 40000 rows", DSC_LINEAR, 3, 40000, 0.05f, 0.0f},
};

dsct::Data data_for(const Case &c) {
    // 100003 rows: 7 chunks, the last one partial.
    if (c.kind == DSC_LOGISTIC) return dsct::logistic_data(100003, std::vector<double>(c.d, 0.5), 0.1, 3);
    return dsct::linear_data(100003, std::vector<double>(c.d, 0.5), 1.0, 0.1, 3);
}

}  // namespace

TEST_CASE("threads: results do not depend on task order or slot count") {
    for (const Case &c : kCases) {
        CAPTURE(c.name);
        const dsct::Data d = data_for(c);
        dsc_fit_report r0, r1;
        const std::vector<unsigned char> ref = train(c, d, nullptr, nullptr, 0, &r0);
        CHECK(r0.solver == (c.solver == DSC_SOLVER_GD || c.lr != 0.0f ? DSC_SOLVER_GD : DSC_SOLVER_NEWTON));
        for (uint32_t slots : {1u, 2u, 3u, 7u, 16u}) {
            CAPTURE(slots);
            CHECK(ref == train(c, d, reverse_for, nullptr, slots, &r1));
            CHECK(r1.final_loss == r0.final_loss);
            CHECK(r1.lr_initial == r0.lr_initial);
        }
    }
}

#ifdef DESCENT_HAVE_POOL
TEST_CASE("threads: bit-identical parameters with 1, 2, 3 and 8 pool threads") {
    for (const Case &c : kCases) {
        CAPTURE(c.name);
        const dsct::Data d = data_for(c);
        dsc_fit_report rep;
        const std::vector<unsigned char> ref = train(c, d, nullptr, nullptr, 0, &rep);
        for (unsigned threads : {1u, 2u, 3u, 8u}) {
            CAPTURE(threads);
            dsc_pool *pool = dsc_pool_create(threads);
            REQUIRE(pool != nullptr);
            CHECK(dsc_pool_threads(pool) == threads);
            CHECK(ref == train(c, d, dsc_pool_parallel_for, pool, 16, &rep));
            dsc_pool_destroy(pool);
        }
    }
}

TEST_CASE("threads: eight models train concurrently, each as if alone") {
    const dsct::Data d = dsct::linear_data(20000, {1.0, -2.0, 0.5}, 0.3, 0.1, 8);
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    cfg.batch_size = 64;
    cfg.lr = 0.01f;
    cfg.momentum = 0.9f;
    cfg.max_epochs = 3;
    std::vector<std::vector<float>> alone(8), together(8);
    for (int i = 0; i < 8; ++i) {
        cfg.seed = (uint64_t)i;
        dsct::Model m(cfg);
        REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        alone[i] = m.params();
    }
    std::vector<std::thread> ts;
    std::vector<dsc_status> st(8, DSC_ERR_INVALID_ARGUMENT);
    for (int i = 0; i < 8; ++i)
        ts.emplace_back([&, i] {
            dsc_config c = cfg;
            c.seed = (uint64_t)i;
            dsct::Model m(c);  // every thread also runs CPU dispatch while the others train
            st[i] = dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr);
            together[i] = m.params();
        });
    for (auto &t : ts) t.join();
    for (int i = 0; i < 8; ++i) {
        CHECK(st[i] == DSC_OK);
        CHECK(dsct::bits_equal(alone[i], together[i]));
    }
}

TEST_CASE("threads: a loaded model trains with a pool given to dsc_load_ex") {
    const Case c = kCases[0];
    const dsct::Data d = data_for(c);
    dsc_config cfg;
    dsc_config_init(&cfg, c.kind, c.d);
    cfg.max_epochs = 4;
    dsct::Model m(cfg);
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    std::vector<unsigned char> blob(dsc_save_size(m.m));
    size_t written;
    REQUIRE(dsc_save(m.m, blob.data(), blob.size(), &written) == DSC_OK);
    REQUIRE(dsc_fit(m.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);  // 8 epochs alone

    dsc_pool *pool = dsc_pool_create(2);
    size_t need = 0, need_plain = 0;
    REQUIRE(dsc_load_arena_size_ex(blob.data(), blob.size(), 4, &need) == DSC_OK);
    REQUIRE(dsc_load_arena_size(blob.data(), blob.size(), &need_plain) == DSC_OK);
    CHECK(need > need_plain);
    std::vector<uint64_t> arena(need / 8 + 1);
    dsc_model *l = nullptr;
    CHECK(dsc_load_ex(blob.data(), blob.size(), arena.data(), need - 1, dsc_pool_parallel_for, pool, 4, &l) ==
          DSC_ERR_ARENA_TOO_SMALL);
    REQUIRE(dsc_load_ex(blob.data(), blob.size(), arena.data(), need, dsc_pool_parallel_for, pool, 4, &l) == DSC_OK);
    REQUIRE(dsc_fit(l, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    std::vector<float> a(dsc_param_count(l));
    dsc_get_params(l, a.data(), a.size());
    CHECK(dsct::bits_equal(a, m.params()));
    dsc_pool_destroy(pool);
}
#endif

TEST_CASE("threads: max_tasks is validated when parallel_for is set") {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 2);
    CHECK(cfg.max_tasks == 16);
    cfg.parallel_for = reverse_for;
    cfg.max_tasks = 0;
    CHECK(dsc_check_config(&cfg) != nullptr);
    CHECK(dsc_arena_size(&cfg) == 0);
    cfg.max_tasks = 5000;
    CHECK(dsc_check_config(&cfg) != nullptr);
    cfg.max_tasks = 4;
    dsc_config plain = cfg;
    plain.parallel_for = nullptr;
    CHECK(dsc_arena_size(&cfg) > dsc_arena_size(&plain));
}
