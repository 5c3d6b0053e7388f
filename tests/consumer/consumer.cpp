// consumer.cpp — a C++17 program using an installed descent: logistic regression, a save ->
// load round trip, and (when the package has it) the POSIX thread pool.
#include <descent.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#ifdef CONSUMER_HAVE_POOL
#include <descent_pool.h>
#endif

int main() {
    const std::size_t n = 40000, d = 2;  // > 16384 rows: the pool gets real tasks
    std::mt19937 gen(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> X(n * d), y(n);
    for (std::size_t i = 0; i < n; ++i) {
        X[i * d] = normal(gen);
        X[i * d + 1] = normal(gen);
        y[i] = 2.0f * X[i * d] - X[i * d + 1] + 0.5f > 0.0f ? 1.0f : 0.0f;
    }
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LOGISTIC, d);
    cfg.max_epochs = 200;
    std::vector<std::uint64_t> arena((dsc_arena_size(&cfg) + 7) / 8);
    dsc_model *m = nullptr;
    dsc_fit_report rep{};
    dsc_status s = dsc_create(&cfg, arena.data(), arena.size() * 8, &m);
    if (s == DSC_OK) s = dsc_fit(m, X.data(), y.data(), n, &rep);
    if (s != DSC_OK) {
        std::printf("consumer_cpp: %s\n", dsc_status_string(s));
        return 1;
    }
    std::vector<float> labels(n);
    dsc_predict_label(m, X.data(), n, labels.data());
    std::size_t hits = 0;
    for (std::size_t i = 0; i < n; ++i) hits += labels[i] == y[i];
    const double acc = static_cast<double>(hits) / n;

    std::vector<unsigned char> blob(dsc_save_size(m));
    std::size_t written = 0, need = 0;
    dsc_save(m, blob.data(), blob.size(), &written);
    dsc_load_arena_size(blob.data(), written, &need);
    std::vector<std::uint64_t> arena2((need + 7) / 8);
    dsc_model *m2 = nullptr;
    s = dsc_load(blob.data(), written, arena2.data(), arena2.size() * 8, &m2);
    std::vector<float> p1(d + 1), p2(d + 1);
    dsc_get_params(m, p1.data(), p1.size());
    if (s == DSC_OK) dsc_get_params(m2, p2.data(), p2.size());
    std::printf("consumer_cpp: accuracy %.3f after %u epochs, blob %zu bytes, reload %s\n", acc,
                rep.epochs_run, written, s == DSC_OK && p1 == p2 ? "identical" : "FAILED");
    if (acc < 0.97 || s != DSC_OK || p1 != p2) return 1;
#ifdef CONSUMER_HAVE_POOL
    // The same fit on 3 threads: bit-identical parameters (sums are folded in row order).
    dsc_pool *pool = dsc_pool_create(3);
    if (!pool) return 1;
    dsc_config pcfg = cfg;
    pcfg.parallel_for = dsc_pool_parallel_for;
    pcfg.pool = pool;
    std::vector<std::uint64_t> arena3((dsc_arena_size(&pcfg) + 7) / 8);
    dsc_model *m3 = nullptr;
    s = dsc_create(&pcfg, arena3.data(), arena3.size() * 8, &m3);
    if (s == DSC_OK) s = dsc_fit(m3, X.data(), y.data(), n, nullptr);
    std::vector<float> p3(d + 1);
    if (s == DSC_OK) dsc_get_params(m3, p3.data(), p3.size());
    dsc_pool_destroy(pool);
    std::printf("consumer_cpp: descent::pool, %s\n",
                s == DSC_OK && p3 == p1 ? "3 threads give identical parameters" : "FAILED");
    if (s != DSC_OK || p3 != p1) return 1;
#endif
    std::printf("consumer_cpp: OK\n");
    return 0;
}
