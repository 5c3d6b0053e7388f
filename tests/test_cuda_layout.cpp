// The CUDA backend's host/device arithmetic, checked on the CPU on every run (GPU or not):
// device-arena layout, the split of rows into blocks, parameter ownership, and the CUDA config
// checks of a build without CUDA.
#include <doctest/doctest.h>

#include <vector>

#include "cuda/cuda_layout.hpp"
#include "cuda/cuda_limits.hpp"
#include "test_support.hpp"

using namespace dsc::cuda;

TEST_CASE("cuda layout: arrays are aligned, disjoint and inside the total") {
    for (uint32_t p : {1u, 4u, 33u, 4096u})
        for (uint32_t d : {1u, 3u, 32u})
            for (uint64_t maxn : {0ull, 1ull, 1000ull, 10000000ull}) {
                const DevLayout l = dev_layout(p, d, maxn);
                const uint64_t off[] = {l.state, l.theta, l.buf, l.work, l.v, l.gram, l.partials, l.x, l.y, l.total};
                const uint64_t size[] = {sizeof(DevState), 4ull * p, 4ull * p, 4ull * p, 4ull * p,
                                         8ull * (p + 2), 8ull * (p + 2) * kMaxBlocks, 4ull * d * maxn, 4ull * maxn};
                for (int i = 0; i < 9; ++i) {
                    CHECK(off[i] % 256 == 0);
                    CHECK(off[i] + size[i] <= off[i + 1]);  // each array ends before the next starts
                }
            }
}

TEST_CASE("cuda grid: every row belongs to exactly one block, blocks in row order") {
    for (uint64_t n : {1ull, 2ull, 255ull, 256ull, 257ull, 1000ull, 65536ull, 262145ull, 10000000ull}) {
        CAPTURE(n);
        const uint32_t blocks = grid_blocks(n);
        CHECK(blocks >= 1);
        CHECK(blocks <= kMaxBlocks);
        CHECK(rows_per_block(n) % kThreads == 0);  // whole tiles, so tiles never straddle blocks
        uint64_t next = 0;
        for (uint32_t b = 0; b < blocks; ++b) {
            uint64_t first, count;
            block_rows(n, b, &first, &count);
            if (count == 0) continue;
            CHECK(first == next);
            next = first + count;
        }
        CHECK(next == n);
    }
}

TEST_CASE("cuda ownership: each parameter has exactly one owning thread") {
    for (uint32_t p : {1u, 4u, 255u, 256u, 257u, 4096u}) {
        std::vector<int> owners(p, 0);
        for (uint32_t t = 0; t < kThreads; ++t)
            for (uint32_t k = 0; k < kParamsPerThread; ++k) {
                const int j = owned_param(t, k, p);
                if (j < 0) break;
                REQUIRE((uint32_t)j < p);
                owners[j] += 1;
            }
        for (uint32_t j = 0; j < p; ++j) CHECK(owners[j] == 1);
    }
}

TEST_CASE("cuda config: parameter limit, and what a build without CUDA says") {
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 4095);
    CHECK_FALSE(param_limit_exceeded(c));
    c.n_features = 4096;
    CHECK(param_limit_exceeded(c));
    dsc_config_init(&c, DSC_LINEAR, 3);
    c.backend = DSC_BACKEND_CUDA;
    dsc_cuda_info info;
    const dsc_status q = dsc_cuda_query(0, &info);
    REQUIRE(info.message != nullptr);
#ifndef DESCENT_HAVE_CUDA
    CHECK(q == DSC_ERR_UNSUPPORTED);
    CHECK(info.available == 0);
    CHECK(dsc_cuda_arena_size(&c) == 0);
    CHECK(dsc_check_config(&c) != nullptr);
    std::vector<uint64_t> arena(4096);
    dsc_model *m = nullptr;
    CHECK(dsc_create(&c, arena.data(), arena.size() * 8, &m) == DSC_ERR_UNSUPPORTED);
    CHECK(m == nullptr);
#else
    // With CUDA compiled in the device arena size is exact arithmetic on the config...
    c.cuda_max_samples = 1000;
    CHECK(dsc_cuda_arena_size(&c) == dev_layout(4, 3, 1000).total);
    // ...and without a device, creating a model says so instead of failing later.
    if (q != DSC_OK) {
        CHECK(info.available == 0);
        std::vector<uint64_t> arena(4096);
        dsc_model *m = nullptr;
        CHECK(dsc_create(&c, arena.data(), arena.size() * 8, &m) == DSC_ERR_UNSUPPORTED);
        CHECK(m == nullptr);
    }
#endif
}
