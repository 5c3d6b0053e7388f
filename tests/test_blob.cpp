// Save / load: round trips, exact resume, corruption, field-by-field validation behind the
// CRC, predictor blobs, and committed blob files that pin the little-endian format.
//
// The blob layout (lib/src/blob.cpp) is restated below as offsets, read and written here with
// explicit little-endian byte arithmetic and checked with a CRC-32 implemented in this file,
// so nothing here trusts the library's own reader, writer or CRC.
#include <descent.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

// ---- format facts, restated independently of blob.cpp -------------------------------------
namespace off {
constexpr size_t magic = 0, version = 4, flags = 6, total = 8, kind = 12, n_features = 16,
                 degree = 20, n_params = 24;
// full blob: config
constexpr size_t reduction = 28, batch_size = 32, shuffle = 36, max_epochs = 40, nesterov = 44,
                 schedule = 48, n_iter_no_change = 52, backend = 56, seed = 60, lr = 68,
                 momentum = 72, dampening = 76, weight_decay = 80, power_t = 84, tol = 88;
// full blob: training state
constexpr size_t step = 92, epoch = 100, has_buf = 104, no_improve = 108, st_lr = 112,
                 best_loss = 116, prev_loss = 120;
// format 2: standardization, solver and their state, then the arrays
constexpr size_t standardize = 124, solver = 128, has_stats = 132, conv_tol = 136, damping = 140;
// format 3: penalty, averaging and their state
constexpr size_t alpha = 144, l1_ratio = 148, average = 152, prev_obj = 156, seen = 160,
                 avg_count = 168;
// format 4: the robust losses
constexpr size_t loss = 176, epsilon = 180;
// format 5: early stopping and class weights
constexpr size_t early_stopping = 184, validation_fraction = 188, class_weight0 = 192, class_weight1 = 196;
constexpr size_t params_full = 200, params_full_v4 = 184, params_full_v3 = 176, params_full_v2 = 144, params_full_v1 = 124, params_predictor = 28;
}  // namespace off
constexpr size_t kHeader = 28;

// Bitwise CRC-32 (IEEE 802.3, reflected 0xEDB88320, init ~0, final ~0): no table, nothing
// shared with the library's nibble-table version.
uint32_t ref_crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

uint16_t rd16(const Bytes &b, size_t o) { return (uint16_t)(b[o] | (b[o + 1] << 8)); }
uint32_t rd32(const Bytes &b, size_t o) {
    return (uint32_t)b[o] | ((uint32_t)b[o + 1] << 8) | ((uint32_t)b[o + 2] << 16) |
           ((uint32_t)b[o + 3] << 24);
}
uint64_t rd64(const Bytes &b, size_t o) { return rd32(b, o) | ((uint64_t)rd32(b, o + 4) << 32); }
float rdf32(const Bytes &b, size_t o) {
    uint32_t u = rd32(b, o);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
void wr16(Bytes &b, size_t o, uint16_t v) {
    b[o] = (uint8_t)v;
    b[o + 1] = (uint8_t)(v >> 8);
}
void wr32(Bytes &b, size_t o, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[o + i] = (uint8_t)(v >> (8 * i));
}
void wr64(Bytes &b, size_t o, uint64_t v) {
    wr32(b, o, (uint32_t)v);
    wr32(b, o + 4, (uint32_t)(v >> 32));
}
void wrf32(Bytes &b, size_t o, float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    wr32(b, o, u);
}
uint32_t stored_crc(const Bytes &b) { return rd32(b, b.size() - 4); }
void fix_crc(Bytes &b) { wr32(b, b.size() - 4, ref_crc32(b.data(), b.size() - 4)); }

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// ---- arenas -------------------------------------------------------------------------------
// Heap blocks of exactly the requested size, so AddressSanitizer sees any access past the end.
// operator new[] returns memory aligned for any fundamental type (>= 8 bytes).
struct Arena {
    std::unique_ptr<unsigned char[]> mem;
    size_t size;
    explicit Arena(size_t n) : mem(new unsigned char[n ? n : 1]), size(n) {
        std::memset(mem.get(), 0xA5, n ? n : 1);
    }
    unsigned char *data() { return mem.get(); }
};

// ---- deterministic problems ----------------------------------------------------------------
struct Data {
    uint32_t d = 1;
    size_t n = 0;
    std::vector<float> X, y;
};

float p3(float t) { return (5.0f * t * t * t - 3.0f * t) / 2.0f; }

// Integer-derived rows; 37 is not a multiple of the minibatch size 8, so the last batch is short.
Data make_data(uint32_t kind, size_t n = 37) {
    Data D;
    D.n = n;
    D.d = kind == DSC_LINEAR ? 3 : kind == DSC_LOGISTIC ? 4 : 1;
    D.X.resize(n * D.d);
    D.y.resize(n);
    for (size_t i = 0; i < n; ++i) {
        float *x = &D.X[i * D.d];
        const float noise = (float)((int)((i * 13) % 7) - 3) * 0.01f;
        if (kind == DSC_LINEAR) {
            for (uint32_t j = 0; j < 3; ++j) x[j] = (float)((int)((i * 7 + j * 11 + 3) % 19) - 9) / 9.0f;
            D.y[i] = 0.5f + 1.5f * x[0] - 2.0f * x[1] + 0.25f * x[2] + noise;
        } else if (kind == DSC_LOGISTIC) {
            for (uint32_t j = 0; j < 4; ++j) x[j] = (float)((int)((i * 5 + j * 13 + 1) % 23) - 11) / 11.0f;
            const float z = 0.3f + 2.0f * x[0] - x[1] + 0.5f * x[2] - 1.5f * x[3] +
                            (float)((int)((i * 17) % 5) - 2) * 0.4f;
            D.y[i] = z > 0.0f ? 1.0f : 0.0f;
        } else {
            x[0] = -1.0f + 2.0f * (float)i / (float)(n - 1);
            if (kind == DSC_POLYNOMIAL)
                D.y[i] = 0.3f - x[0] + 0.5f * x[0] * x[0] * x[0] + noise;
            else
                D.y[i] = 0.2f - 0.8f * p3(0.1f + 0.7f * x[0]) + noise;
        }
    }
    return D;
}

enum Opt { kFullPlain = 0, kMiniNesterov = 1, kDecayInvscaling = 2, kAdaptive = 3 };
const char *const kOptNames[] = {"full-batch plain", "minibatch 8 momentum 0.9 nesterov shuffle",
                                 "full-batch weight decay + invscaling", "adaptive tol 1e-4"};
const uint32_t kKinds[] = {DSC_LINEAR, DSC_LOGISTIC, DSC_POLYNOMIAL, DSC_LEGENDRE3};
const char *kind_name(uint32_t k) {
    return k == DSC_LINEAR ? "linear d=3" : k == DSC_LOGISTIC ? "logistic d=4"
         : k == DSC_POLYNOMIAL ? "polynomial degree 3" : "legendre3";
}

struct Case {
    uint32_t kind;
    Opt opt;
    std::string name() const { return std::string(kind_name(kind)) + " / " + kOptNames[opt]; }
};

std::vector<Case> all_cases() {
    std::vector<Case> v;
    for (uint32_t k : kKinds)
        for (int o = 0; o < 4; ++o) v.push_back(Case{k, (Opt)o});
    return v;
}

dsc_config make_config(const Case &c, uint32_t max_epochs) {
    dsc_config cfg;
    const uint32_t d = c.kind == DSC_LINEAR ? 3 : c.kind == DSC_LOGISTIC ? 4 : 1;
    dsc_config_init(&cfg, (dsc_model_kind)c.kind, d);
    if (c.kind == DSC_POLYNOMIAL) cfg.degree = 3;
    if (c.kind == DSC_LEGENDRE3) cfg.lr = 1e-3f;
    // These cases pin the GD layouts of format 1 and 2 alike; standardized NEWTON models have
    // their own round trips in test_solver.cpp.
    cfg.solver = DSC_SOLVER_GD;
    cfg.standardize = DSC_STANDARDIZE_OFF;
    cfg.conv_tol = -1.0f;
    cfg.max_epochs = max_epochs;
    switch (c.opt) {
        case kFullPlain: break;
        case kMiniNesterov:
            cfg.batch_size = 8;
            cfg.momentum = 0.9f;
            cfg.nesterov = 1;
            cfg.shuffle = 1;
            cfg.seed = 0x9E3779B97F4A7C15ull;
            break;
        case kDecayInvscaling:
            cfg.weight_decay = 0.01f;
            cfg.schedule = DSC_LR_INVSCALING;
            cfg.power_t = 0.5f;
            break;
        case kAdaptive:
            cfg.schedule = DSC_LR_ADAPTIVE;
            cfg.tol = 1e-4f;
            // Patience 12: on these problems the rate drops (linear: before and after epoch
            // 50) yet stays far above the 1e-6 stop within 100 epochs.
            cfg.n_iter_no_change = 12;
            break;
    }
    return cfg;
}

// A model together with the arena it lives in.
struct Model {
    std::unique_ptr<Arena> arena;
    dsc_model *m = nullptr;
};

Model create(const dsc_config &cfg) {
    Model M;
    const size_t need = dsc_arena_size(&cfg);
    REQUIRE(need > 0);
    M.arena.reset(new Arena(need));
    REQUIRE(dsc_create(&cfg, M.arena->data(), need, &M.m) == DSC_OK);
    if (cfg.kind == DSC_LEGENDRE3) {
        const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
        REQUIRE(dsc_set_params(M.m, start, 4) == DSC_OK);
    }
    return M;
}

dsc_fit_report fit_ok(dsc_model *m, const Data &D, uint32_t expect_epochs) {
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m, D.X.data(), D.y.data(), D.n, &rep);
    INFO("fit message: " << std::string(rep.message ? rep.message : "(none)"));
    REQUIRE(s == DSC_OK);
    REQUIRE(rep.stop_reason == DSC_STOP_MAX_EPOCHS);
    REQUIRE(rep.epochs_run == expect_epochs);
    return rep;
}

std::vector<float> get_params(const dsc_model *m) {
    std::vector<float> p(dsc_param_count(m));
    REQUIRE(!p.empty());
    REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
    return p;
}

Bytes save(const dsc_model *m) {
    const size_t n = dsc_save_size(m);
    REQUIRE(n > 0);
    Bytes b(n);
    size_t written = 0;
    REQUIRE(dsc_save(m, b.data(), b.size(), &written) == DSC_OK);
    REQUIRE(written == n);
    return b;
}

Bytes save_predictor(const dsc_model *m) {
    const size_t n = dsc_save_predictor_size(m);
    REQUIRE(n > 0);
    Bytes b(n);
    size_t written = 0;
    REQUIRE(dsc_save_predictor(m, b.data(), b.size(), &written) == DSC_OK);
    REQUIRE(written == n);
    return b;
}

// Loads into a fresh arena of exactly dsc_load_arena_size bytes.
Model load(const Bytes &blob) {
    size_t need = 0;
    REQUIRE(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
    REQUIRE(need > 0);
    Model M;
    M.arena.reset(new Arena(need));
    REQUIRE(dsc_load(blob.data(), blob.size(), M.arena->data(), need, &M.m) == DSC_OK);
    REQUIRE(M.m != nullptr);
    return M;
}

std::vector<float> predict(const dsc_model *m, const Data &D) {
    std::vector<float> out(D.n, kNaN);
    REQUIRE(dsc_predict(m, D.X.data(), D.n, out.data()) == DSC_OK);
    return out;
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

int count_epochs(void *user, uint32_t, float) {
    ++*static_cast<int *>(user);
    return 0;
}

// Trains a fresh model of case c for `epochs` epochs (with a callback attached, which the blob
// must not carry).
Model trained(const Case &c, uint32_t epochs, int *calls) {
    dsc_config cfg = make_config(c, epochs);
    cfg.on_epoch = count_epochs;
    cfg.user = calls;
    Model M = create(cfg);
    fit_ok(M.m, make_data(c.kind), epochs);
    return M;
}

// ---- rejection checks -------------------------------------------------------------------------
// Result of offering one blob to both loaders: statuses, and whether the out-parameters and the
// arena were left untouched.
struct Offer {
    dsc_status size_status;
    dsc_status load_status;
    bool untouched;
};

dsc_model *const kSentinelModel = reinterpret_cast<dsc_model *>(static_cast<uintptr_t>(0x5EED0008u));
constexpr size_t kSentinelBytes = 0xDEADBEEFu;

// Offers `len` bytes at `blob` (which the caller allocated exactly) with an ample arena.
Offer offer(const uint8_t *blob, size_t len, Arena &arena) {
    Offer o;
    size_t bytes = kSentinelBytes;
    o.size_status = dsc_load_arena_size(blob, len, &bytes);
    dsc_model *out = kSentinelModel;
    std::memset(arena.data(), 0xA5, arena.size);
    o.load_status = dsc_load(blob, len, arena.data(), arena.size, &out);
    bool arena_same = true;
    for (size_t i = 0; i < arena.size; ++i) arena_same &= arena.data()[i] == 0xA5;
    o.untouched = bytes == kSentinelBytes && out == kSentinelModel && arena_same;
    return o;
}

Offer offer(const Bytes &blob, Arena &arena) {
    // A copy in a block of exactly blob.size() bytes: over-reads hit the sanitizer's red zone.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[blob.size() ? blob.size() : 1]);
    if (!blob.empty()) std::memcpy(copy.get(), blob.data(), blob.size());
    return offer(copy.get(), blob.size(), arena);
}

bool rejected(const Offer &o) {
    return o.size_status == DSC_ERR_BAD_MODEL_BLOB && o.load_status == DSC_ERR_BAD_MODEL_BLOB &&
           o.untouched;
}

std::string describe(const Offer &o) {
    return std::string("dsc_load_arena_size: ") + dsc_status_string(o.size_status) +
           "; dsc_load: " + dsc_status_string(o.load_status) +
           (o.untouched ? "" : "; an out-parameter or the arena was written");
}

// Every single-byte corruption (xor 0x01, xor 0xFF), every truncation and a one-byte extension
// of a valid blob must be rejected as BAD_MODEL_BLOB without touching the outputs.
void check_all_corruptions(const Bytes &blob, const std::string &what) {
    INFO(what << " (" << blob.size() << " bytes)");
    size_t need = 0;
    REQUIRE(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
    Arena arena(need + 64);
    // The untouched blob is accepted by the same harness, so each rejection below is the
    // corruption's doing.
    {
        Offer o = offer(blob, arena);
        REQUIRE(o.size_status == DSC_OK);
        REQUIRE(o.load_status == DSC_OK);
    }

    size_t flips_accepted = 0, first_flip = SIZE_MAX;
    std::string first_flip_how;
    for (uint8_t mask : {uint8_t(0x01), uint8_t(0xFF)}) {
        for (size_t i = 0; i < blob.size(); ++i) {
            Bytes b = blob;
            b[i] ^= mask;
            Offer o = offer(b, arena);
            if (!rejected(o)) {
                if (flips_accepted++ == 0) {
                    first_flip = i;
                    first_flip_how = "xor " + std::to_string(mask) + ": " + describe(o);
                }
            }
        }
    }
    INFO("first unrejected byte flip at offset " << first_flip << " (" << first_flip_how << ")");
    CHECK(flips_accepted == 0);

    size_t trunc_accepted = 0, first_trunc = SIZE_MAX;
    std::string first_trunc_how;
    for (size_t len = 0; len < blob.size(); ++len) {
        Bytes b(blob.begin(), blob.begin() + (ptrdiff_t)len);
        Offer o = offer(b, arena);
        if (!rejected(o) && trunc_accepted++ == 0) {
            first_trunc = len;
            first_trunc_how = describe(o);
        }
    }
    INFO("first unrejected truncation to " << first_trunc << " bytes (" << first_trunc_how << ")");
    CHECK(trunc_accepted == 0);

    for (uint8_t extra : {uint8_t(0x00), uint8_t(0xFF)}) {
        Bytes b = blob;
        b.push_back(extra);
        Offer o = offer(b, arena);
        INFO("extended by one byte " << (int)extra << ": " << describe(o));
        CHECK(rejected(o));
    }

    // A NULL blob is an invalid argument, whatever the length.
    {
        size_t bytes = kSentinelBytes;
        CHECK(dsc_load_arena_size(nullptr, blob.size(), &bytes) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(bytes == kSentinelBytes);
        dsc_model *out = kSentinelModel;
        CHECK(dsc_load(nullptr, blob.size(), arena.data(), arena.size, &out) ==
              DSC_ERR_INVALID_ARGUMENT);
        CHECK(out == kSentinelModel);
    }
}

void check_config_equal(const dsc_config &a, const dsc_config &b) {
    CHECK(a.struct_size == b.struct_size);
    CHECK(a.kind == b.kind);
    CHECK(a.n_features == b.n_features);
    CHECK(a.degree == b.degree);
    CHECK(a.reduction == b.reduction);
    CHECK(a.batch_size == b.batch_size);
    CHECK(a.shuffle == b.shuffle);
    CHECK(a.max_epochs == b.max_epochs);
    CHECK(a.seed == b.seed);
    CHECK(std::memcmp(&a.lr, &b.lr, 4) == 0);
    CHECK(std::memcmp(&a.momentum, &b.momentum, 4) == 0);
    CHECK(std::memcmp(&a.dampening, &b.dampening, 4) == 0);
    CHECK(std::memcmp(&a.weight_decay, &b.weight_decay, 4) == 0);
    CHECK(a.nesterov == b.nesterov);
    CHECK(a.schedule == b.schedule);
    CHECK(std::memcmp(&a.power_t, &b.power_t, 4) == 0);
    CHECK(std::memcmp(&a.tol, &b.tol, 4) == 0);
    CHECK(a.n_iter_no_change == b.n_iter_no_change);
    CHECK(a.backend == b.backend);
}

std::string hex_floats(const std::vector<float> &v) {
    std::string s;
    char buf[64];
    for (float f : v) {
        std::snprintf(buf, sizeof buf, " %a", (double)f);
        s += buf;
    }
    return s;
}

}  // namespace

// ============================================================================================
TEST_CASE("blob: independent CRC-32 matches the check value and the library's stored CRC") {
    const char *check = "123456789";
    CHECK(ref_crc32(reinterpret_cast<const uint8_t *>(check), 9) == 0xCBF43926u);
    CHECK(ref_crc32(nullptr, 0) == 0x00000000u);

    int calls = 0;
    for (const Case &c : {Case{DSC_LINEAR, kFullPlain}, Case{DSC_LOGISTIC, kMiniNesterov}}) {
        Model M = trained(c, 5, &calls);
        for (const Bytes &b : {save(M.m), save_predictor(M.m)}) {
            INFO(c.name() << ", " << b.size() << " bytes");
            REQUIRE(b.size() > kHeader + 4);
            CHECK(std::memcmp(b.data(), "DSCB", 4) == 0);
            CHECK(rd32(b, off::total) == b.size());
            CHECK(stored_crc(b) == ref_crc32(b.data(), b.size() - 4));
        }
    }
}

TEST_CASE("blob: round trip for every kind x optimizer") {
    for (const Case &c : all_cases()) {
        CAPTURE(c.name());
        const Data D = make_data(c.kind);
        int calls = 0;
        Model M = trained(c, 5, &calls);
        CHECK(calls == 5);  // the callback was live on the original
        dsc_config cfg_orig;
        REQUIRE(dsc_get_config(M.m, &cfg_orig) == DSC_OK);
        REQUIRE((cfg_orig.on_epoch == &count_epochs));
        REQUIRE(cfg_orig.user == &calls);

        // Size, exact write, short buffer.
        const size_t size = dsc_save_size(M.m);
        const uint32_t p = (uint32_t)dsc_param_count(M.m);
        const bool velocity = cfg_orig.momentum != 0.0f;
        CHECK(size == off::params_full + 4u * p * (velocity ? 2u : 1u) + 4u);
        Bytes blob(size + 16, 0x5A);
        size_t written = 12345;
        REQUIRE(dsc_save(M.m, blob.data(), blob.size(), &written) == DSC_OK);
        CHECK(written == size);
        for (size_t i = size; i < blob.size(); ++i) CHECK(blob[i] == 0x5A);  // nothing past size
        blob.resize(size);
        {
            Bytes shortbuf(size, 0x5A);
            written = 12345;
            CHECK(dsc_save(M.m, shortbuf.data(), size - 1, &written) == DSC_ERR_BUFFER_TOO_SMALL);
            CHECK(written == 0);
            bool untouched = true;
            for (uint8_t v : shortbuf) untouched &= v == 0x5A;
            CHECK(untouched);
            CHECK(dsc_save(M.m, shortbuf.data(), 0, &written) == DSC_ERR_BUFFER_TOO_SMALL);
        }
        // Header fields as documented.
        CHECK(rd16(blob, off::version) == 5);
        CHECK(rd16(blob, off::flags) == 1);
        CHECK(rd32(blob, off::kind) == c.kind);
        CHECK(rd32(blob, off::n_params) == p);
        CHECK(rd32(blob, off::epoch) == 5);
        CHECK(rd32(blob, off::has_buf) == (velocity ? 1u : 0u));
        CHECK(rd32(blob, off::max_epochs) == 5);
        CHECK(rd64(blob, off::seed) == cfg_orig.seed);
        CHECK(rd64(blob, off::step) == (c.opt == kMiniNesterov ? 5u * 5u : 5u));  // 37 rows = 5 batches

        // Arena sizing: exact for an aligned arena, and equal to what dsc_create needs.
        size_t need = kSentinelBytes;
        REQUIRE(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_OK);
        CHECK(need == dsc_arena_size(&cfg_orig));
        {
            Arena small(need - 1);
            dsc_model *out = kSentinelModel;
            CHECK(dsc_load(blob.data(), blob.size(), small.data(), need - 1, &out) ==
                  DSC_ERR_ARENA_TOO_SMALL);
            CHECK(out == kSentinelModel);
            bool untouched = true;
            for (size_t i = 0; i < small.size; ++i) untouched &= small.data()[i] == 0xA5;
            CHECK(untouched);
        }
        {
            // An arena starting 1 byte past 8-byte alignment needs 7 bytes of padding.
            Arena big(need + 8);
            dsc_model *out = nullptr;
            CHECK(dsc_load(blob.data(), blob.size(), big.data() + 1, need + 6, &out) ==
                  DSC_ERR_ARENA_TOO_SMALL);
            CHECK(dsc_load(blob.data(), blob.size(), big.data() + 1, need + 7, &out) == DSC_OK);
        }

        Model L = load(blob);  // exactly `need` bytes
        CHECK(same_bits(get_params(L.m), get_params(M.m)));
        CHECK(same_bits(predict(L.m, D), predict(M.m, D)));
        dsc_config cfg_loaded;
        REQUIRE(dsc_get_config(L.m, &cfg_loaded) == DSC_OK);
        check_config_equal(cfg_loaded, cfg_orig);
        CHECK((cfg_loaded.on_epoch == nullptr));  // callbacks are not saved
        CHECK(cfg_loaded.user == nullptr);
        CHECK(dsc_save_size(L.m) == size);
        CHECK(save(L.m) == blob);
        CHECK(save_predictor(L.m) == save_predictor(M.m));
    }
}

TEST_CASE("blob: resume is exact (save/load and split fits equal one long fit)") {
    for (const Case &c : all_cases()) {
        CAPTURE(c.name());
        const Data D = make_data(c.kind);

        Model straight = create(make_config(c, 100));
        const float rep_lr_initial = fit_ok(straight.m, D, 100).lr_initial;
        const std::vector<float> want = get_params(straight.m);

        Model split = create(make_config(c, 50));
        fit_ok(split.m, D, 50);
        fit_ok(split.m, D, 50);
        CHECK(same_bits(get_params(split.m), want));

        Model first = create(make_config(c, 50));
        fit_ok(first.m, D, 50);
        const Bytes mid = save(first.m);
        std::memset(first.arena->data(), 0, first.arena->size);  // nothing survives but the blob
        first.m = nullptr;
        Model resumed = load(mid);
        fit_ok(resumed.m, D, 50);
        CHECK(same_bits(get_params(resumed.m), want));

        // The whole training state matches too: the blobs agree everywhere but max_epochs (50
        // against 100) and hence the CRC.
        Bytes a = save(straight.m), b = save(resumed.m), s = save(split.m);
        REQUIRE(a.size() == b.size());
        REQUIRE(a.size() == s.size());
        CHECK(rd32(a, off::max_epochs) == 100);
        CHECK(rd32(b, off::max_epochs) == 50);
        wr32(a, off::max_epochs, 50);
        fix_crc(a);
        CHECK(a == b);
        CHECK(a == s);
        CHECK(rd32(b, off::epoch) == 100);

        if (c.opt == kAdaptive) {
            // The adaptive schedule must actually have lowered the rate for this to test its
            // saved state (st.lr below the starting rate).
            const float st_lr = rdf32(b, off::st_lr);
            const float lr0 = rdf32(save(create(make_config(c, 1)).m), off::st_lr);
            CAPTURE(st_lr);
            CAPTURE(lr0);
            if (c.kind == DSC_LEGENDRE3) {
                // lr 1e-3 keeps improving by more than tol: no drop, but tracking is live.
                CHECK(lr0 == 1e-3f);
                CHECK(std::isfinite(rdf32(b, off::best_loss)));
            } else {
                CHECK(lr0 == 0.0f);  // automatic: picked on the first fit
                CHECK(st_lr < rep_lr_initial);
            }
        }
    }
}

TEST_CASE("blob: every byte flip, truncation and extension of a full blob is rejected") {
    for (const Case &c : all_cases()) {
        int calls = 0;
        Model M = trained(c, 5, &calls);
        check_all_corruptions(save(M.m), c.name());
    }
}

TEST_CASE("blob: hostile fields are rejected even with a valid CRC") {
    int calls = 0;
    struct Base {
        const char *name;
        Bytes blob;
    };
    std::vector<Base> bases;
    // Linear, no momentum (no velocity array).
    Model lin = trained(Case{DSC_LINEAR, kFullPlain}, 5, &calls);
    bases.push_back({"linear plain", save(lin.m)});
    // Linear, minibatch momentum 0.9 with nesterov (velocity array present).
    Model linm = trained(Case{DSC_LINEAR, kMiniNesterov}, 5, &calls);
    bases.push_back({"linear nesterov", save(linm.m)});
    // Linear, momentum 0.5 without nesterov.
    dsc_config cm = make_config(Case{DSC_LINEAR, kFullPlain}, 5);
    cm.momentum = 0.5f;
    Model linmo = create(cm);
    fit_ok(linmo.m, make_data(DSC_LINEAR), 5);
    bases.push_back({"linear momentum", save(linmo.m)});
    Model poly = trained(Case{DSC_POLYNOMIAL, kFullPlain}, 5, &calls);
    bases.push_back({"polynomial", save(poly.m)});
    Model leg = trained(Case{DSC_LEGENDRE3, kDecayInvscaling}, 5, &calls);
    bases.push_back({"legendre3", save(leg.m)});
    Model ada = trained(Case{DSC_LOGISTIC, kAdaptive}, 5, &calls);
    bases.push_back({"logistic adaptive", save(ada.m)});
    Base &lin_plain = bases[0], &lin_nest = bases[1], &lin_mom = bases[2], &pol = bases[3],
         &leg3 = bases[4], &adap = bases[5];
    Bytes lin_pred = save_predictor(lin.m);

    // The helper's CRC agrees with every stored one, so a fixed-up blob differs only by the patch.
    for (const Base &b : bases) CHECK(stored_crc(b.blob) == ref_crc32(b.blob.data(), b.blob.size() - 4));
    CHECK(stored_crc(lin_pred) == ref_crc32(lin_pred.data(), lin_pred.size() - 4));

    Arena arena(1 << 16);
    using Fn = std::function<void(Bytes &)>;
    // Patches `base` with `fn`, recomputes the CRC and expects rejection.
    auto hostile = [&](const Bytes &base, const char *what, const Fn &fn) {
        Bytes b = base;
        fn(b);
        fix_crc(b);
        INFO(std::string(what));
        REQUIRE(b != base);  // the patch really changed something
        REQUIRE(rd32(b, b.size() - 4) == ref_crc32(b.data(), b.size() - 4));
        Offer o = offer(b, arena);
        INFO(describe(o));
        CHECK(rejected(o));
    };
    // Controls: patches that keep the blob valid must still load, so a rejection above is the
    // hostile value's doing and not the patching helper's.
    auto benign = [&](const Bytes &base, const char *what, const Fn &fn) {
        Bytes b = base;
        fn(b);
        fix_crc(b);
        INFO(std::string(what));
        Offer o = offer(b, arena);
        INFO(describe(o));
        CHECK(o.size_status == DSC_OK);
        CHECK(o.load_status == DSC_OK);
        if (o.load_status == DSC_OK) {
            Model L = load(b);
            CHECK(save(L.m) == b);  // loads and saves back unchanged
        }
    };

    SUBCASE("controls: valid patches load") {
        benign(lin_plain.blob, "CRC recomputed, nothing changed", [](Bytes &) {});
        benign(lin_plain.blob, "seed changed", [](Bytes &b) { wr64(b, off::seed, 0x0123456789ABCDEFull); });
        benign(lin_plain.blob, "max_epochs 7", [](Bytes &b) { wr32(b, off::max_epochs, 7); });
        benign(lin_plain.blob, "backend scalar", [](Bytes &b) { wr32(b, off::backend, DSC_BACKEND_SCALAR); });
        // A backend this machine may lack stays in the blob; the model runs on what exists.
        benign(lin_plain.blob, "backend cuda", [](Bytes &b) { wr32(b, off::backend, DSC_BACKEND_CUDA); });
        benign(lin_nest.blob, "velocity value changed", [](Bytes &b) {
            const uint32_t p = rd32(b, off::n_params);
            wrf32(b, off::params_full + 4 * p, 0.125f);
        });
        benign(pol.blob, "param value changed", [](Bytes &b) { wrf32(b, off::params_full, -2.5f); });
        benign(lin_pred, "predictor param changed", [](Bytes &b) { wrf32(b, off::params_predictor, 3.0f); });
    }

    SUBCASE("header") {
        for (const Bytes *base : {&lin_plain.blob, &lin_pred}) {
            hostile(*base, "magic DSCA", [](Bytes &b) { b[3] = 'A'; });
            hostile(*base, "magic lower case", [](Bytes &b) { std::memcpy(b.data(), "dscb", 4); });
            hostile(*base, "magic zero", [](Bytes &b) { wr32(b, off::magic, 0); });
            hostile(*base, "version 0", [](Bytes &b) { wr16(b, off::version, 0); });
            hostile(*base, "version 6", [](Bytes &b) { wr16(b, off::version, 6); });
            hostile(*base, "version 0xFFFF", [](Bytes &b) { wr16(b, off::version, 0xFFFF); });
            for (uint16_t bit = 1; bit != 0; bit = (uint16_t)(bit << 1)) {
                if (bit == 1) continue;
                std::string what = "unknown flag bit " + std::to_string(bit);
                hostile(*base, what.c_str(), [bit](Bytes &b) { wr16(b, off::flags, (uint16_t)(rd16(b, off::flags) | bit)); });
            }
            hostile(*base, "flags 0xFFFF", [](Bytes &b) { wr16(b, off::flags, 0xFFFF); });
            hostile(*base, "total length - 1", [](Bytes &b) { wr32(b, off::total, (uint32_t)b.size() - 1); });
            hostile(*base, "total length + 1", [](Bytes &b) { wr32(b, off::total, (uint32_t)b.size() + 1); });
            hostile(*base, "total length 0", [](Bytes &b) { wr32(b, off::total, 0); });
            hostile(*base, "total length 2^32-1", [](Bytes &b) { wr32(b, off::total, 0xFFFFFFFFu); });
            hostile(*base, "kind 0", [](Bytes &b) { wr32(b, off::kind, 0); });
            hostile(*base, "kind 5", [](Bytes &b) { wr32(b, off::kind, 5); });
            hostile(*base, "kind 2^32-1", [](Bytes &b) { wr32(b, off::kind, 0xFFFFFFFFu); });
            hostile(*base, "n_features 0", [](Bytes &b) { wr32(b, off::n_features, 0); });
            hostile(*base, "n_features 2^31", [](Bytes &b) { wr32(b, off::n_features, 0x80000000u); });
            hostile(*base, "n_features 2^31, n_params 2^31+1", [](Bytes &b) {
                wr32(b, off::n_features, 0x80000000u);
                wr32(b, off::n_params, 0x80000001u);
            });
            hostile(*base, "n_features 2^24+1, n_params 2^24+2", [](Bytes &b) {
                wr32(b, off::n_features, (1u << 24) + 1);
                wr32(b, off::n_params, (1u << 24) + 2);
            });
            hostile(*base, "n_params + 1", [](Bytes &b) { wr32(b, off::n_params, rd32(b, off::n_params) + 1); });
            hostile(*base, "n_params - 1", [](Bytes &b) { wr32(b, off::n_params, rd32(b, off::n_params) - 1); });
            hostile(*base, "n_params 0", [](Bytes &b) { wr32(b, off::n_params, 0); });
            hostile(*base, "n_params 2^30 (x4 wraps 32 bits)", [](Bytes &b) { wr32(b, off::n_params, 0x40000000u); });
            hostile(*base, "n_params 2^32-1", [](Bytes &b) { wr32(b, off::n_params, 0xFFFFFFFFu); });
            // A consistent, valid header whose arrays are not in the blob: n_features 2^24 is
            // allowed, so only the bound on the remaining bytes stops it.
            hostile(*base, "n_features 2^24 and n_params 2^24+1 with 4 params present", [](Bytes &b) {
                wr32(b, off::n_features, 1u << 24);
                wr32(b, off::n_params, (1u << 24) + 1);
            });
            hostile(*base, "n_features 4, n_params 5 with 4 params present", [](Bytes &b) {
                wr32(b, off::n_features, 4);
                wr32(b, off::n_params, 5);
            });
            hostile(*base, "kind legendre3 on a linear d=3 blob", [](Bytes &b) { wr32(b, off::kind, DSC_LEGENDRE3); });
            hostile(*base, "kind polynomial on a linear d=3 blob", [](Bytes &b) { wr32(b, off::kind, DSC_POLYNOMIAL); });
            hostile(*base, "one param dropped (total fixed)", [](Bytes &b) {
                b.erase(b.end() - 8, b.end() - 4);
                wr32(b, off::total, (uint32_t)b.size());
            });
            hostile(*base, "one param appended (total fixed)", [](Bytes &b) {
                const uint8_t one[4] = {0, 0, 0x80, 0x3F};
                b.insert(b.end() - 4, one, one + 4);
                wr32(b, off::total, (uint32_t)b.size());
            });
            hostile(*base, "a byte appended before the CRC (total fixed)", [](Bytes &b) {
                b.insert(b.end() - 4, uint8_t(0));
                wr32(b, off::total, (uint32_t)b.size());
            });
        }
        hostile(lin_plain.blob, "full blob relabelled predictor (flags 0)", [](Bytes &b) { wr16(b, off::flags, 0); });
        hostile(lin_pred, "predictor blob relabelled full (flags 1)", [](Bytes &b) { wr16(b, off::flags, 1); });
        // fuzz_load_crc (CI): a predictor blob labelled version 2. No release wrote one (the
        // predictor layout is version 1's), and it loaded but saved back as version 1.
        hostile(lin_pred, "predictor blob labelled version 2", [](Bytes &b) { wr16(b, off::version, 2); });
        hostile(lin_plain.blob, "momentum blob array appended to a momentum-0 blob", [](Bytes &b) {
            const uint32_t p = rd32(b, off::n_params);
            b.insert(b.end() - 4, (size_t)p * 4, uint8_t(0));
            wr32(b, off::total, (uint32_t)b.size());
        });
        hostile(lin_nest.blob, "velocity array removed", [](Bytes &b) {
            const uint32_t p = rd32(b, off::n_params);
            b.erase(b.end() - 4 - (ptrdiff_t)p * 4, b.end() - 4);
            wr32(b, off::total, (uint32_t)b.size());
        });
        hostile(pol.blob, "degree 16", [](Bytes &b) { wr32(b, off::degree, 16); });
        hostile(pol.blob, "degree 16, n_params 17", [](Bytes &b) {
            wr32(b, off::degree, 16);
            wr32(b, off::n_params, 17);
        });
        hostile(pol.blob, "degree 2^32-1, n_params 0 (degree+1 wraps)", [](Bytes &b) {
            wr32(b, off::degree, 0xFFFFFFFFu);
            wr32(b, off::n_params, 0);
        });
        hostile(pol.blob, "degree 15, n_params 16 with 4 params present", [](Bytes &b) {
            wr32(b, off::degree, 15);
            wr32(b, off::n_params, 16);
        });
        hostile(pol.blob, "n_features 2 for polynomial", [](Bytes &b) { wr32(b, off::n_features, 2); });
        hostile(leg3.blob, "n_params 5 for legendre3", [](Bytes &b) { wr32(b, off::n_params, 5); });
        hostile(leg3.blob, "n_features 3 for legendre3", [](Bytes &b) { wr32(b, off::n_features, 3); });
    }

    SUBCASE("SOFTMAX: the class count in the degree slot") {
        dsc_config sc;
        dsc_config_init(&sc, DSC_SOFTMAX, 2);
        sc.n_classes = 3;
        sc.max_epochs = 5;
        Model sm = create(sc);
        const float X[12] = {0, 1, 1, 0, 2, 2, 1, 3, 3, 1, 0.5f, 2}, y[6] = {0, 1, 2, 0, 1, 2};
        REQUIRE(dsc_fit(sm.m, X, y, 6, nullptr) == DSC_OK);
        const Bytes smb = save(sm.m), smp = save_predictor(sm.m);
        CHECK(rd32(smb, off::degree) == 3);
        CHECK(rd32(smp, off::degree) == 3);
        benign(smb, "SOFTMAX param value changed", [](Bytes &b) { wrf32(b, off::params_full, 0.5f); });
        for (const Bytes *base : {&smb, &smp}) {
            hostile(*base, "n_classes 1", [](Bytes &b) { wr32(b, off::degree, 1); });
            hostile(*base, "n_classes 0", [](Bytes &b) { wr32(b, off::degree, 0); });
            hostile(*base, "n_classes 257", [](Bytes &b) { wr32(b, off::degree, 257); });
            hostile(*base, "n_classes 4 with 3 classes' parameters", [](Bytes &b) { wr32(b, off::degree, 4); });
            hostile(*base, "n_classes 2^32-1", [](Bytes &b) { wr32(b, off::degree, 0xFFFFFFFFu); });
            hostile(*base, "kind LOGISTIC with 3 blocks", [](Bytes &b) { wr32(b, off::kind, DSC_LOGISTIC); });
        }
    }

    SUBCASE("config") {
        hostile(lin_plain.blob, "reduction 2", [](Bytes &b) { wr32(b, off::reduction, 2); });
        hostile(lin_plain.blob, "reduction 2^32-1", [](Bytes &b) { wr32(b, off::reduction, 0xFFFFFFFFu); });
        hostile(lin_nest.blob, "shuffle 2", [](Bytes &b) { wr32(b, off::shuffle, 2); });
        hostile(lin_plain.blob, "max_epochs 0", [](Bytes &b) { wr32(b, off::max_epochs, 0); });
        hostile(lin_plain.blob, "nesterov with momentum 0", [](Bytes &b) { wr32(b, off::nesterov, 1); });
        hostile(lin_nest.blob, "nesterov 2", [](Bytes &b) { wr32(b, off::nesterov, 2); });
        hostile(lin_nest.blob, "nesterov with dampening 0.5", [](Bytes &b) { wrf32(b, off::dampening, 0.5f); });
        hostile(lin_plain.blob, "schedule 3", [](Bytes &b) { wr32(b, off::schedule, 3); });
        hostile(lin_plain.blob, "adaptive schedule with tol < 0", [](Bytes &b) { wr32(b, off::schedule, DSC_LR_ADAPTIVE); });
        hostile(adap.blob, "n_iter_no_change 0 with tol >= 0", [](Bytes &b) {
            wr32(b, off::n_iter_no_change, 0);
            wr32(b, off::no_improve, 0);
        });
        hostile(lin_plain.blob, "backend 99", [](Bytes &b) { wr32(b, off::backend, 99); });
        hostile(lin_plain.blob, "backend 7", [](Bytes &b) { wr32(b, off::backend, 7); });
        for (const Base *base : {&lin_plain, &leg3}) {
            hostile(base->blob, "lr NaN", [](Bytes &b) { wrf32(b, off::lr, kNaN); });
            hostile(base->blob, "lr +Inf", [](Bytes &b) { wrf32(b, off::lr, kInf); });
            hostile(base->blob, "lr -1", [](Bytes &b) { wrf32(b, off::lr, -1.0f); });
        }
        hostile(leg3.blob, "legendre3 with automatic lr 0", [](Bytes &b) {
            wrf32(b, off::lr, 0.0f);
            wrf32(b, off::st_lr, 0.0f);
        });
        // momentum range, on blobs whose array count matches a non-zero momentum
        hostile(lin_mom.blob, "momentum 1.5", [](Bytes &b) { wrf32(b, off::momentum, 1.5f); });
        hostile(lin_mom.blob, "momentum 1.0", [](Bytes &b) { wrf32(b, off::momentum, 1.0f); });
        hostile(lin_mom.blob, "momentum -0.5", [](Bytes &b) { wrf32(b, off::momentum, -0.5f); });
        hostile(lin_mom.blob, "momentum NaN", [](Bytes &b) { wrf32(b, off::momentum, kNaN); });
        hostile(lin_nest.blob, "momentum 1.5 (nesterov)", [](Bytes &b) { wrf32(b, off::momentum, 1.5f); });
        hostile(lin_plain.blob, "momentum 0.5 without a velocity array", [](Bytes &b) { wrf32(b, off::momentum, 0.5f); });
        hostile(lin_mom.blob, "momentum 0 with a velocity array", [](Bytes &b) {
            wrf32(b, off::momentum, 0.0f);
            wr32(b, off::has_buf, 0);
        });
        hostile(lin_mom.blob, "dampening 1.5", [](Bytes &b) { wrf32(b, off::dampening, 1.5f); });
        hostile(lin_mom.blob, "dampening NaN", [](Bytes &b) { wrf32(b, off::dampening, kNaN); });
        hostile(lin_plain.blob, "weight_decay -1", [](Bytes &b) { wrf32(b, off::weight_decay, -1.0f); });
        hostile(lin_plain.blob, "weight_decay Inf", [](Bytes &b) { wrf32(b, off::weight_decay, kInf); });
        hostile(lin_plain.blob, "power_t NaN", [](Bytes &b) { wrf32(b, off::power_t, kNaN); });
        hostile(lin_plain.blob, "power_t -1", [](Bytes &b) { wrf32(b, off::power_t, -1.0f); });
        hostile(lin_plain.blob, "tol NaN", [](Bytes &b) { wrf32(b, off::tol, kNaN); });
        hostile(lin_plain.blob, "tol +Inf", [](Bytes &b) { wrf32(b, off::tol, kInf); });
    }

    SUBCASE("parameters and velocity") {
        for (const Base *base : {&lin_plain, &lin_nest, &pol, &leg3}) {
            const uint32_t p = rd32(base->blob, off::n_params);
            for (uint32_t j = 0; j < p; ++j) {
                const size_t o = off::params_full + 4 * j;
                std::string w = std::string(base->name) + " param " + std::to_string(j);
                hostile(base->blob, (w + " NaN").c_str(), [o](Bytes &b) { wrf32(b, o, kNaN); });
                hostile(base->blob, (w + " +Inf").c_str(), [o](Bytes &b) { wrf32(b, o, kInf); });
                hostile(base->blob, (w + " -Inf").c_str(), [o](Bytes &b) { wrf32(b, o, -kInf); });
                hostile(base->blob, (w + " signalling NaN").c_str(), [o](Bytes &b) { wr32(b, o, 0x7F800001u); });
            }
        }
        const uint32_t p = rd32(lin_nest.blob, off::n_params);
        for (uint32_t j = 0; j < p; ++j) {
            const size_t o = off::params_full + 4 * (p + j);
            std::string w = "velocity " + std::to_string(j);
            hostile(lin_nest.blob, (w + " NaN").c_str(), [o](Bytes &b) { wrf32(b, o, kNaN); });
            hostile(lin_nest.blob, (w + " -Inf").c_str(), [o](Bytes &b) { wrf32(b, o, -kInf); });
        }
        const uint32_t pp = rd32(lin_pred, off::n_params);
        for (uint32_t j = 0; j < pp; ++j) {
            const size_t o = off::params_predictor + 4 * j;
            hostile(lin_pred, "predictor param NaN", [o](Bytes &b) { wrf32(b, o, kNaN); });
            hostile(lin_pred, "predictor param Inf", [o](Bytes &b) { wrf32(b, o, kInf); });
        }
    }

    SUBCASE("training state") {
        hostile(lin_nest.blob, "has_buf 2", [](Bytes &b) { wr32(b, off::has_buf, 2); });
        hostile(lin_plain.blob, "has_buf 1 without a velocity array", [](Bytes &b) { wr32(b, off::has_buf, 1); });
        hostile(lin_plain.blob, "best_loss NaN", [](Bytes &b) { wrf32(b, off::best_loss, kNaN); });
        hostile(adap.blob, "best_loss NaN (adaptive)", [](Bytes &b) { wrf32(b, off::best_loss, kNaN); });
        hostile(adap.blob, "best_loss -1", [](Bytes &b) { wrf32(b, off::best_loss, -1.0f); });
        hostile(lin_plain.blob, "prev_loss NaN", [](Bytes &b) { wrf32(b, off::prev_loss, kNaN); });
        hostile(lin_plain.blob, "prev_loss -1", [](Bytes &b) { wrf32(b, off::prev_loss, -1.0f); });
        hostile(lin_plain.blob, "state lr NaN", [](Bytes &b) { wrf32(b, off::st_lr, kNaN); });
        hostile(lin_plain.blob, "state lr +Inf", [](Bytes &b) { wrf32(b, off::st_lr, kInf); });
        hostile(lin_plain.blob, "state lr -1", [](Bytes &b) { wrf32(b, off::st_lr, -1.0f); });
        hostile(leg3.blob, "state lr 0 with a fixed config lr", [](Bytes &b) { wrf32(b, off::st_lr, 0.0f); });
        // no_improve is a plain counter (a fit resumed after a tolerance stop adds one more),
        // so any value loads: nothing to reject here.
    }
    SUBCASE("format 2: standardization and solver fields") {
        hostile(lin_plain.blob, "standardize 3", [](Bytes &b) { wr32(b, off::standardize, 3); });
        hostile(lin_plain.blob, "solver 3", [](Bytes &b) { wr32(b, off::solver, 3); });
        hostile(leg3.blob, "solver NEWTON with an explicit rate", [](Bytes &b) { wr32(b, off::solver, DSC_SOLVER_NEWTON); });
        hostile(lin_plain.blob, "has_stats 2", [](Bytes &b) { wr32(b, off::has_stats, 2); });
        hostile(lin_plain.blob, "has_stats 1 when not standardizing", [](Bytes &b) { wr32(b, off::has_stats, 1); });
        hostile(lin_plain.blob, "conv_tol NaN", [](Bytes &b) { wrf32(b, off::conv_tol, kNaN); });
        hostile(lin_plain.blob, "conv_tol 2", [](Bytes &b) { wrf32(b, off::conv_tol, 2.0f); });
        hostile(lin_plain.blob, "damping NaN", [](Bytes &b) { wrf32(b, off::damping, kNaN); });
        hostile(lin_plain.blob, "damping -1", [](Bytes &b) { wrf32(b, off::damping, -1.0f); });
        // Format 3: the penalty and averaging fields.
        hostile(lin_plain.blob, "alpha NaN", [](Bytes &b) { wrf32(b, off::alpha, kNaN); });
        hostile(lin_plain.blob, "alpha -1", [](Bytes &b) { wrf32(b, off::alpha, -1.0f); });
        hostile(lin_plain.blob, "alpha +Inf", [](Bytes &b) { wrf32(b, off::alpha, kInf); });
        hostile(lin_plain.blob, "l1_ratio NaN", [](Bytes &b) { wrf32(b, off::l1_ratio, kNaN); });
        hostile(lin_plain.blob, "l1_ratio 1.5", [](Bytes &b) { wrf32(b, off::l1_ratio, 1.5f); });
        hostile(lin_plain.blob, "l1_ratio -0.5", [](Bytes &b) { wrf32(b, off::l1_ratio, -0.5f); });
        hostile(lin_plain.blob, "prev_obj NaN", [](Bytes &b) { wrf32(b, off::prev_obj, kNaN); });
        hostile(lin_plain.blob, "prev_obj -1", [](Bytes &b) { wrf32(b, off::prev_obj, -1.0f); });
        hostile(lin_plain.blob, "avg_count without averaging", [](Bytes &b) { wr64(b, off::avg_count, 1); });
        hostile(lin_plain.blob, "average on without its array", [](Bytes &b) { wr32(b, off::average, 1); });
        hostile(lin_plain.blob, "avg_count > seen", [](Bytes &b) {
            wr64(b, off::avg_count, rd64(b, off::seen) + 1);
        });
        hostile(leg3.blob, "alpha on LEGENDRE3", [](Bytes &b) { wrf32(b, off::alpha, 0.5f); });
        hostile(lin_plain.blob, "version 6", [](Bytes &b) { wr16(b, off::version, 6); });
        // As format 4, read 16 bytes short of its arrays: the lengths disagree.
        hostile(lin_plain.blob, "version 4", [](Bytes &b) { wr16(b, off::version, 4); });
        hostile(lin_plain.blob, "version 0", [](Bytes &b) { wr16(b, off::version, 0); });
        // As format 3, read 8 bytes short of its arrays: the lengths disagree.
        hostile(lin_plain.blob, "version 3", [](Bytes &b) { wr16(b, off::version, 3); });
    }
    SUBCASE("format 4: the robust losses") {
        hostile(lin_plain.blob, "loss 5", [](Bytes &b) { wr32(b, off::loss, 5); });
        hostile(lin_plain.blob, "loss 0xFFFFFFFF", [](Bytes &b) { wr32(b, off::loss, 0xFFFFFFFFu); });
        hostile(lin_plain.blob, "HINGE on LINEAR", [](Bytes &b) { wr32(b, off::loss, DSC_LOSS_HINGE); });
        hostile(leg3.blob, "HUBER on LEGENDRE3", [](Bytes &b) { wr32(b, off::loss, DSC_LOSS_HUBER); });
        hostile(pol.blob, "HUBER on POLYNOMIAL", [](Bytes &b) { wr32(b, off::loss, DSC_LOSS_HUBER); });
        hostile(lin_plain.blob, "epsilon NaN", [](Bytes &b) { wrf32(b, off::epsilon, kNaN); });
        hostile(lin_plain.blob, "epsilon +inf", [](Bytes &b) { wrf32(b, off::epsilon, kInf); });
        hostile(lin_plain.blob, "epsilon -1", [](Bytes &b) { wrf32(b, off::epsilon, -1.0f); });
        hostile(lin_plain.blob, "HUBER with epsilon 0", [](Bytes &b) {
            wr32(b, off::loss, DSC_LOSS_HUBER);
            wrf32(b, off::epsilon, 0.0f);
        });
        // Controls: the same fields with acceptable values load.
        benign(lin_plain.blob, "HUBER, epsilon 1.5", [](Bytes &b) {
            wr32(b, off::loss, DSC_LOSS_HUBER);
            wrf32(b, off::epsilon, 1.5f);
        });
        benign(lin_plain.blob, "epsilon 0 (DEFAULT loss)", [](Bytes &b) { wrf32(b, off::epsilon, 0.0f); });
    }
    SUBCASE("format 5: early stopping") {
        // early_stopping changes the arena (its block), so the hostile values are the ones a
        // layout could be built for but the config check refuses.
        hostile(lin_plain.blob, "early_stopping 2", [](Bytes &b) { wr32(b, off::early_stopping, 2); });
        hostile(lin_plain.blob, "early_stopping 0xFFFFFFFF",
                [](Bytes &b) { wr32(b, off::early_stopping, 0xFFFFFFFFu); });
        hostile(lin_plain.blob, "validation_fraction 0", [](Bytes &b) { wrf32(b, off::validation_fraction, 0.0f); });
        hostile(lin_plain.blob, "validation_fraction -0", [](Bytes &b) { wrf32(b, off::validation_fraction, -0.0f); });
        hostile(lin_plain.blob, "validation_fraction 1", [](Bytes &b) { wrf32(b, off::validation_fraction, 1.0f); });
        hostile(lin_plain.blob, "validation_fraction NaN", [](Bytes &b) { wrf32(b, off::validation_fraction, kNaN); });
        hostile(lin_plain.blob, "validation_fraction +inf", [](Bytes &b) { wrf32(b, off::validation_fraction, kInf); });
        hostile(lin_plain.blob, "validation_fraction -0.1", [](Bytes &b) { wrf32(b, off::validation_fraction, -0.1f); });
        hostile(lin_plain.blob, "early stopping with NEWTON", [](Bytes &b) {
            wr32(b, off::early_stopping, 1);
            wr32(b, off::solver, DSC_SOLVER_NEWTON);
            wrf32(b, off::lr, 0.0f);  // what NEWTON needs: early stopping is the fault
        });
        hostile(lin_plain.blob, "early stopping with average", [](Bytes &b) {
            wr32(b, off::early_stopping, 1);
            wr32(b, off::average, 3);
        });
        hostile(lin_plain.blob, "early stopping with n_iter_no_change 0", [](Bytes &b) {
            wr32(b, off::early_stopping, 1);
            wr32(b, off::n_iter_no_change, 0);
        });
        // Controls: the same fields with acceptable values load (and, with early stopping on,
        // into the larger arena it needs).
        benign(lin_plain.blob, "validation_fraction 0.25", [](Bytes &b) { wrf32(b, off::validation_fraction, 0.25f); });
        benign(lin_plain.blob, "early stopping on", [](Bytes &b) { wr32(b, off::early_stopping, 1); });
        // Class weights: LOGISTIC only, finite, >= 0, not both 0.
        hostile(adap.blob, "class_weight NaN", [](Bytes &b) { wrf32(b, off::class_weight0, kNaN); });
        hostile(adap.blob, "class_weight +inf", [](Bytes &b) { wrf32(b, off::class_weight1, kInf); });
        hostile(adap.blob, "class_weight -1", [](Bytes &b) { wrf32(b, off::class_weight1, -1.0f); });
        hostile(adap.blob, "class_weight both 0", [](Bytes &b) {
            wrf32(b, off::class_weight0, 0.0f);
            wrf32(b, off::class_weight1, -0.0f);
        });
        hostile(lin_plain.blob, "class_weight on LINEAR", [](Bytes &b) { wrf32(b, off::class_weight1, 3.0f); });
        benign(adap.blob, "class_weight {0.5, 4}", [](Bytes &b) {
            wrf32(b, off::class_weight0, 0.5f);
            wrf32(b, off::class_weight1, 4.0f);
        });
        benign(adap.blob, "class_weight {0, 2}", [](Bytes &b) {
            wrf32(b, off::class_weight0, 0.0f);
            wrf32(b, off::class_weight1, 2.0f);
        });
    }
}

TEST_CASE("blob: a batch_size whose arena overflows 32 bits is a bad blob for both loaders") {
    // batch_size 2^32-1 with shuffle needs a (2^32-1)-entry index array: no layout exists.
    // dsc_load_arena_size says BAD_MODEL_BLOB; dsc_load must agree (it is the blob at fault,
    // not an argument).
    int calls = 0;
    Model M = trained(Case{DSC_LINEAR, kMiniNesterov}, 2, &calls);
    Bytes b = save(M.m);
    wr32(b, off::batch_size, 0xFFFFFFFFu);
    fix_crc(b);
    Arena arena(4096);
    Offer o = offer(b, arena);
    INFO(describe(o));
    CHECK(o.size_status == DSC_ERR_BAD_MODEL_BLOB);
    CHECK(o.load_status == DSC_ERR_BAD_MODEL_BLOB);
    CHECK(o.untouched);
}

TEST_CASE("blob: a CUDA model's blob loads on a CPU in exactly the arena dsc_load_arena_size gives") {
    // lr = 0 on the CUDA backend trains raw GD; loaded here, the backend becomes AUTO, which with
    // lr = 0 standardizes: a larger layout. Sizing must use the same config as loading
    // (fuzz_load_crc found the two disagreeing: regression-cuda-blob-load-size).
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, 3);
    c.batch_size = 5;
    Model M = create(c);
    Bytes b = save(M.m);
    wr32(b, off::backend, DSC_BACKEND_CUDA);
    fix_crc(b);
    size_t need = 0;
    REQUIRE(dsc_load_arena_size(b.data(), b.size(), &need) == DSC_OK);
    std::vector<uint64_t> arena(need / 8 + 1);
    dsc_model *m = nullptr;
    CHECK(dsc_load(b.data(), b.size(), arena.data(), need - 1, &m) == DSC_ERR_ARENA_TOO_SMALL);
    REQUIRE(dsc_load(b.data(), b.size(), arena.data(), need, &m) == DSC_OK);
    CHECK(save(m) == b);  // the blob's own backend is saved back
    const float X[15] = {1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 7, 5, 6, 6}, y[5] = {1, 2, 3, 4, 5};
    REQUIRE(dsc_fit(m, X, y, 5, nullptr) == DSC_OK);
    // Trained here it is standardized (statistics measured) and still says CUDA: it loads too.
    const Bytes again = save(m);
    size_t need2 = 0;
    REQUIRE(dsc_load_arena_size(again.data(), again.size(), &need2) == DSC_OK);
    std::vector<uint64_t> arena2(need2 / 8 + 1);
    dsc_model *m2 = nullptr;
    REQUIRE(dsc_load(again.data(), again.size(), arena2.data(), need2, &m2) == DSC_OK);
    CHECK(save(m2) == again);
}

TEST_CASE("blob: predictor blobs") {
    {
        dsc_config cfg;
        dsc_config_init(&cfg, DSC_LINEAR, 8);
        Model M = create(cfg);
        const size_t ps = dsc_save_predictor_size(M.m);
        MESSAGE("predictor blob for a linear d=8 model: " << ps << " bytes (full blob: "
                                                           << dsc_save_size(M.m) << " bytes)");
        CHECK(ps == kHeader + 4 * 9 + 4);
    }
    for (const Case &c : all_cases()) {
        CAPTURE(c.name());
        const Data D = make_data(c.kind);
        int calls = 0;
        Model M = trained(c, 5, &calls);
        const size_t ps = dsc_save_predictor_size(M.m);
        CHECK(ps < dsc_save_size(M.m));
        CHECK(ps == kHeader + 4 * dsc_param_count(M.m) + 4);
        const Bytes pb = save_predictor(M.m);
        CHECK(rd16(pb, off::flags) == 0);
        {
            Bytes shortbuf(ps, 0x5A);
            size_t written = 7;
            CHECK(dsc_save_predictor(M.m, shortbuf.data(), ps - 1, &written) == DSC_ERR_BUFFER_TOO_SMALL);
            CHECK(written == 0);
        }

        size_t need_pred = 0, need_full = 0;
        const Bytes full = save(M.m);
        REQUIRE(dsc_load_arena_size(full.data(), full.size(), &need_full) == DSC_OK);
        const dsc_status ss = dsc_load_arena_size(pb.data(), pb.size(), &need_pred);
        // A predictor blob carries no lr; the loader must not hold it to LEGENDRE3's "lr = 0 is
        // unsupported" training rule, or every legendre3 predictor blob is unloadable.
        INFO("dsc_load_arena_size(predictor blob): " << dsc_status_string(ss));
        CHECK(ss == DSC_OK);
        if (ss != DSC_OK) continue;  // reported above; the rest needs a loadable blob
        CHECK(need_pred < need_full);
        {
            Arena small(need_pred - 1);
            dsc_model *out = kSentinelModel;
            CHECK(dsc_load(pb.data(), pb.size(), small.data(), small.size, &out) == DSC_ERR_ARENA_TOO_SMALL);
            CHECK(out == kSentinelModel);
        }
        Model P = load(pb);
        CHECK(same_bits(get_params(P.m), get_params(M.m)));
        CHECK(same_bits(predict(P.m, D), predict(M.m, D)));
        dsc_config pc;
        REQUIRE(dsc_get_config(P.m, &pc) == DSC_OK);
        CHECK(pc.kind == c.kind);
        CHECK(pc.n_features == D.d);
        if (c.kind == DSC_POLYNOMIAL) CHECK(pc.degree == 3);

        // Predict-only: training is refused and changes nothing.
        const std::vector<float> before = get_params(P.m);
        dsc_fit_report rep;
        CHECK(dsc_fit(P.m, D.X.data(), D.y.data(), D.n, &rep) == DSC_ERR_UNSUPPORTED);
        CHECK(rep.epochs_run == 0);
        CHECK(same_bits(get_params(P.m), before));

        // Saving a predictor model writes the predictor blob again, byte for byte.
        CHECK(dsc_save_size(P.m) == pb.size());
        CHECK(save(P.m) == pb);
        CHECK(save_predictor(P.m) == pb);

        check_all_corruptions(pb, c.name() + " predictor");
    }
}

// --------------------------------------------------------------------------------------------
// Committed blobs made by tests/data/make_blobs.cpp on x86-64: loading them anywhere must give
// the same parameters, bit for bit, and saving must give the same bytes (the format is
// little-endian whatever the host).
namespace {

bool read_file(const std::string &path, Bytes *out) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    out->clear();
    uint8_t buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
    std::fclose(f);
    return true;
}

struct Expected {
    std::string file;
    std::vector<float> params;
};

std::vector<Expected> read_expected(const std::string &path) {
    std::vector<Expected> v;
    Bytes text;
    REQUIRE(read_file(path, &text));
    std::string s(text.begin(), text.end());
    size_t pos = 0;
    while (pos < s.size()) {
        size_t eol = s.find('\n', pos);
        if (eol == std::string::npos) eol = s.size();
        std::string line = s.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty() || line[0] == '#') continue;
        Expected e;
        const char *p = line.c_str();
        const char *sp = std::strchr(p, ' ');
        REQUIRE(sp != nullptr);
        e.file.assign(p, sp);
        p = sp;
        for (;;) {
            char *end;
            const float f = std::strtof(p, &end);
            if (end == p) break;
            e.params.push_back(f);
            p = end;
        }
        while (*p == ' ') ++p;
        REQUIRE(*p == '\0');  // nothing unparsed on the line
        v.push_back(e);
    }
    return v;
}

}  // namespace

TEST_CASE("blob: committed format-1 blob files load bit-exactly; predictors save back byte-identical") {
    const std::string dir = DESCENT_TEST_DATA_DIR;
    const std::vector<Expected> expected = read_expected(dir + "/blobs_expected.txt");
    REQUIRE(expected.size() == 3);
    struct Facts {
        const char *file;
        uint32_t kind, n_features, flags, n_params;
    };
    const Facts facts[] = {{"linear_d3.dscb", DSC_LINEAR, 3, 1, 4},
                           {"logistic_momentum.dscb", DSC_LOGISTIC, 2, 1, 3},
                           {"poly_predictor.dscb", DSC_POLYNOMIAL, 1, 0, 5}};
    for (const Facts &f : facts) {
        CAPTURE(f.file);
        const Expected *e = nullptr;
        for (const Expected &x : expected)
            if (x.file == f.file) e = &x;
        REQUIRE(e != nullptr);
        REQUIRE(e->params.size() == f.n_params);
        Bytes blob;
        REQUIRE(read_file(dir + "/" + f.file, &blob));
        REQUIRE(blob.size() > kHeader + 4);
        // Header read byte by byte, little-endian.
        CHECK(std::memcmp(blob.data(), "DSCB", 4) == 0);
        CHECK(rd16(blob, off::version) == 1);
        CHECK(rd16(blob, off::flags) == f.flags);
        CHECK(rd32(blob, off::total) == blob.size());
        CHECK(rd32(blob, off::kind) == f.kind);
        CHECK(rd32(blob, off::n_features) == f.n_features);
        CHECK(rd32(blob, off::n_params) == f.n_params);
        CHECK(stored_crc(blob) == ref_crc32(blob.data(), blob.size() - 4));
        if (f.flags) CHECK(rd32(blob, off::backend) == DSC_BACKEND_SCALAR);  // make_blobs pins it
        const size_t po = f.flags ? off::params_full_v1 : off::params_predictor;
        for (uint32_t j = 0; j < f.n_params; ++j) {
            const float got = rdf32(blob, po + 4 * j);
            CHECK(std::memcmp(&got, &e->params[j], 4) == 0);
        }

        Model M = load(blob);
        const std::vector<float> got = get_params(M.m);
        INFO("loaded:  " << hex_floats(got));
        INFO("expected:" << hex_floats(e->params));
        CHECK(same_bits(got, e->params));
        if (!f.flags) {  // predictor blobs keep format 1 byte for byte
            CHECK(save(M.m) == blob);
            continue;
        }
        // A format-1 full blob resumes as it trained then (raw GD, no convergence test) and
        // saves as format 5, which loads and saves back byte-identical.
        dsc_config cfg;
        REQUIRE(dsc_get_config(M.m, &cfg) == DSC_OK);
        CHECK(cfg.standardize == (uint32_t)DSC_STANDARDIZE_OFF);
        CHECK(cfg.solver == (uint32_t)DSC_SOLVER_GD);
        CHECK(cfg.conv_tol < 0.0f);
        const Bytes v2 = save(M.m);
        CHECK(rd16(v2, off::version) == 5);
        Model M2 = load(v2);
        CHECK(same_bits(get_params(M2.m), e->params));
        CHECK(save(M2.m) == v2);
    }
}
