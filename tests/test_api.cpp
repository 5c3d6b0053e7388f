// The C ABI (descent.h) as a caller sees it: config defaults and validation, exact arena sizing,
// argument checking on every entry point, the "a failed call changes nothing" promise,
// prediction formulas against closed forms computed in double, and divergence handling.
#include <doctest/doctest.h>

#include <descent.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

// Internal view, used only to reproduce the shuffled batch order in the divergence test.
#include "model.hpp"
#include "test_support.hpp"

namespace {

// ---- deterministic data -------------------------------------------------------------------
struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(seed) {}
    uint64_t next() {  // splitmix64
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double unit() { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * (float)unit(); }
};

// An 8-aligned byte buffer with `guard` bytes of 0xA5 on either side of the usable region.
struct Guarded {
    static constexpr size_t kGuard = 64;
    std::vector<uint64_t> words;
    size_t bytes;   // usable bytes
    size_t shift;   // usable region starts at base + kGuard + shift
    Guarded(size_t n, size_t misalign = 0) : bytes(n), shift(misalign) {
        words.resize((2 * kGuard + n + misalign + 7) / 8 + 1);
        memset(words.data(), 0xA5, words.size() * 8);
    }
    unsigned char *base() { return reinterpret_cast<unsigned char *>(words.data()); }
    unsigned char *data() { return base() + kGuard + shift; }
    // True if every byte outside [data, data + bytes) still holds 0xA5.
    bool guards_intact() {
        unsigned char *b = base();
        const size_t total = words.size() * 8;
        for (size_t i = 0; i < kGuard + shift; ++i)
            if (b[i] != 0xA5) return false;
        for (size_t i = kGuard + shift + bytes; i < total; ++i)
            if (b[i] != 0xA5) return false;
        return true;
    }
};

struct Data {
    std::vector<float> X, y;
    size_t n = 0;
    uint32_t d = 0;
};

// Well-scaled data for a kind: x ~ U(-1, 1); targets from a smooth function of x, labels 0/1.
Data make_data(uint32_t kind, uint32_t d, size_t n, uint64_t seed) {
    Rng r(seed);
    Data D;
    D.n = n;
    D.d = d;
    D.X.resize(n * d);
    D.y.resize(n);
    std::vector<float> w(d);
    for (uint32_t j = 0; j < d; ++j) w[j] = r.uniform(-1.0f, 1.0f);
    for (size_t i = 0; i < n; ++i) {
        double z = 0.25;
        for (uint32_t j = 0; j < d; ++j) {
            const float x = r.uniform(-1.0f, 1.0f);
            D.X[i * d + j] = x;
            z += (double)w[j] * x;
        }
        const double x0 = D.X[i * d];
        switch (kind) {
            case DSC_LINEAR: D.y[i] = (float)(z + 0.05 * (r.unit() - 0.5)); break;
            case DSC_LOGISTIC: D.y[i] = (z + 0.3 * (r.unit() - 0.5)) > 0.0 ? 1.0f : 0.0f; break;
            case DSC_POLYNOMIAL: D.y[i] = (float)std::sin(2.0 * x0); break;
            default: {
                const double t = 0.6 * x0;
                D.y[i] = (float)(0.1 - 0.8 * 0.5 * t * (5.0 * t * t - 3.0));
            }
        }
    }
    return D;
}

const char *kind_name(uint32_t k) {
    switch (k) {
        case DSC_LINEAR: return "linear";
        case DSC_LOGISTIC: return "logistic";
        case DSC_POLYNOMIAL: return "polynomial";
        case DSC_LEGENDRE3: return "legendre3";
    }
    return "?";
}

const uint32_t kKinds[] = {DSC_LINEAR, DSC_LOGISTIC, DSC_POLYNOMIAL, DSC_LEGENDRE3};
const float kLegendreStart[4] = {0.0f, -1.0f, 0.0f, 0.3f};

// A valid config for a kind (legendre3 needs an explicit lr).
dsc_config valid_config(uint32_t kind, uint32_t d = 1) {
    dsc_config c;
    dsc_config_init(&c, (dsc_model_kind)kind, kind == DSC_LINEAR || kind == DSC_LOGISTIC ? d : 1);
    if (kind == DSC_LEGENDRE3) c.lr = 0.01f;
    return c;
}

bool contains_ci(const char *hay, const char *needle) {
    std::string h(hay), n(needle);
    for (auto &ch : h) ch = (char)std::tolower((unsigned char)ch);
    for (auto &ch : n) ch = (char)std::tolower((unsigned char)ch);
    return h.find(n) != std::string::npos;
}

// A model in its own exactly-sized arena.
struct Model {
    std::vector<uint64_t> arena;
    dsc_model *m = nullptr;
    explicit Model(const dsc_config &c) {
        const size_t need = dsc_arena_size(&c);
        REQUIRE(need > 0);
        arena.resize(need / 8 + 1);
        REQUIRE(dsc_create(&c, arena.data(), need, &m) == DSC_OK);
        REQUIRE(m != nullptr);
    }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;
};

std::vector<float> params_of(const dsc_model *m) {
    std::vector<float> p(dsc_param_count(m));
    REQUIRE(!p.empty());
    REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
    return p;
}

std::vector<unsigned char> blob_of(const dsc_model *m) {
    const size_t n = dsc_save_size(m);
    REQUIRE(n > 0);
    std::vector<unsigned char> b(n);
    size_t written = 0;
    REQUIRE(dsc_save(m, b.data(), b.size(), &written) == DSC_OK);
    REQUIRE(written == n);
    return b;
}

bool bits_equal(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

bool all_finite(const std::vector<float> &v) {
    for (float x : v)
        if (!std::isfinite(x)) return false;
    return true;
}

dsc_model *sentinel_model() {
    static uint64_t storage[4];
    return reinterpret_cast<dsc_model *>(storage);
}

// Checks everything a rejected config must do.
void expect_rejected(const dsc_config *cfg, dsc_status want, const char *field) {
    const char *msg = dsc_check_config(cfg);
    REQUIRE(msg != nullptr);
    CHECK(msg[0] != '\0');
    if (field) {
        INFO("message: " << msg << " / expected to mention: " << field);
        CHECK(contains_ci(msg, field));
    }
    CHECK(dsc_arena_size(cfg) == 0);
    // A generous arena, so the failure cannot be about its size.
    std::vector<uint64_t> arena(1 << 16);
    memset(arena.data(), 0x5A, arena.size() * 8);
    dsc_model *out = sentinel_model();
    CHECK(dsc_create(cfg, arena.data(), arena.size() * 8, &out) == want);
    CHECK(out == sentinel_model());
    bool untouched = true;
    const unsigned char *b = reinterpret_cast<const unsigned char *>(arena.data());
    for (size_t i = 0; i < arena.size() * 8; ++i) untouched = untouched && b[i] == 0x5A;
    CHECK(untouched);
}

}  // namespace

// =============================================================================================
// 1. Defaults and accepted configs
// =============================================================================================

TEST_CASE("api: dsc_version is the header's version") {
    CHECK(dsc_version() == DSC_VERSION);
    CHECK((dsc_version() >> 16) == DSC_VERSION_MAJOR);
    CHECK(((dsc_version() >> 8) & 0xFFu) == DSC_VERSION_MINOR);
    CHECK((dsc_version() & 0xFFu) == DSC_VERSION_PATCH);
}

TEST_CASE("api: dsc_config_init fills documented defaults") {
    for (uint32_t kind : kKinds) {
        CAPTURE(kind);
        dsc_config c;
        memset(&c, 0xCD, sizeof c);
        dsc_config_init(&c, (dsc_model_kind)kind, 1);
        CHECK(c.struct_size == sizeof(dsc_config));
        CHECK(c.kind == kind);
        CHECK(c.n_features == 1u);
        CHECK(c.degree == 3u);
        CHECK(c.reduction == (uint32_t)DSC_REDUCTION_MEAN);
        CHECK(c.batch_size == 0u);
        CHECK(c.shuffle == 1u);
        CHECK(c.max_epochs == 1000u);
        CHECK(c.standardize == (uint32_t)DSC_STANDARDIZE_AUTO);
        CHECK(c.solver == (uint32_t)DSC_SOLVER_AUTO);
        CHECK(c.conv_tol == 0.0f);
        CHECK(c.seed == 0u);
        CHECK(c.lr == 0.0f);
        CHECK(c.momentum == 0.0f);
        CHECK(c.dampening == 0.0f);
        CHECK(c.weight_decay == 0.0f);
        CHECK(c.nesterov == 0u);
        CHECK(c.schedule == (uint32_t)DSC_LR_CONSTANT);
        CHECK(c.power_t == 0.25f);
        CHECK(c.tol < 0.0f);
        CHECK(c.n_iter_no_change == 5u);
        CHECK(c.backend == (uint32_t)DSC_BACKEND_AUTO);
        CHECK((c.on_epoch == nullptr));
        CHECK(c.user == nullptr);
    }
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 7);
    CHECK(c.n_features == 7u);
    dsc_config_init(nullptr, DSC_LINEAR, 1);  // must not crash
}

TEST_CASE("api: dsc_check_config accepts valid configs of every kind") {
    for (uint32_t kind : kKinds) {
        CAPTURE(kind);
        dsc_config c = valid_config(kind);
        CHECK(dsc_check_config(&c) == nullptr);
        CHECK(dsc_arena_size(&c) > 0);
    }
    dsc_config c;
    // Defaults are valid as they stand for the kinds with an automatic rate.
    dsc_config_init(&c, DSC_LINEAR, 5);
    CHECK(dsc_check_config(&c) == nullptr);
    dsc_config_init(&c, DSC_LOGISTIC, 5);
    CHECK(dsc_check_config(&c) == nullptr);
    dsc_config_init(&c, DSC_POLYNOMIAL, 1);
    CHECK(dsc_check_config(&c) == nullptr);

    SUBCASE("boundaries and options") {
        c = valid_config(DSC_LINEAR, 1u << 24);  // the largest n_features
        CHECK(dsc_check_config(&c) == nullptr);
        CHECK(dsc_arena_size(&c) > 0);
        c = valid_config(DSC_POLYNOMIAL);
        c.degree = 0;
        CHECK(dsc_check_config(&c) == nullptr);
        c.degree = DSC_MAX_POLY_DEGREE;
        CHECK(dsc_check_config(&c) == nullptr);
        CHECK(dsc_arena_size(&c) > 0);
        c = valid_config(DSC_LOGISTIC, 3);
        c.reduction = DSC_REDUCTION_SUM;
        c.batch_size = 16;
        c.shuffle = 0;
        c.max_epochs = 1;
        c.lr = 0.5f;
        c.momentum = 0.999f;
        c.dampening = 1.0f;
        c.weight_decay = 0.1f;
        CHECK(dsc_check_config(&c) == nullptr);
        c.dampening = 0.0f;
        c.nesterov = 1;
        CHECK(dsc_check_config(&c) == nullptr);
        c.schedule = DSC_LR_INVSCALING;
        c.power_t = 0.0f;
        CHECK(dsc_check_config(&c) == nullptr);
        c.power_t = 1.0f;
        CHECK(dsc_check_config(&c) == nullptr);
        c.schedule = DSC_LR_ADAPTIVE;
        c.tol = 0.0f;
        c.n_iter_no_change = 1;
        CHECK(dsc_check_config(&c) == nullptr);
        c.schedule = DSC_LR_CONSTANT;
        c.tol = -std::numeric_limits<float>::infinity();  // off, like any negative tol
        c.n_iter_no_change = 0;                           // irrelevant while tol is off
        CHECK(dsc_check_config(&c) == nullptr);
        c.backend = DSC_BACKEND_SCALAR;
        CHECK(dsc_check_config(&c) == nullptr);
        c.backend = DSC_BACKEND_AUTO;
        CHECK(dsc_check_config(&c) == nullptr);
        c.seed = ~0ull;
        c.batch_size = 0xFFFFFu;
        CHECK(dsc_check_config(&c) == nullptr);
        CHECK(dsc_arena_size(&c) > 0);
    }
}

// =============================================================================================
// 2. Rejected configs
// =============================================================================================

TEST_CASE("api: every rejected config field") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    dsc_config c = valid_config(DSC_LINEAR, 3);
    REQUIRE(dsc_check_config(&c) == nullptr);

    SUBCASE("NULL config") {
        CHECK(dsc_check_config(nullptr) != nullptr);
        CHECK(dsc_arena_size(nullptr) == 0);
        std::vector<uint64_t> arena(1024);
        dsc_model *out = sentinel_model();
        CHECK(dsc_create(nullptr, arena.data(), arena.size() * 8, &out) ==
              DSC_ERR_INVALID_ARGUMENT);
        CHECK(out == sentinel_model());
    }
    SUBCASE("struct_size sizeof-4") {
        c.struct_size = sizeof(dsc_config) - 4;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "struct_size");
    }
    SUBCASE("struct_size 0") {
        c.struct_size = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "struct_size");
    }
    SUBCASE("struct_size sizeof+4") {
        c.struct_size = sizeof(dsc_config) + 4;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "struct_size");
    }
    SUBCASE("kind 0") {
        c.kind = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "kind");
    }
    SUBCASE("kind 6") {
        c.kind = 6;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "kind");
    }
    SUBCASE("kind 5 (SOFTMAX) without n_classes") {
        c.kind = DSC_SOFTMAX;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_classes");
    }
    SUBCASE("n_classes on another kind") {
        c.n_classes = 3;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_classes");
    }
    SUBCASE("n_classes 257") {
        c.kind = DSC_SOFTMAX;
        c.n_classes = 257;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_classes");
    }
    SUBCASE("n_classes (n_features + 1) over 2^24") {
        c.kind = DSC_SOFTMAX;
        c.n_classes = 256;
        c.n_features = 1u << 16;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_classes");
    }
    SUBCASE("kind 0xFFFFFFFF") {
        c.kind = 0xFFFFFFFFu;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "kind");
    }
    SUBCASE("n_features 0") {
        c.n_features = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("n_features 2^24 + 1") {
        c.n_features = (1u << 24) + 1;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("n_features 0xFFFFFFFF") {
        c.n_features = 0xFFFFFFFFu;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("logistic n_features 0") {
        c = valid_config(DSC_LOGISTIC, 3);
        c.n_features = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("polynomial with n_features 2") {
        c = valid_config(DSC_POLYNOMIAL);
        c.n_features = 2;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("polynomial with n_features 0") {
        c = valid_config(DSC_POLYNOMIAL);
        c.n_features = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("legendre3 with n_features 3") {
        c = valid_config(DSC_LEGENDRE3);
        c.n_features = 3;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_features");
    }
    SUBCASE("degree 16") {
        c = valid_config(DSC_POLYNOMIAL);
        c.degree = DSC_MAX_POLY_DEGREE + 1;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "degree");
    }
    SUBCASE("degree 0xFFFFFFFF") {
        c = valid_config(DSC_POLYNOMIAL);
        c.degree = 0xFFFFFFFFu;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "degree");
    }
    SUBCASE("reduction 2") {
        c.reduction = 2;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "reduction");
    }
    SUBCASE("shuffle 2") {
        c.shuffle = 2;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "shuffle");
    }
    SUBCASE("nesterov 2") {
        c.momentum = 0.9f;
        c.nesterov = 2;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "nesterov");
    }
    SUBCASE("max_epochs 0") {
        c.max_epochs = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "max_epochs");
    }
    SUBCASE("lr NaN") {
        c.lr = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "lr");
    }
    SUBCASE("lr +Inf") {
        c.lr = inf;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "lr");
    }
    SUBCASE("lr -Inf") {
        c.lr = -inf;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "lr");
    }
    SUBCASE("lr negative") {
        c.lr = -0.01f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "lr");
    }
    SUBCASE("momentum -0.1") {
        c.momentum = -0.1f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "momentum");
    }
    SUBCASE("momentum 1.0") {
        c.momentum = 1.0f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "momentum");
    }
    SUBCASE("momentum NaN") {
        c.momentum = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "momentum");
    }
    SUBCASE("momentum +Inf") {
        c.momentum = inf;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "momentum");
    }
    SUBCASE("dampening -0.1") {
        c.dampening = -0.1f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "dampening");
    }
    SUBCASE("dampening 1.5") {
        c.dampening = 1.5f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "dampening");
    }
    SUBCASE("dampening NaN") {
        c.dampening = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "dampening");
    }
    SUBCASE("weight_decay negative") {
        c.weight_decay = -1e-4f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "weight_decay");
    }
    SUBCASE("weight_decay NaN") {
        c.weight_decay = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "weight_decay");
    }
    SUBCASE("weight_decay +Inf") {
        c.weight_decay = inf;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "weight_decay");
    }
    SUBCASE("nesterov with momentum 0") {
        c.nesterov = 1;
        c.momentum = 0.0f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "nesterov");
    }
    SUBCASE("nesterov with dampening 0.5") {
        c.nesterov = 1;
        c.momentum = 0.9f;
        c.dampening = 0.5f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "nesterov");
    }
    SUBCASE("schedule 3") {
        c.schedule = 3;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "schedule");
    }
    SUBCASE("power_t negative") {
        c.schedule = DSC_LR_INVSCALING;
        c.power_t = -0.25f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "power_t");
    }
    SUBCASE("power_t NaN") {
        c.schedule = DSC_LR_INVSCALING;
        c.power_t = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "power_t");
    }
    SUBCASE("tol NaN") {
        c.tol = nan;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "tol");
    }
    SUBCASE("tol +Inf") {
        c.tol = inf;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "tol");
    }
    SUBCASE("tol >= 0 with n_iter_no_change 0") {
        c.tol = 0.0f;
        c.n_iter_no_change = 0;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "n_iter_no_change");
    }
    SUBCASE("adaptive schedule with tol < 0") {
        c.schedule = DSC_LR_ADAPTIVE;
        c.tol = -1.0f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "tol");
    }
    SUBCASE("backend 7") {
        c.backend = 7;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "backend");
    }
    SUBCASE("backend 0xFFFFFFFF") {
        c.backend = 0xFFFFFFFFu;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "backend");
    }
    SUBCASE("legendre3 with automatic lr is unsupported by minibatch SGD") {
        dsc_config_init(&c, DSC_LEGENDRE3, 1);
        REQUIRE(c.lr == 0.0f);
        c.batch_size = 8;
        expect_rejected(&c, DSC_ERR_UNSUPPORTED, "lr");
    }
    SUBCASE("legendre3 with automatic lr under the GD solver is unsupported") {
        dsc_config_init(&c, DSC_LEGENDRE3, 1);
        c.solver = DSC_SOLVER_GD;
        expect_rejected(&c, DSC_ERR_UNSUPPORTED, "lr");
    }
    SUBCASE("standardize 3") {
        c.standardize = 3;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "standardize");
    }
    SUBCASE("solver 3") {
        c.solver = 3;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "solver");
    }
    SUBCASE("conv_tol NaN") {
        c.conv_tol = std::nanf("");
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "conv_tol");
    }
    SUBCASE("NEWTON with an explicit rate") {
        c.solver = DSC_SOLVER_NEWTON;
        c.lr = 0.5f;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "lr");
    }
    SUBCASE("NEWTON with minibatches") {
        c.solver = DSC_SOLVER_NEWTON;
        c.lr = 0.0f;
        c.batch_size = 4;
        expect_rejected(&c, DSC_ERR_INVALID_ARGUMENT, "batch_size");
    }
}

TEST_CASE("api: dsc_create argument checks") {
    dsc_config c = valid_config(DSC_LINEAR, 3);
    const size_t need = dsc_arena_size(&c);
    REQUIRE(need > 0);
    std::vector<uint64_t> arena(need / 8 + 1);
    dsc_model *out = sentinel_model();
    CHECK(dsc_create(&c, nullptr, need, &out) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(out == sentinel_model());
    CHECK(dsc_create(&c, arena.data(), need, nullptr) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_create(&c, arena.data(), 0, &out) == DSC_ERR_ARENA_TOO_SMALL);
    CHECK(out == sentinel_model());
    CHECK(dsc_create(&c, arena.data(), need, &out) == DSC_OK);
    CHECK(out != sentinel_model());
}

TEST_CASE("api: non-scalar backends are OK or UNSUPPORTED, consistently") {
    const uint32_t backends[] = {DSC_BACKEND_SSE2, DSC_BACKEND_AVX2, DSC_BACKEND_AVX512,
                                 DSC_BACKEND_NEON, DSC_BACKEND_CUDA};
    for (uint32_t b : backends) {
        for (uint32_t kind : kKinds) {
            CAPTURE(b);
            CAPTURE(kind);
            dsc_config c = valid_config(kind, 3);
            c.backend = b;
            c.max_epochs = 3;
            const size_t need = dsc_arena_size(&c);
            const char *msg = dsc_check_config(&c);
            std::vector<uint64_t> arena(1 << 16);
            dsc_model *out = sentinel_model();
            const dsc_status s = dsc_create(&c, arena.data(), arena.size() * 8, &out);
            if (b == DSC_BACKEND_CUDA && need > 0) {
                // A CUDA build: the host side of the config is valid; a model also needs a
                // device and a device arena (none given here).
                CHECK(msg == nullptr);
                dsc_cuda_info info;
                const bool gpu = dsc_cuda_query(0, &info) == DSC_OK;
                CHECK(s == (gpu ? DSC_ERR_ARENA_TOO_SMALL : DSC_ERR_UNSUPPORTED));
                CHECK(out == sentinel_model());
                continue;
            }
            if (need > 0) {
                // A build with this backend: the config is valid and the model works.
                CHECK(msg == nullptr);
                REQUIRE(s == DSC_OK);
                const char *name = dsc_backend_name(out);
                REQUIRE(name != nullptr);
                CHECK(name[0] != '\0');
                CHECK(std::string(name) != "invalid");
                if (kind == DSC_LEGENDRE3)
                    REQUIRE(dsc_set_params(out, kLegendreStart, 4) == DSC_OK);
                const Data Dk = make_data(kind, c.n_features, 64, 12);
                CHECK(dsc_fit(out, Dk.X.data(), Dk.y.data(), Dk.n, nullptr) == DSC_OK);
            } else {
                REQUIRE(msg != nullptr);
                CHECK(contains_ci(msg, "backend"));
                CHECK(s == DSC_ERR_UNSUPPORTED);
                CHECK(out == sentinel_model());
            }
        }
    }
}

// =============================================================================================
// 3. Arena exactness
// =============================================================================================

namespace {

struct ArenaCase {
    uint32_t kind, d, batch, shuffle;
    float momentum;
};

std::string describe(const ArenaCase &a) {
    return std::string(kind_name(a.kind)) + " d=" + std::to_string(a.d) +
           " batch=" + std::to_string(a.batch) + " shuffle=" + std::to_string(a.shuffle) +
           " momentum=" + std::to_string(a.momentum);
}

std::vector<ArenaCase> arena_matrix() {
    std::vector<ArenaCase> v;
    const uint32_t batches[] = {0, 1, 32, 20000};
    const float moms[] = {0.0f, 0.9f};
    for (uint32_t kind : kKinds) {
        const bool lin = kind == DSC_LINEAR || kind == DSC_LOGISTIC;
        const uint32_t ds[] = {1, 3, 1000};
        for (uint32_t d : ds) {
            if (!lin && d != 1) continue;
            for (uint32_t b : batches)
                for (uint32_t sh = 0; sh < 2; ++sh)
                    for (float mo : moms) v.push_back({kind, d, b, sh, mo});
        }
    }
    return v;
}

dsc_config arena_config(const ArenaCase &a) {
    dsc_config c = valid_config(a.kind, a.d);
    c.batch_size = a.batch;
    c.shuffle = a.shuffle;
    c.momentum = a.momentum;
    c.max_epochs = 2;
    c.seed = 42;
    if (a.kind == DSC_LEGENDRE3) c.lr = 1e-3f;
    // The automatic rate ignores momentum and can diverge with momentum 0.9 and batch 1, so
    // the momentum configs get a small fixed rate (stable for every shape in the matrix).
    else if (a.momentum != 0.0f) c.lr = 1e-4f;
    return c;
}

// Rows: more than one 16384-row chunk where it is affordable, so the chunk buffers are used.
size_t arena_rows(const ArenaCase &a) { return a.d <= 3 ? 20500 : 40; }

// create + fit + predict + save in a guarded arena; everything must stay inside.
void lifecycle_in(const ArenaCase &a, const Data &D, size_t misalign) {
    const dsc_config c = arena_config(a);
    const size_t need = dsc_arena_size(&c);
    REQUIRE(need > 0);
    const size_t bytes = misalign ? need + (DSC_ARENA_ALIGN - misalign) : need;
    Guarded g(bytes, misalign);
    dsc_model *m = nullptr;
    REQUIRE(dsc_create(&c, g.data(), bytes, &m) == DSC_OK);
    REQUIRE(m != nullptr);
    CHECK(reinterpret_cast<uintptr_t>(m) % DSC_ARENA_ALIGN == 0);
    CHECK(reinterpret_cast<unsigned char *>(m) >= g.data());
    CHECK(reinterpret_cast<unsigned char *>(m) < g.data() + bytes);
    if (a.kind == DSC_LEGENDRE3) REQUIRE(dsc_set_params(m, kLegendreStart, 4) == DSC_OK);
    CHECK(g.guards_intact());

    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m, D.X.data(), D.y.data(), D.n, &rep);
    INFO("fit message: " << std::string(rep.message ? rep.message : "(null)"));
    CHECK(s == DSC_OK);
    CHECK(rep.epochs_run == 2u);
    CHECK(all_finite(params_of(m)));
    CHECK(g.guards_intact());

    // Predictions into a guarded output buffer.
    const size_t np = D.n < 300 ? D.n : 300;
    std::vector<float> out(np + 16, -7.0f);
    CHECK(dsc_predict(m, D.X.data(), np, out.data()) == DSC_OK);
    CHECK(dsc_predict_logit(m, D.X.data(), np, out.data()) == DSC_OK);
    if (a.kind == DSC_LOGISTIC) CHECK(dsc_predict_label(m, D.X.data(), np, out.data()) == DSC_OK);
    bool tail_ok = true;
    for (size_t i = np; i < out.size(); ++i) tail_ok = tail_ok && out[i] == -7.0f;
    CHECK(tail_ok);
    float loss = -1.0f;
    CHECK(dsc_loss(m, D.X.data(), D.y.data(), D.n, &loss) == DSC_OK);
    CHECK(std::isfinite(loss));
    CHECK(g.guards_intact());

    // Save into a guarded blob buffer.
    const size_t sz = dsc_save_size(m);
    REQUIRE(sz > 0);
    Guarded blob(sz);
    size_t written = 0;
    CHECK(dsc_save(m, blob.data(), sz, &written) == DSC_OK);
    CHECK(written == sz);
    CHECK(blob.guards_intact());
    CHECK(g.guards_intact());
}

}  // namespace

TEST_CASE("api: dsc_arena_size(NULL) is 0") { CHECK(dsc_arena_size(nullptr) == 0); }

TEST_CASE("api: arena size is exact for every config in the matrix") {
    for (const ArenaCase &a : arena_matrix()) {
        INFO(describe(a));
        const dsc_config c = arena_config(a);
        REQUIRE(dsc_check_config(&c) == nullptr);
        const size_t need = dsc_arena_size(&c);
        REQUIRE(need > 0);
        std::vector<uint64_t> storage(need / 8 + 2);
        unsigned char *base = reinterpret_cast<unsigned char *>(storage.data());

        // One byte short: refused, and neither *out nor the arena is written.
        memset(base, 0x5A, storage.size() * 8);
        dsc_model *out = sentinel_model();
        CHECK(dsc_create(&c, base, need - 1, &out) == DSC_ERR_ARENA_TOO_SMALL);
        CHECK(out == sentinel_model());
        bool untouched = true;
        for (size_t i = 0; i < storage.size() * 8; ++i) untouched = untouched && base[i] == 0x5A;
        CHECK(untouched);

        // Exactly enough on an aligned buffer.
        out = sentinel_model();
        CHECK(dsc_create(&c, base, need, &out) == DSC_OK);
        CHECK(out != sentinel_model());

        // Misaligned starts need the padding to the next 8-byte boundary, and no more.
        for (size_t k = 1; k < DSC_ARENA_ALIGN; ++k) {
            CAPTURE(k);
            std::vector<uint64_t> st2((need + 16) / 8 + 2);
            unsigned char *p = reinterpret_cast<unsigned char *>(st2.data()) + k;
            const size_t pad = DSC_ARENA_ALIGN - k;
            out = sentinel_model();
            CHECK(dsc_create(&c, p, need, &out) == DSC_ERR_ARENA_TOO_SMALL);
            CHECK(out == sentinel_model());
            CHECK(dsc_create(&c, p, need + pad - 1, &out) == DSC_ERR_ARENA_TOO_SMALL);
            CHECK(out == sentinel_model());
            CHECK(dsc_create(&c, p, need + pad, &out) == DSC_OK);
            CHECK(reinterpret_cast<uintptr_t>(out) % DSC_ARENA_ALIGN == 0);
            out = sentinel_model();
            CHECK(dsc_create(&c, p, need + DSC_ARENA_ALIGN - 1, &out) == DSC_OK);
            CHECK(reinterpret_cast<uintptr_t>(out) % DSC_ARENA_ALIGN == 0);
        }
    }
}

// DSC_ARENA_BYTES is a macro of integer constants: usable as an array bound.
static uint64_t g_static_arena[DSC_ARENA_BYTES(9, 8, 1, 8, 1, 0, 0, 0) / 8];

TEST_CASE("api: DSC_ARENA_BYTES equals dsc_arena_size for every kind, solver and option") {
    // The resolution rules of descent.h's comment, restated here independently of the library.
    // A DESCENT_NEWTON=OFF build never standardizes nor runs NEWTON (its fits say UNSUPPORTED).
    const bool has_newton = [] {
        dsc_config c;
        dsc_config_init(&c, DSC_LINEAR, 1);
        c.solver = DSC_SOLVER_NEWTON;
        dsct::Model m(c);
        const float X[2] = {0.0f, 1.0f}, y[2] = {0.0f, 1.0f};
        return m.status == DSC_OK && dsc_fit(m.m, X, y, 2, nullptr) != DSC_ERR_UNSUPPORTED;
    }();
    const dsc_model_kind kinds[] = {DSC_LINEAR, DSC_LOGISTIC, DSC_POLYNOMIAL, DSC_LEGENDRE3, DSC_SOFTMAX};
    size_t checked = 0;
    for (dsc_model_kind kind : kinds)
    for (uint32_t K : {0u, 3u, 7u}) {  // SOFTMAX's classes (0: the other kinds)
        if ((kind == DSC_SOFTMAX) != (K != 0)) continue;
        const bool one_col = kind == DSC_POLYNOMIAL || kind == DSC_LEGENDRE3;
        for (uint32_t d : {1u, 2u, 7u, 8u, 32u, 255u, 300u}) {
            if (one_col && d != 1) continue;
            for (uint32_t degree : {1u, 3u, 15u}) {
                if (kind != DSC_POLYNOMIAL && degree != 3) continue;
                for (uint32_t batch : {0u, 1u, 7u, 8u, 16384u, 16385u}) {
                    for (uint32_t shuffle : {0u, 1u}) {
                        for (float momentum : {0.0f, 0.9f}) {
                            for (float lr : {0.0f, 0.01f}) {
                                for (uint32_t stdz : {0u, 1u, 2u}) {
                                    for (uint32_t solver : {0u, 1u, 2u})
                                    for (uint32_t extra : {0u, 1u, 2u, 3u}) {
                                        // extra: 1 = an L1 penalty, 2 = averaging, 3 = early
                                        // stopping (all GD only)
                                        dsc_config c;
                                        dsc_config_init(&c, kind, d);
                                        c.n_classes = K;
                                        c.alpha = extra == 1 ? 0.1f : 0.0f;
                                        c.average = extra == 2 ? 3u : 0u;
                                        c.early_stopping = extra == 3 ? 1u : 0u;
                                        c.degree = degree;
                                        c.batch_size = batch;
                                        c.shuffle = shuffle;
                                        c.momentum = momentum;
                                        c.lr = lr;
                                        c.standardize = stdz;
                                        c.solver = solver;
                                        if (dsc_check_config(&c) != nullptr) continue;
                                        const uint32_t p = kind == DSC_POLYNOMIAL ? degree + 1
                                                           : kind == DSC_LEGENDRE3 ? 4u
                                                           : kind == DSC_SOFTMAX  ? K * (d + 1)
                                                                                  : d + 1;
                                        const bool lr_auto = lr == 0.0f;
                                        const bool standardized =
                                            stdz == DSC_STANDARDIZE_ON ||
                                            (has_newton && stdz == DSC_STANDARDIZE_AUTO && lr_auto);
                                        const bool newton =
                                            solver == DSC_SOLVER_NEWTON ||
                                            (has_newton && solver == DSC_SOLVER_AUTO && lr_auto &&
                                             batch == 0 && p <= DSC_NEWTON_AUTO_MAX_PARAMS &&
                                             extra == 0);
                                        CAPTURE(kind);
                                        CAPTURE(K);
                                        CAPTURE(d);
                                        CAPTURE(degree);
                                        CAPTURE(batch);
                                        CAPTURE(shuffle);
                                        CAPTURE(momentum);
                                        CAPTURE(lr);
                                        CAPTURE(stdz);
                                        CAPTURE(solver);
                                        CAPTURE(extra);
                                        REQUIRE(DSC_ARENA_BYTES(p, d, momentum != 0.0f, batch,
                                                                shuffle, lr_auto, standardized,
                                                                newton) +
                                                    (extra == 2 ? DSC_ARENA_AVERAGE_BYTES(p) : 0u) +
                                                    (extra == 3 ? DSC_ARENA_EARLY_STOP_BYTES(p, batch) : 0u) ==
                                                dsc_arena_size(&c));
                                        ++checked;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    CHECK(checked > 3000);
    // The static array above holds the firmware budget case exactly.
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 8);
    c.momentum = 0.9f;
    c.batch_size = 8;
    c.lr = 0.01f;
    CHECK(sizeof g_static_arena == dsc_arena_size(&c));
    dsc_model *m = nullptr;
    CHECK(dsc_create(&c, g_static_arena, sizeof g_static_arena, &m) == DSC_OK);
}

TEST_CASE("api: create, fit, predict and save stay inside the arena for every config") {
    const std::vector<ArenaCase> matrix = arena_matrix();
    for (size_t i = 0; i < matrix.size(); ++i) {
        const ArenaCase &a = matrix[i];
        INFO(describe(a));
        const Data D = make_data(a.kind, a.d, arena_rows(a), 100 + a.kind);
        lifecycle_in(a, D, 0);
        // And once from a misaligned start (cycling the offset through 1..7).
        const size_t k = 1 + i % (DSC_ARENA_ALIGN - 1);
        CAPTURE(k);
        lifecycle_in(a, D, k);
    }
}

// =============================================================================================
// 4. Bad inputs to dsc_fit leave the model unchanged
// =============================================================================================

TEST_CASE("api: rejected fits change nothing") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    for (uint32_t kind : kKinds) {
        CAPTURE(kind);
        const uint32_t d = kind == DSC_LINEAR || kind == DSC_LOGISTIC ? 3 : 1;
        dsc_config c = valid_config(kind, d);
        c.momentum = 0.9f;  // so the blob carries a momentum buffer too
        c.batch_size = 8;
        c.max_epochs = 3;
        c.tol = 0.0f;  // and tolerance state
        c.n_iter_no_change = 50;
        if (kind == DSC_LEGENDRE3) c.lr = 1e-3f;
        Model M(c);
        if (kind == DSC_LEGENDRE3) REQUIRE(dsc_set_params(M.m, kLegendreStart, 4) == DSC_OK);
        const Data D = make_data(kind, d, 40, 7 + kind);
        REQUIRE(dsc_fit(M.m, D.X.data(), D.y.data(), D.n, nullptr) == DSC_OK);

        const std::vector<float> p0 = params_of(M.m);
        const std::vector<unsigned char> b0 = blob_of(M.m);

        auto expect_fail = [&](const char *what, dsc_model *m, const float *X, const float *y,
                               size_t n, dsc_status want) {
            INFO(what);
            dsc_fit_report rep;
            memset(&rep, 0xEE, sizeof rep);
            CHECK(dsc_fit(m, X, y, n, &rep) == want);
            CHECK(rep.message != nullptr);
            if (rep.message) CHECK(rep.message[0] != '\0');
            CHECK(rep.stop_reason == (uint32_t)DSC_STOP_NONE);
            CHECK(rep.epochs_run == 0u);
            CHECK(rep.steps == 0u);
            CHECK(dsc_fit(m, X, y, n, nullptr) == want);  // and without a report
            CHECK(bits_equal(params_of(M.m), p0));
            CHECK(blob_of(M.m) == b0);
        };

        expect_fail("NULL model", nullptr, D.X.data(), D.y.data(), D.n, DSC_ERR_INVALID_ARGUMENT);
        expect_fail("NULL X", M.m, nullptr, D.y.data(), D.n, DSC_ERR_INVALID_ARGUMENT);
        expect_fail("NULL y", M.m, D.X.data(), nullptr, D.n, DSC_ERR_INVALID_ARGUMENT);
        expect_fail("n 0", M.m, D.X.data(), D.y.data(), 0, DSC_ERR_INVALID_ARGUMENT);
        {
            // n * n_features * 4 overflows size_t: must be caught before reading anything.
            float tiny[4] = {0, 0, 0, 0};
            const size_t n_over = SIZE_MAX / sizeof(float) / d + 1;
            expect_fail("size overflow", M.m, tiny, tiny, n_over, DSC_ERR_SIZE_OVERFLOW);
            expect_fail("size overflow (SIZE_MAX rows)", M.m, tiny, tiny, SIZE_MAX,
                        DSC_ERR_SIZE_OVERFLOW);
        }
        const size_t nx = D.X.size();
        const size_t where_x[] = {0, nx / 2, nx - 1};
        const float bad_vals[] = {nan, inf, -inf};
        for (size_t w : where_x) {
            for (float v : bad_vals) {
                CAPTURE(w);
                CAPTURE(v);
                std::vector<float> X = D.X;
                X[w] = v;
                expect_fail("non-finite X", M.m, X.data(), D.y.data(), D.n,
                            DSC_ERR_NONFINITE_INPUT);
            }
        }
        const size_t where_y[] = {0, D.n / 2, D.n - 1};
        for (size_t w : where_y) {
            for (float v : bad_vals) {
                CAPTURE(w);
                CAPTURE(v);
                std::vector<float> y = D.y;
                y[w] = v;
                expect_fail("non-finite y", M.m, D.X.data(), y.data(), D.n,
                            DSC_ERR_NONFINITE_INPUT);
            }
        }
        if (kind == DSC_LOGISTIC) {
            const float bad_labels[] = {-0.5f, 1.5f, 1.0000001f, -1e-30f};
            for (size_t w : where_y) {
                for (float v : bad_labels) {
                    CAPTURE(w);
                    CAPTURE(v);
                    std::vector<float> y = D.y;
                    y[w] = v;
                    expect_fail("label out of range", M.m, D.X.data(), y.data(), D.n,
                                DSC_ERR_LABEL_RANGE);
                }
            }
            std::vector<float> y = D.y;
            y[D.n / 2] = nan;
            expect_fail("NaN label", M.m, D.X.data(), y.data(), D.n, DSC_ERR_NONFINITE_INPUT);
        }
        {
            // Garbage memory posing as a model.
            std::vector<uint64_t> zero(4096 / 8, 0);
            dsc_model *g = reinterpret_cast<dsc_model *>(zero.data());
            expect_fail("zeroed memory as model", g, D.X.data(), D.y.data(), D.n,
                        DSC_ERR_INVALID_ARGUMENT);
            bool still_zero = true;
            for (uint64_t w : zero) still_zero = still_zero && w == 0;
            CHECK(still_zero);
            std::vector<uint64_t> junk(4096 / 8, 0xA5A5A5A5A5A5A5A5ull);
            expect_fail("0xA5 memory as model", reinterpret_cast<dsc_model *>(junk.data()),
                        D.X.data(), D.y.data(), D.n, DSC_ERR_INVALID_ARGUMENT);
        }
        // Sanity: the same model still trains on the good data afterwards.
        dsc_fit_report rep;
        CHECK(dsc_fit(M.m, D.X.data(), D.y.data(), D.n, &rep) == DSC_OK);
        CHECK(rep.stop_reason != (uint32_t)DSC_STOP_NONE);
    }
}

TEST_CASE("api: logistic labels 0 and 1 (and values between) are accepted") {
    dsc_config c = valid_config(DSC_LOGISTIC, 2);
    c.max_epochs = 2;
    Model M(c);
    const float X[8] = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, -0.7f, 0.8f};
    const float y[4] = {0.0f, 1.0f, 0.5f, -0.0f};
    CHECK(dsc_fit(M.m, X, y, 4, nullptr) == DSC_OK);
}

TEST_CASE("api: shuffled minibatches refuse more than 2^32-1 rows before reading") {
    if (sizeof(size_t) < 8) return;
    dsc_config c = valid_config(DSC_LINEAR, 1);
    c.batch_size = 8;
    c.shuffle = 1;
    Model M(c);
    const std::vector<float> p0 = params_of(M.m);
    const std::vector<unsigned char> b0 = blob_of(M.m);
    float tiny[4] = {0, 0, 0, 0};
    dsc_fit_report rep;
    CHECK(dsc_fit(M.m, tiny, tiny, (size_t)0x100000000ull, &rep) == DSC_ERR_UNSUPPORTED);
    CHECK(rep.message != nullptr);
    CHECK(rep.stop_reason == (uint32_t)DSC_STOP_NONE);
    CHECK(bits_equal(params_of(M.m), p0));
    CHECK(blob_of(M.m) == b0);
}

// =============================================================================================
// 5. Prediction, loss and parameter entry points: argument checks
// =============================================================================================

TEST_CASE("api: predict / logit / label / loss argument checks") {
    for (uint32_t kind : kKinds) {
        CAPTURE(kind);
        const uint32_t d = kind == DSC_LINEAR || kind == DSC_LOGISTIC ? 2 : 1;
        Model M(valid_config(kind, d));
        const Data D = make_data(kind, d, 16, 3);
        std::vector<unsigned char> zero(4096, 0);
        const dsc_model *garbage = reinterpret_cast<const dsc_model *>(zero.data());
        typedef dsc_status (*PredFn)(const dsc_model *, const float *, size_t, float *);
        const PredFn fns[] = {dsc_predict, dsc_predict_logit, dsc_predict_label};
        const char *names[] = {"predict", "predict_logit", "predict_label"};
        for (int f = 0; f < 3; ++f) {
            INFO(names[f]);
            std::vector<float> out(D.n, -3.0f);
            auto untouched = [&] {
                for (float v : out)
                    if (v != -3.0f) return false;
                return true;
            };
            CHECK(fns[f](nullptr, D.X.data(), D.n, out.data()) == DSC_ERR_INVALID_ARGUMENT);
            CHECK(fns[f](garbage, D.X.data(), D.n, out.data()) == DSC_ERR_INVALID_ARGUMENT);
            CHECK(fns[f](M.m, nullptr, D.n, out.data()) == DSC_ERR_INVALID_ARGUMENT);
            CHECK(fns[f](M.m, D.X.data(), D.n, nullptr) == DSC_ERR_INVALID_ARGUMENT);
            CHECK(fns[f](M.m, D.X.data(), 0, out.data()) == DSC_ERR_INVALID_ARGUMENT);
            float tiny[4] = {0, 0, 0, 0};
            CHECK(fns[f](M.m, tiny, SIZE_MAX / sizeof(float) / d + 1, out.data()) ==
                  DSC_ERR_SIZE_OVERFLOW);
            CHECK(untouched());
            if (f == 2 && kind != DSC_LOGISTIC) {
                CHECK(fns[f](M.m, D.X.data(), D.n, out.data()) == DSC_ERR_UNSUPPORTED);
                CHECK(untouched());
            } else {
                CHECK(fns[f](M.m, D.X.data(), D.n, out.data()) == DSC_OK);
                CHECK_FALSE(untouched());
            }
        }
        float loss = -5.0f;
        CHECK(dsc_loss(nullptr, D.X.data(), D.y.data(), D.n, &loss) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(garbage, D.X.data(), D.y.data(), D.n, &loss) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(M.m, nullptr, D.y.data(), D.n, &loss) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(M.m, D.X.data(), nullptr, D.n, &loss) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(M.m, D.X.data(), D.y.data(), D.n, nullptr) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(M.m, D.X.data(), D.y.data(), 0, &loss) == DSC_ERR_INVALID_ARGUMENT);
        float tiny[4] = {0, 0, 0, 0};
        CHECK(dsc_loss(M.m, tiny, tiny, SIZE_MAX / sizeof(float) / d + 1, &loss) ==
              DSC_ERR_SIZE_OVERFLOW);
        std::vector<float> ybad = D.y;
        ybad[3] = std::numeric_limits<float>::quiet_NaN();
        CHECK(dsc_loss(M.m, D.X.data(), ybad.data(), D.n, &loss) == DSC_ERR_NONFINITE_INPUT);
        CHECK(loss == -5.0f);
        CHECK(dsc_loss(M.m, D.X.data(), D.y.data(), D.n, &loss) == DSC_OK);
        CHECK(loss != -5.0f);
        CHECK(std::isfinite(loss));
        CHECK(loss >= 0.0f);
    }
}

TEST_CASE("api: dsc_param_count per kind") {
    {
        Model M(valid_config(DSC_LINEAR, 3));
        CHECK(dsc_param_count(M.m) == 4u);
    }
    {
        Model M(valid_config(DSC_LOGISTIC, 3));
        CHECK(dsc_param_count(M.m) == 4u);
    }
    {
        dsc_config c = valid_config(DSC_POLYNOMIAL);
        c.degree = 5;
        Model M(c);
        CHECK(dsc_param_count(M.m) == 6u);
    }
    {
        dsc_config c = valid_config(DSC_POLYNOMIAL);
        c.degree = 0;
        Model M(c);
        CHECK(dsc_param_count(M.m) == 1u);
    }
    {
        dsc_config c = valid_config(DSC_POLYNOMIAL);
        c.degree = DSC_MAX_POLY_DEGREE;
        Model M(c);
        CHECK(dsc_param_count(M.m) == DSC_MAX_POLY_DEGREE + 1);
    }
    {
        Model M(valid_config(DSC_LEGENDRE3));
        CHECK(dsc_param_count(M.m) == 4u);
    }
    CHECK(dsc_param_count(nullptr) == 0u);
    std::vector<uint64_t> zero(512, 0);
    CHECK(dsc_param_count(reinterpret_cast<const dsc_model *>(zero.data())) == 0u);
}

TEST_CASE("api: dsc_get_params / dsc_set_params checks") {
    Model M(valid_config(DSC_LINEAR, 3));
    const float p[4] = {0.5f, -1.0f, 2.0f, 0.25f};
    REQUIRE(dsc_set_params(M.m, p, 4) == DSC_OK);

    SUBCASE("get: new model starts at zero") {
        Model N(valid_config(DSC_LOGISTIC, 5));
        const std::vector<float> z = params_of(N.m);
        REQUIRE(z.size() == 6u);
        for (float v : z) CHECK(v == 0.0f);
    }
    SUBCASE("get: round trip and buffer checks") {
        float out[6];
        for (float &v : out) v = 9.0f;
        CHECK(dsc_get_params(M.m, out, 3) == DSC_ERR_BUFFER_TOO_SMALL);
        CHECK(dsc_get_params(M.m, out, 0) == DSC_ERR_BUFFER_TOO_SMALL);
        for (float v : out) CHECK(v == 9.0f);
        CHECK(dsc_get_params(nullptr, out, 6) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_get_params(M.m, nullptr, 6) == DSC_ERR_INVALID_ARGUMENT);
        for (float v : out) CHECK(v == 9.0f);
        CHECK(dsc_get_params(M.m, out, 6) == DSC_OK);  // a larger buffer is fine
        CHECK(memcmp(out, p, sizeof p) == 0);
        CHECK(out[4] == 9.0f);  // nothing past the parameters
        CHECK(out[5] == 9.0f);
    }
    SUBCASE("set: wrong count") {
        const float q[5] = {1, 2, 3, 4, 5};
        CHECK(dsc_set_params(M.m, q, 3) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_set_params(M.m, q, 5) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_set_params(M.m, q, 0) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_set_params(M.m, nullptr, 4) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_set_params(nullptr, q, 4) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(bits_equal(params_of(M.m), std::vector<float>(p, p + 4)));
    }
    SUBCASE("set: non-finite values are refused and nothing changes") {
        const float bad[3] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()};
        const std::vector<unsigned char> b0 = blob_of(M.m);
        for (int pos = 0; pos < 4; ++pos) {
            for (float v : bad) {
                CAPTURE(pos);
                CAPTURE(v);
                float q[4] = {7, 7, 7, 7};
                q[pos] = v;
                CHECK(dsc_set_params(M.m, q, 4) == DSC_ERR_NONFINITE_INPUT);
                CHECK(bits_equal(params_of(M.m), std::vector<float>(p, p + 4)));
                CHECK(blob_of(M.m) == b0);
            }
        }
    }
    SUBCASE("set restarts the training state") {
        dsc_config c = valid_config(DSC_LINEAR, 3);
        c.momentum = 0.9f;
        c.lr = 0.05f;
        c.max_epochs = 4;
        Model A(c);
        const Data D = make_data(DSC_LINEAR, 3, 32, 5);
        const std::vector<unsigned char> fresh = blob_of(A.m);
        REQUIRE(dsc_fit(A.m, D.X.data(), D.y.data(), D.n, nullptr) == DSC_OK);
        CHECK(blob_of(A.m) != fresh);
        const float z[4] = {0, 0, 0, 0};
        REQUIRE(dsc_set_params(A.m, z, 4) == DSC_OK);
        CHECK(blob_of(A.m) == fresh);  // as if just created with these parameters
    }
}

// =============================================================================================
// 6. Strings
// =============================================================================================

TEST_CASE("api: status, stop reason and backend strings") {
    std::set<std::string> seen;
    for (int s = 0; s <= 10; ++s) {
        CAPTURE(s);
        const char *t = dsc_status_string((dsc_status)s);
        REQUIRE(t != nullptr);
        CHECK(t[0] != '\0');
        CHECK(std::string(t) != "unknown status");
        seen.insert(t);
    }
    CHECK(seen.size() == 11u);
    const char *unk = dsc_status_string((dsc_status)100);
    REQUIRE(unk != nullptr);
    CHECK(std::string(unk) == "unknown status");

    std::set<std::string> reasons;
    for (int r = 0; r <= 9; ++r) {
        CAPTURE(r);
        const char *t = dsc_stop_reason_string((dsc_stop_reason)r);
        REQUIRE(t != nullptr);
        CHECK(t[0] != '\0');
        CHECK_FALSE(contains_ci(t, "unknown"));
        reasons.insert(t);
    }
    CHECK(reasons.size() == 10u);
    const char *unr = dsc_stop_reason_string((dsc_stop_reason)100);
    REQUIRE(unr != nullptr);
    CHECK(contains_ci(unr, "unknown"));
    CHECK(reasons.count(unr) == 0u);

    for (uint32_t kind : kKinds) {
        Model M(valid_config(kind));
        const char *name = dsc_backend_name(M.m);
        REQUIRE(name != nullptr);
        CHECK(name[0] != '\0');
        CHECK(std::string(name) != "invalid");
    }
    dsc_config c = valid_config(DSC_LINEAR, 2);
    c.backend = DSC_BACKEND_SCALAR;
    Model S(c);
    CHECK(std::string(dsc_backend_name(S.m)) == "scalar");
    CHECK(std::string(dsc_backend_name(nullptr)) == "invalid");
    std::vector<uint64_t> zero(512, 0);
    CHECK(std::string(dsc_backend_name(reinterpret_cast<const dsc_model *>(zero.data()))) ==
          "invalid");
}

// =============================================================================================
// 7. Predictions against closed forms
// =============================================================================================

TEST_CASE("api: linear predictions are b + w.x") {
    const uint32_t d = 5;
    Model M(valid_config(DSC_LINEAR, d));
    const float p[d + 1] = {0.75f, -1.5f, 2.25f, 0.125f, -3.0f, 0.5f};
    REQUIRE(dsc_set_params(M.m, p, d + 1) == DSC_OK);
    Rng r(99);
    const size_t n = 7;
    std::vector<float> X(n * d);
    for (float &x : X) x = r.uniform(-4.0f, 4.0f);
    std::vector<float> out(n), logit(n), lab(n, 5.0f);
    REQUIRE(dsc_predict(M.m, X.data(), n, out.data()) == DSC_OK);
    REQUIRE(dsc_predict_logit(M.m, X.data(), n, logit.data()) == DSC_OK);
    for (size_t i = 0; i < n; ++i) {
        double want = p[0];
        for (uint32_t j = 0; j < d; ++j) want += (double)p[j + 1] * X[i * d + j];
        CAPTURE(i);
        CHECK(out[i] == doctest::Approx(want).epsilon(1e-6));
        CHECK(logit[i] == out[i]);  // for non-logistic kinds the logit is the prediction
    }
    CHECK(dsc_predict_label(M.m, X.data(), n, lab.data()) == DSC_ERR_UNSUPPORTED);
    for (float v : lab) CHECK(v == 5.0f);
}

TEST_CASE("api: logistic probabilities, logits and labels") {
    Model M(valid_config(DSC_LOGISTIC, 1));
    SUBCASE("moderate logits") {
        const float p[2] = {0.3f, -1.7f};
        REQUIRE(dsc_set_params(M.m, p, 2) == DSC_OK);
        const float X[] = {-3.0f, -1.0f, -0.2f, 0.0f, 0.1764706f, 0.5f, 2.0f, 6.0f};
        const size_t n = sizeof X / sizeof X[0];
        float prob[n], logit[n], lab[n];
        REQUIRE(dsc_predict(M.m, X, n, prob) == DSC_OK);
        REQUIRE(dsc_predict_logit(M.m, X, n, logit) == DSC_OK);
        REQUIRE(dsc_predict_label(M.m, X, n, lab) == DSC_OK);
        for (size_t i = 0; i < n; ++i) {
            CAPTURE(i);
            const double z = (double)p[0] + (double)p[1] * X[i];
            CHECK(logit[i] == doctest::Approx(z).epsilon(1e-6));
            CHECK(prob[i] == doctest::Approx(1.0 / (1.0 + std::exp(-z))).epsilon(1e-6));
            CHECK(prob[i] >= 0.0f);
            CHECK(prob[i] <= 1.0f);
            CHECK((lab[i] == 0.0f || lab[i] == 1.0f));
            // label 1 exactly where the computed probability is >= 0.5
            CHECK(lab[i] == (prob[i] >= 0.5f ? 1.0f : 0.0f));
            if (std::fabs(z) > 1e-3) CHECK(lab[i] == (z > 0 ? 1.0f : 0.0f));
        }
    }
    SUBCASE("logit exactly 0 gives probability 0.5 and label 1") {
        const float p[2] = {0.0f, 1.0f};
        REQUIRE(dsc_set_params(M.m, p, 2) == DSC_OK);
        const float X[1] = {0.0f};
        float prob[1], lab[1];
        REQUIRE(dsc_predict(M.m, X, 1, prob) == DSC_OK);
        REQUIRE(dsc_predict_label(M.m, X, 1, lab) == DSC_OK);
        CHECK(prob[0] == 0.5f);
        CHECK(lab[0] == 1.0f);
    }
    SUBCASE("extreme logits saturate without NaN") {
        const float p[2] = {0.0f, 1.0f};  // logit = x
        REQUIRE(dsc_set_params(M.m, p, 2) == DSC_OK);
        const float X[] = {100.0f, -100.0f, 1e4f, -1e4f, 3e38f, -3e38f, 88.8f, -88.8f, -104.0f};
        const size_t n = sizeof X / sizeof X[0];
        float prob[n], logit[n], lab[n];
        REQUIRE(dsc_predict(M.m, X, n, prob) == DSC_OK);
        REQUIRE(dsc_predict_logit(M.m, X, n, logit) == DSC_OK);
        REQUIRE(dsc_predict_label(M.m, X, n, lab) == DSC_OK);
        for (size_t i = 0; i < n; ++i) {
            CAPTURE(X[i]);
            CHECK(logit[i] == X[i]);
            CHECK_FALSE(std::isnan(prob[i]));
            CHECK(prob[i] >= 0.0f);
            CHECK(prob[i] <= 1.0f);
            const double want = 1.0 / (1.0 + std::exp(-(double)X[i]));
            CHECK(prob[i] == doctest::Approx(want).epsilon(1e-6));
            CHECK(lab[i] == (X[i] > 0 ? 1.0f : 0.0f));
        }
        CHECK(prob[0] == 1.0f);
        CHECK(prob[2] == 1.0f);
        CHECK(prob[3] == 0.0f);
        CHECK(prob[1] > 0.0f);  // exp(-100) ~ 3.7e-44 is representable (subnormal)
        CHECK(prob[1] < 1e-40f);
    }
}

TEST_CASE("api: polynomial predictions match the closed form") {
    dsc_config c = valid_config(DSC_POLYNOMIAL);
    c.degree = 5;
    Model M(c);
    const float p[6] = {0.5f, -1.25f, 0.75f, 2.0f, -0.5f, 0.125f};
    REQUIRE(dsc_set_params(M.m, p, 6) == DSC_OK);
    const float X[] = {-2.0f, -1.0f, -0.3f, 0.0f, 0.6f, 1.0f, 1.7f};
    const size_t n = sizeof X / sizeof X[0];
    float out[n], logit[n];
    REQUIRE(dsc_predict(M.m, X, n, out) == DSC_OK);
    REQUIRE(dsc_predict_logit(M.m, X, n, logit) == DSC_OK);
    for (size_t i = 0; i < n; ++i) {
        CAPTURE(X[i]);
        double want = 0.0, xp = 1.0;
        for (int k = 0; k <= 5; ++k) {
            want += (double)p[k] * xp;
            xp *= X[i];
        }
        CHECK(out[i] == doctest::Approx(want).epsilon(1e-6));
        CHECK(logit[i] == out[i]);
    }
    CHECK(out[3] == p[0]);  // x = 0: the constant term exactly
}

TEST_CASE("api: legendre3 predictions match the closed form") {
    Model M(valid_config(DSC_LEGENDRE3));
    const float p[4] = {0.25f, -1.5f, 0.1f, 0.8f};
    REQUIRE(dsc_set_params(M.m, p, 4) == DSC_OK);
    const float X[] = {-1.5f, -1.0f, -0.125f, 0.0f, 0.4f, 1.0f, 2.0f};
    const size_t n = sizeof X / sizeof X[0];
    float out[n], logit[n];
    REQUIRE(dsc_predict(M.m, X, n, out) == DSC_OK);
    REQUIRE(dsc_predict_logit(M.m, X, n, logit) == DSC_OK);
    for (size_t i = 0; i < n; ++i) {
        CAPTURE(X[i]);
        const double t = (double)p[2] + (double)p[3] * X[i];
        const double want = (double)p[0] + (double)p[1] * (5.0 * t * t * t - 3.0 * t) / 2.0;
        CHECK(out[i] == doctest::Approx(want).epsilon(1e-6));
        CHECK(logit[i] == out[i]);
    }
    // At x with t = 1, P3 = 1; at t = 0, P3 = 0.
    const float q[4] = {0.5f, 2.0f, 0.0f, 1.0f};
    REQUIRE(dsc_set_params(M.m, q, 4) == DSC_OK);
    const float X2[3] = {1.0f, 0.0f, -1.0f};
    float o2[3];
    REQUIRE(dsc_predict(M.m, X2, 3, o2) == DSC_OK);
    CHECK(o2[0] == doctest::Approx(2.5).epsilon(1e-6));
    CHECK(o2[1] == doctest::Approx(0.5).epsilon(1e-6));
    CHECK(o2[2] == doctest::Approx(-1.5).epsilon(1e-6));
}

// =============================================================================================
// 8. Divergence
// =============================================================================================

namespace {

// `slow`: a rate only moderately too large, so the blow-up spans several epochs.
float divergent_lr(uint32_t kind, bool slow = false) {
    if (slow) {
        switch (kind) {
            case DSC_LEGENDRE3: return 2.0f;
            case DSC_LOGISTIC: return 1e38f;
            default: return 5.0f;
        }
    }
    switch (kind) {
        case DSC_LEGENDRE3: return 1e3f;
        // BCE's gradient is bounded by |x|, so the parameters only grow by about lr per step
        // (and stop growing once separable data is separated): overflowing the float range
        // needs a rate near it, and labels that no hyperplane separates.
        case DSC_LOGISTIC: return 3e38f;
        default: return 1e6f;
    }
}

dsc_config divergent_config(uint32_t kind, uint32_t batch, uint32_t shuffle, uint32_t epochs,
                            bool slow = false) {
    dsc_config c = valid_config(kind, 3);
    c.lr = divergent_lr(kind, slow);
    c.batch_size = batch;
    c.shuffle = shuffle;
    c.max_epochs = epochs;
    c.seed = 1234;
    return c;
}

// Divergence data: for logistic, coin-flip labels, so the gradient never vanishes.
Data divergent_data(uint32_t kind, uint32_t d, size_t n, uint64_t seed) {
    Data D = make_data(kind, d, n, seed);
    if (kind == DSC_LOGISTIC) {
        Rng r(seed ^ 0x5555);
        for (float &y : D.y) y = (float)(r.next() >> 63);
    }
    return D;
}

void set_start(dsc_model *m, uint32_t kind) {
    if (kind == DSC_LEGENDRE3) REQUIRE(dsc_set_params(m, kLegendreStart, 4) == DSC_OK);
}

}  // namespace

TEST_CASE("api: divergence stops with the lowest-loss parameters the fit passed through") {
    const uint32_t kMaxEpochs = 5000;
    const size_t n = 64;
    struct Mode {
        uint32_t batch, shuffle;
        bool slow;
    };
    const Mode modes[] = {{0, 1, false}, {8, 0, false}, {8, 1, false},
                          {0, 1, true},  {8, 0, true},  {8, 1, true}};
    for (uint32_t kind : kKinds) {
        for (const Mode &md : modes) {
            CAPTURE(kind);
            CAPTURE(md.batch);
            CAPTURE(md.shuffle);
            CAPTURE(md.slow);
            dsc_config c = divergent_config(kind, md.batch, md.shuffle, kMaxEpochs, md.slow);
            // Record each epoch's loss: the kept parameters are those of the lowest one.
            std::vector<float> losses;
            c.on_epoch = [](void *u, uint32_t, float loss) {
                static_cast<std::vector<float> *>(u)->push_back(loss);
                return 0;
            };
            c.user = &losses;
            const Data D = divergent_data(kind, c.n_features, n, 500 + kind);
            Model A(c);
            set_start(A.m, kind);
            const std::vector<float> start = params_of(A.m);

            dsc_fit_report rep;
            const dsc_status s = dsc_fit(A.m, D.X.data(), D.y.data(), D.n, &rep);
            REQUIRE(s == DSC_ERR_DIVERGED);
            CHECK(rep.stop_reason == (uint32_t)DSC_STOP_DIVERGED);
            REQUIRE(rep.message != nullptr);
            CHECK(rep.message[0] != '\0');
            REQUIRE(rep.epochs_run >= 1u);
            CHECK(rep.epochs_run <= kMaxEpochs);
            const std::vector<float> left = params_of(A.m);
            CHECK(all_finite(left));
            // The callback saw every finite epoch loss; the diverging epoch reported none.
            uint32_t best = 0;
            for (uint32_t e = 0; e < losses.size(); ++e)
                if (std::isfinite(losses[e]) && (best == 0 || losses[e] < losses[best - 1])) best = e + 1;
            if (best == 0) {  // no finite epoch: nothing better than the start was seen
                CHECK(bits_equal(left, start));
                continue;
            }
            // Full batch: epoch e's loss is that of the params before its step (after e - 1
            // epochs); minibatch: it accrues along the epoch, and the params at its end are kept.
            const uint32_t replay = md.batch ? best : best - 1;
            std::vector<float> expect = start;
            if (replay > 0) {
                Model B(divergent_config(kind, md.batch, md.shuffle, replay, md.slow));
                set_start(B.m, kind);
                dsc_fit_report rb;
                REQUIRE(dsc_fit(B.m, D.X.data(), D.y.data(), D.n, &rb) == DSC_OK);
                CHECK(rb.stop_reason == (uint32_t)DSC_STOP_MAX_EPOCHS);
                expect = params_of(B.m);
            }
            CHECK(bits_equal(left, expect));
        }
    }
}

TEST_CASE("api: divergence with momentum keeps finite parameters and a loadable model") {
    for (uint32_t kind : kKinds) {
        for (uint32_t batch : {0u, 8u}) {
            CAPTURE(kind);
            CAPTURE(batch);
            dsc_config c = divergent_config(kind, batch, 1, 5000);
            c.momentum = 0.9f;
            const Data D = divergent_data(kind, c.n_features, 64, 900 + kind);
            Model A(c);
            set_start(A.m, kind);
            dsc_fit_report rep;
            REQUIRE(dsc_fit(A.m, D.X.data(), D.y.data(), D.n, &rep) == DSC_ERR_DIVERGED);
            CHECK(rep.stop_reason == (uint32_t)DSC_STOP_DIVERGED);
            CHECK(all_finite(params_of(A.m)));
            // The model that a diverged fit leaves behind is still a model: it predicts,
            // saves, and its blob loads back.
            std::vector<float> out(D.n);
            CHECK(dsc_predict_logit(A.m, D.X.data(), D.n, out.data()) == DSC_OK);
            const std::vector<unsigned char> blob = blob_of(A.m);
            size_t need = 0;
            CHECK(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
            if (need > 0) {
                std::vector<uint64_t> arena(need / 8 + 1);
                dsc_model *L = nullptr;
                CHECK(dsc_load(blob.data(), blob.size(), arena.data(), need, &L) == DSC_OK);
                if (L) CHECK(bits_equal(params_of(L), params_of(A.m)));
            }
        }
    }
}

TEST_CASE("api: a diverged momentum model saves a blob that loads back") {
    // legendre3 at x = 0 with c = 0: t = 0, P3(0) = 0, P3'(0) = -1.5. The loss (a - y)^2 is
    // finite, but the gradient of c, 2 (a - y) b P3'(t), overflows float for b = 1e37: the very
    // first step is refused, so the fit diverges with the start parameters kept. The momentum
    // buffer must not keep the refused step's non-finite values either: the saved blob has to
    // load back.
    dsc_config c = valid_config(DSC_LEGENDRE3);
    c.lr = 1e-3f;
    c.momentum = 0.9f;
    Model A(c);
    const float start[4] = {0.0f, 1e37f, 0.0f, 0.3f};
    REQUIRE(dsc_set_params(A.m, start, 4) == DSC_OK);
    const float X[2] = {0.0f, 0.0f}, y[2] = {100.0f, 100.0f};
    dsc_fit_report rep;
    REQUIRE(dsc_fit(A.m, X, y, 2, &rep) == DSC_ERR_DIVERGED);
    CHECK(rep.stop_reason == (uint32_t)DSC_STOP_DIVERGED);
    CHECK(rep.steps == 0u);
    CHECK(bits_equal(params_of(A.m), std::vector<float>(start, start + 4)));
    const std::vector<unsigned char> blob = blob_of(A.m);
    size_t need = 0;
    CHECK(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
    std::vector<uint64_t> arena(1024);
    dsc_model *L = nullptr;
    CHECK(dsc_load(blob.data(), blob.size(), arena.data(), arena.size() * 8, &L) == DSC_OK);
    if (L) CHECK(bits_equal(params_of(L), params_of(A.m)));
}

TEST_CASE("api: dsc_loss refuses out-of-range logistic labels without writing") {
    Model M(valid_config(DSC_LOGISTIC, 1));
    const float X[3] = {0.1f, 0.2f, 0.3f};
    const float y[3] = {0.0f, 1.5f, 1.0f};
    float loss = -5.0f;
    CHECK(dsc_loss(M.m, X, y, 3, &loss) == DSC_ERR_LABEL_RANGE);
    CHECK(loss == -5.0f);
    const float ok[3] = {0.0f, 1.0f, 1.0f};
    CHECK(dsc_loss(M.m, X, ok, 3, &loss) == DSC_OK);
    // All-zero parameters: p = 0.5 everywhere, so the mean BCE is log 2.
    CHECK(loss == doctest::Approx(std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("api: reset / get_config / set_callback argument checks") {
    dsc_config c = valid_config(DSC_LINEAR, 2);
    c.lr = 0.1f;
    c.momentum = 0.5f;
    Model M(c);
    const std::vector<unsigned char> fresh = blob_of(M.m);
    std::vector<uint64_t> zero(512, 0);
    dsc_model *garbage = reinterpret_cast<dsc_model *>(zero.data());
    CHECK(dsc_reset(nullptr) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_reset(garbage) == DSC_ERR_INVALID_ARGUMENT);
    dsc_config out;
    memset(&out, 0x77, sizeof out);
    dsc_config before = out;
    CHECK(dsc_get_config(nullptr, &out) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_get_config(garbage, &out) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_get_config(M.m, nullptr) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(&out, &before, sizeof out) == 0);
    CHECK(dsc_set_callback(nullptr, nullptr, nullptr) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_set_callback(garbage, nullptr, nullptr) == DSC_ERR_INVALID_ARGUMENT);
    bool still_zero = true;
    for (uint64_t w : zero) still_zero = still_zero && w == 0;
    CHECK(still_zero);

    CHECK(dsc_get_config(M.m, &out) == DSC_OK);
    CHECK(out.struct_size == sizeof(dsc_config));
    CHECK(out.kind == (uint32_t)DSC_LINEAR);
    CHECK(out.n_features == 2u);
    CHECK(out.lr == 0.1f);
    CHECK(out.momentum == 0.5f);

    const Data D = make_data(DSC_LINEAR, 2, 32, 77);
    REQUIRE(dsc_fit(M.m, D.X.data(), D.y.data(), D.n, nullptr) == DSC_OK);
    CHECK(blob_of(M.m) != fresh);
    CHECK(dsc_reset(M.m) == DSC_OK);
    CHECK(blob_of(M.m) == fresh);  // zero parameters, fresh training state
}
