// The per-epoch shuffle: a bijection of [0, n), deterministic on every platform (golden values
// from an independent Python implementation), different per epoch and per seed.
#include <doctest/doctest.h>

#include <math.h>

#include <vector>

#include "model.hpp"
#include "reference/shuffle_golden.h"

TEST_CASE("shuffle permutation is a bijection for every size") {
    for (uint64_t n : {1ull, 2ull, 3ull, 4ull, 5ull, 7ull, 16ull, 17ull, 100ull, 255ull, 256ull,
                       257ull, 1000ull, 65537ull}) {
        dsc::Permutation p = {};
        dsc::permutation_init(&p, n, 12345, 3);
        std::vector<int> seen(n, 0);
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t j = dsc::permutation_apply(p, i);
            REQUIRE(j < n);
            seen[j] += 1;
        }
        for (uint64_t i = 0; i < n; ++i) REQUIRE(seen[i] == 1);
    }
}

TEST_CASE("shuffle matches the independent Python implementation") {
    for (const ShuffleGolden &g : kShuffleGolden) {
        dsc::Permutation p = {};
        dsc::permutation_init(&p, g.n, g.seed, g.epoch);
        for (uint64_t i = 0; i < g.n && i < 10; ++i) {
            INFO("n=", g.n, " seed=", g.seed, " epoch=", g.epoch, " i=", i);
            CHECK(dsc::permutation_apply(p, i) == g.first[i]);
        }
    }
}

TEST_CASE("shuffle differs between epochs and seeds, and is not the identity") {
    const uint64_t n = 1000;
    auto order = [&](uint64_t seed, uint64_t epoch) {
        dsc::Permutation p = {};
        dsc::permutation_init(&p, n, seed, epoch);
        std::vector<uint64_t> v(n);
        for (uint64_t i = 0; i < n; ++i) v[i] = dsc::permutation_apply(p, i);
        return v;
    };
    std::vector<uint64_t> a = order(1, 0), b = order(1, 1), c = order(2, 0);
    CHECK(a != b);
    CHECK(a != c);
    size_t fixed = 0;
    for (uint64_t i = 0; i < n; ++i) fixed += a[i] == i;
    CHECK(fixed < 20);  // a random permutation has ~1 fixed point
    // Consecutive positions are not consecutive rows (a well-mixed order).
    size_t runs = 0;
    for (uint64_t i = 1; i < n; ++i) runs += a[i] == a[i - 1] + 1;
    CHECK(runs < 20);
}

TEST_CASE("the batched shuffle gives the one-at-a-time values for any start and length") {
    for (uint64_t n : {1ull, 2ull, 5ull, 17ull, 100ull, 1000ull, 65537ull, 100000ull}) {
        dsc::Permutation p = {};
        dsc::permutation_init(&p, n, 99, 7);
        for (uint64_t first : {(uint64_t)0, (uint64_t)1, (uint64_t)3, n / 2, n - 1}) {
            for (size_t cnt : {1u, 7u, 8u, 9u, 32u, 33u, 63u, 64u, 65u, 100u, 129u}) {
                if (first + cnt > n) continue;
                std::vector<uint32_t> out(cnt + 1, 0xDEADBEEFu);
                dsc::permutation_apply_batch(p, first, cnt, out.data());
                CAPTURE(n);
                CAPTURE(first);
                CAPTURE(cnt);
                for (size_t i = 0; i < cnt; ++i) REQUIRE(out[i] == dsc::permutation_apply(p, first + i));
                CHECK(out[cnt] == 0xDEADBEEFu);  // nothing written past the batch
            }
        }
    }
}

TEST_CASE("the shuffle is the largest domain's bijection at n = 2^32") {
    dsc::Permutation p = {};
    const uint64_t n = 1ull << 32;
    dsc::permutation_init(&p, n, 5, 1);
    std::vector<uint32_t> out(40);
    const uint64_t first = n - 40;
    dsc::permutation_apply_batch(p, first, out.size(), out.data());
    for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == dsc::permutation_apply(p, first + i));
    CHECK(out[0] != out[1]);
}

// Uniformity: over many epochs, row j lands at position i with frequency 1/n, and the first
// two positions hold each ordered pair of rows with frequency 1/(n (n - 1)). Chi-square
// statistics against those, as z = (chi2 - df) / sqrt(2 df). Deterministic (fixed seed and
// epochs). A 4-round network on these small domains fails this (z in the tens to hundreds
// at n = 3, 5, 17), which is why small domains run more rounds.
TEST_CASE("shuffle orders are uniform over epochs, small n included") {
    for (uint64_t n : {2ull, 3ull, 5ull, 16ull, 17ull, 100ull, 257ull, 1000ull}) {
        const int epochs = n <= 257 ? 40000 : 10000;
        std::vector<double> pos(n * n, 0.0), pair(n * n, 0.0);
        std::vector<uint32_t> v(n);
        for (int e = 0; e < epochs; ++e) {
            dsc::Permutation p = {};
            dsc::permutation_init(&p, n, 7, (uint64_t)e);
            dsc::permutation_apply_batch(p, 0, n, v.data());
            for (uint64_t i = 0; i < n; ++i) pos[i * n + v[i]] += 1.0;
            pair[v[0] * n + v[1]] += 1.0;
        }
        double chi = 0.0, ex = (double)epochs / (double)n;
        for (double c : pos) chi += (c - ex) * (c - ex) / ex;
        const double df = (double)(n - 1) * (double)(n - 1);
        const double z = (chi - df) / sqrt(2.0 * df);
        INFO("n=", n, " positions z=", z);
        CHECK(fabs(z) < 6.0);
        if (n <= 100) {  // enough epochs per pair cell
            double chi2 = 0.0;
            const double ex2 = (double)epochs / (double)(n * (n - 1));
            for (uint64_t a = 0; a < n; ++a)
                for (uint64_t b = 0; b < n; ++b)
                    if (a != b) chi2 += (pair[a * n + b] - ex2) * (pair[a * n + b] - ex2) / ex2;
            const double df2 = (double)(n * (n - 1)) - 1.0;
            const double z2 = (chi2 - df2) / sqrt(2.0 * df2);
            INFO("n=", n, " pairs z=", z2);
            CHECK(fabs(z2) < 6.0);
        }
    }
}
