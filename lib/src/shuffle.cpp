// Per-epoch shuffling without memory proportional to n: a keyed Feistel network is a bijection
// on [0, 2^(2h)) with 2^(2h) >= n; cycle walking (re-applying it until the value falls below n)
// restricts it to a bijection of [0, n). Integer arithmetic only, so every platform produces
// the same order for the same (seed, epoch).
#include "model.hpp"

namespace dsc {
namespace {

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

void permutation_init(Permutation *p, uint64_t n, uint64_t seed, uint64_t epoch) {
    p->n = n;
    uint32_t bits = 2;
    while (bits < 64 && (1ull << bits) < n) ++bits;
    if (bits & 1u) ++bits;
    p->half_bits = bits / 2;
    uint64_t k = splitmix64(seed ^ splitmix64(epoch + 0x5851F42D4C957F2Dull));
    for (uint64_t &key : p->keys) key = k = splitmix64(k);
}

uint64_t permutation_apply(const Permutation &p, uint64_t i) {
    const uint64_t mask = (1ull << p.half_bits) - 1;
    uint64_t x = i;
    do {
        uint64_t l = x >> p.half_bits, r = x & mask;
        for (uint64_t key : p.keys) {
            uint64_t f = splitmix64(r ^ key) & mask;
            uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        x = (l << p.half_bits) | r;
    } while (x >= p.n);
    return x;
}

}  // namespace dsc
