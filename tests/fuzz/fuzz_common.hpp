// Shared pieces of the libFuzzer targets: a byte reader that never runs dry (missing bytes read
// as zero, so every input is a valid case), pickers for hostile floats and config fields, and
// the invariant checks the targets apply after every public call.
//
// The targets compile with clang's libFuzzer (tools/fuzz.sh, preset `fuzz`) and also with any
// C++17 compiler against replay_main.cpp, so the committed corpora replay as ctest tests in
// every build (default, asan, aarch64 under qemu).
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <limits>
#include <vector>

#include "descent.h"

namespace fz {
// Set by a target to print the case being run when a check fails (triage aid).
inline void (*g_describe)() = nullptr;
}  // namespace fz

// A violated invariant is a crash: libFuzzer saves the input, the replay test fails.
#define FUZZ_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            if (fz::g_describe) fz::g_describe();                                           \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

namespace fz {

struct Input {
    const uint8_t *p;
    size_t n;
    uint8_t u8() {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
    uint16_t u16() {
        const uint16_t lo = u8();
        const uint16_t hi = u8();
        return (uint16_t)(lo | (hi << 8));
    }
    uint32_t u32() {
        const uint32_t lo = u16();
        const uint32_t hi = u16();
        return lo | (hi << 16);
    }
    uint64_t u64() {
        const uint64_t lo = u32();
        const uint64_t hi = u32();
        return lo | (hi << 32);
    }
    float raw_f32() {
        const uint32_t b = u32();
        float f;
        memcpy(&f, &b, 4);
        return f;
    }
};

inline bool finite_bits(float v) {
    uint32_t b;
    memcpy(&b, &v, 4);
    return (b & 0x7F800000u) != 0x7F800000u;
}

inline bool all_finite(const float *v, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!finite_bits(v[i])) return false;
    return true;
}

inline bool same_bits(const void *a, const void *b, size_t bytes) {
    return bytes == 0 || memcmp(a, b, bytes) == 0;
}

// Values that break numerical code: signed zeros, NaN payloads, infinities, the float range
// limits, denormals, values next to 1, integers past 2^24.
inline float special_float(uint8_t i) {
    static const uint32_t kBits[] = {
        0x00000000u, 0x80000000u, 0x3F800000u, 0xBF800000u, 0x3F000000u, 0x40000000u,
        0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0x7FBFFFFFu,  // quiet / signalling NaNs
        0x7F800000u, 0xFF800000u,                            // +-Inf
        0x7F7FFFFFu, 0xFF7FFFFFu, 0x7F61B1E6u, 0xFF61B1E6u,  // +-FLT_MAX, +-3e38
        0x00800000u, 0x80800000u, 0x00000001u, 0x80000001u,  // +-FLT_MIN, +-denorm_min
        0x000AE398u, 0x800AE398u, 0x007FFFFFu,               // +-1e-39, largest denormal
        0x3F7FFFFFu, 0x3F800001u, 0x4B800000u, 0x4B800001u,  // 1-ulp, 1+ulp, 2^24, 2^24+2
        0x358637BDu, 0x3A83126Fu, 0x3DCCCCCDu, 0x3F666666u,  // 1e-6, 1e-3, 0.1, 0.9
        0x49742400u, 0x501502F9u, 0x7149F2CAu, 0x0DA24260u,  // 1e6, 1e10, 1e30, 1e-30
        0x477FE000u, 0xC2C80000u, 0x42FE0000u, 0x5E6B0C5Cu}; // 65504, -100, 127, 4.2e18
    float f;
    memcpy(&f, &kBits[i % (sizeof kBits / sizeof kBits[0])], 4);
    return f;
}

// Data values: mostly moderate (so fits run), sometimes hostile, sometimes raw bits.
inline float pick_value(Input &in) {
    const uint8_t s = in.u8();
    if (s < 112) return (float)(int16_t)in.u16() / 256.0f;  // [-128, 128), step 1/256
    if (s < 176) return (float)(int8_t)in.u8() / 64.0f;     // [-2, 2)
    if (s < 232) return special_float(in.u8());
    return in.raw_f32();
}

// A small enum: mostly in range, sometimes just past it, sometimes any 32-bit value.
inline uint32_t pick_enum(Input &in, uint32_t count) {
    const uint8_t s = in.u8();
    if (s < 232) return s % count;
    if (s < 248) return count + s % 3;
    return in.u32();
}

// A non-negative rate-like float: `zero_weight`/256 of zeros, then moderate values scaled by a
// power of ten, then huge values, then anything.
inline float pick_rate(Input &in, uint8_t zero_below, int max_exp) {
    const uint8_t s = in.u8();
    if (s < zero_below) return 0.0f;
    if (s < 192) {
        const float mant = (float)(1 + in.u8()) / 256.0f;
        return mant * std::pow(10.0f, -(float)(in.u8() % (uint8_t)(max_exp + 1)));
    }
    if (s < 208) return std::pow(10.0f, (float)(in.u8() % 39));  // 1 .. 1e38: divergent
    if (s < 244) return special_float(in.u8());
    return in.raw_f32();
}

uint32_t expected_param_count(const dsc_config &c);

// ---- the config + data case shared by fuzz_fit and fuzz_kernels ----------------------------

struct StopAfter {
    uint32_t calls = 0;
    uint32_t limit = 0;  // the callback returns non-zero on call number `limit`
};

inline int stop_after_cb(void *user, uint32_t, float) {
    StopAfter *s = static_cast<StopAfter *>(user);
    return ++s->calls >= s->limit;
}

// A parallel_for without threads, tasks in reverse order (any order must give the same result).
inline void serial_reverse_for(void *, uint32_t n, dsc_task_fn task, void *arg) {
    for (uint32_t i = n; i-- > 0;) task(arg, i);
}

// A one-rank exchange: the allgather of a single process returns its own message. A distributed
// fit over it must behave exactly as a local one (config.comm_rank other than 0: DSC_ERR_COMM).
struct Loopback {
    std::vector<unsigned char> out;
    std::vector<uint64_t> all;  // 8-byte aligned
};

inline const void *loopback_exchange(void *comm, const void *data, size_t bytes, uint32_t op,
                                     size_t *out_bytes) {
    Loopback &l = *static_cast<Loopback *>(comm);
    if (op == DSC_EXCHANGE_APPEND) {
        const unsigned char *b = static_cast<const unsigned char *>(data);
        l.out.insert(l.out.end(), b, b + bytes);
        return &l;
    }
    l.all.assign(l.out.size() / 8 + 1, 0);
    if (!l.out.empty()) memcpy(l.all.data(), l.out.data(), l.out.size());
    *out_bytes = l.out.size();
    l.out.clear();
    return l.all.data();
}

struct FitCase {
    dsc_config cfg;
    Loopback loop;
    bool use_callback = false;
    uint32_t stop_limit = 0;
    size_t n = 0;
    bool data = false;         // n_features small enough that X was read
    std::vector<float> X, y;
    bool set_params = false;
    std::vector<float> start;  // set_params values (any count the fuzzer chose)
    size_t arena_misalign = 0;  // 0..7 bytes
    uint8_t refit = 0;          // 0: one fit; else continue with a second fit on n - refit rows
    bool weighted = false;      // the fits go through dsc_fit_weighted with w (one per row)
    std::vector<float> w;
};

constexpr uint32_t kMaxFeatures = 16;
constexpr size_t kMaxRows = 64;
constexpr uint32_t kMaxEpochs = 20;

inline void parse_fit_case(Input &in, FitCase *fc) {
    dsc_config &c = fc->cfg;
    dsc_config_init(&c, DSC_LINEAR, 1);
    {
        const uint8_t s = in.u8();
        if (s < 240) c.kind = 1 + s % 4;
        else if (s < 252) c.kind = s % 8;
        else c.kind = in.u32();
    }
    {
        const bool one_col = c.kind == DSC_POLYNOMIAL || c.kind == DSC_LEGENDRE3;
        const uint8_t s = in.u8();
        if (s < 224) c.n_features = one_col && s < 200 ? 1 : 1 + s % kMaxFeatures;
        else if (s < 232) c.n_features = 0;
        else c.n_features = in.u32();
    }
    {
        const uint8_t s = in.u8();
        c.degree = s < 232 ? s % 16 : s < 244 ? 16 + s % 4 : in.u32();
    }
    c.reduction = pick_enum(in, 2);
    {
        const uint8_t s = in.u8();
        c.batch_size = s < 112 ? 0 : s < 240 ? 1 + s % 70 : in.u32();
    }
    c.shuffle = pick_enum(in, 2);
    c.max_epochs = in.u8() % (kMaxEpochs + 1);  // bounded: no fit may take long; 0 is rejected
    {
        const uint8_t s = in.u8();
        c.seed = s < 255 ? s : in.u64();
    }
    c.lr = pick_rate(in, 48, 6);
    {
        const uint8_t s = in.u8();
        c.momentum = s < 96 ? 0.0f : s < 200 ? (float)in.u8() / 256.0f : pick_value(in);
    }
    {
        const uint8_t s = in.u8();
        c.dampening = s < 160 ? 0.0f : s < 224 ? (float)in.u8() / 255.0f : pick_value(in);
    }
    c.weight_decay = pick_rate(in, 160, 4);
    c.nesterov = pick_enum(in, 2);
    c.schedule = pick_enum(in, 3);
    {
        const uint8_t s = in.u8();
        c.power_t = s < 192 ? (float)in.u8() / 128.0f : pick_value(in);
    }
    {
        const uint8_t s = in.u8();
        c.tol = s < 112 ? -1.0f : s < 224 ? pick_rate(in, 0, 5) : pick_value(in);
    }
    {
        const uint8_t s = in.u8();
        c.n_iter_no_change = s < 240 ? s % 8 : in.u32();
    }
    {
        const uint8_t s = in.u8();
        c.backend = s < 160 ? (uint32_t)DSC_BACKEND_AUTO : s < 236 ? 1 + s % 5 : s < 248 ? 6 + s % 2 : in.u32();
    }
    {
        const uint8_t s = in.u8();
        if (s >= 250) c.struct_size = s < 253 ? (uint32_t)sizeof(dsc_config) + 8 * (s - 251) : in.u32();
    }
    {
        const uint8_t s = in.u8();
        fc->use_callback = s >= 192;
        fc->stop_limit = 1 + s % kMaxEpochs;
    }
    {
        const uint8_t s = in.u8();
        if (s >= 200) {
            c.parallel_for = serial_reverse_for;
            c.max_tasks = s < 250 ? s % 20 : in.u32();
        }
    }
    // Fields of 0.2 (read last, so older corpus entries decode as before, with AUTO here).
    c.standardize = pick_enum(in, 3);
    c.solver = pick_enum(in, 3);
    {
        const uint8_t s = in.u8();
        c.conv_tol = s < 160 ? 0.0f : s < 208 ? -1.0f : s < 232 ? pick_rate(in, 0, 5) : pick_value(in);
    }
    // Fields of 0.3: the data-parallel exchange, over one rank.
    {
        const uint8_t s = in.u8();
        if (s >= 192) {
            c.exchange = loopback_exchange;
            c.comm = &fc->loop;
            c.comm_rank = s < 250 ? 0u : s % 4;
        }
    }
    fc->arena_misalign = in.u8() % 8;
    fc->n = in.u8() % (kMaxRows + 1);
    fc->refit = in.u8();
    fc->data = c.n_features >= 1 && c.n_features <= kMaxFeatures;
    if (fc->data) {
        fc->X.resize(fc->n * c.n_features);
        for (float &v : fc->X) v = pick_value(in);
        fc->y.resize(fc->n);
        for (float &v : fc->y) {
            if (c.kind == DSC_LOGISTIC) {
                const uint8_t s = in.u8();
                v = s < 176 ? (float)(s & 1) : s < 216 ? (float)in.u8() / 255.0f : pick_value(in);
            } else {
                v = pick_value(in);
            }
        }
    }
    {
        const uint8_t s = in.u8();
        fc->set_params = s >= 128 || c.kind == DSC_LEGENDRE3;
        if (fc->set_params) {
            size_t count = expected_param_count(c);
            if (s >= 248 || count == 0 || count > 64) count = in.u8() % 8;  // also wrong counts
            fc->start.resize(count);
            for (float &v : fc->start) v = pick_value(in);
        }
    }
    // Fields of issue 12 (penalty, averaging), read after everything else so that older corpus
    // entries decode as before: their missing bytes read as zero, which means the defaults.
    {
        const uint8_t s = in.u8();
        c.alpha = s < 128 ? 0.0f : s < 232 ? pick_rate(in, 0, 4) : pick_value(in);
    }
    {
        const uint8_t s = in.u8();  // 0: the default 0.15
        if (s >= 1) c.l1_ratio = s < 200 ? (float)(s - 1) / 198.0f : s < 232 ? (float)(s & 1) : pick_value(in);
    }
    {
        const uint8_t s = in.u8();
        c.average = s < 128 ? 0u : s < 248 ? (uint32_t)(s % 80) : in.u32();
    }
    // Fields of format 4 (the robust losses), after those: zero bytes mean DEFAULT, and an
    // epsilon byte of 0 the default 0.1.
    {
        const uint8_t s = in.u8();
        c.loss = s < 96 ? 0u : s < 248 ? (uint32_t)(s % 5) : in.u32();
    }
    {
        const uint8_t s = in.u8();
        if (s >= 1) c.epsilon = s < 200 ? (float)(s - 1) / 50.0f : s < 232 ? 0.0f : pick_value(in);
    }
    // Fields of format 5 (early stopping), after those: zero bytes mean off, and a fraction
    // byte of 0 the default 0.1.
    {
        const uint8_t s = in.u8();
        c.early_stopping = s < 144 ? 0u : s < 248 ? 1u : in.u32();
    }
    {
        const uint8_t s = in.u8();
        if (s >= 1) c.validation_fraction = s < 200 ? (float)s / 200.0f : s < 232 ? (float)(s & 1) : pick_value(in);
    }
    // Class weights, after those: a byte below 128 keeps the default 1 (other kinds must).
    for (float &w : c.class_weight) {
        const uint8_t s = in.u8();
        if (s >= 128) w = s < 220 ? (float)(s - 128) / 23.0f : s < 236 ? 0.0f : pick_value(in);
    }
    // Sample weights, after those: a byte below 128 means none (dsc_fit). Otherwise one weight
    // per row: zeros, small fractions, small integers, or any value (NaN, Inf, negative).
    {
        const uint8_t s = in.u8();
        fc->weighted = s >= 128 && fc->data;
        if (fc->weighted) {
            fc->w.resize(fc->n);
            for (float &v : fc->w) {
                const uint8_t b = in.u8();
                v = b < 48 ? 0.0f : b < 200 ? (float)(b - 47) / 32.0f : b < 240 ? (float)(b % 4) : pick_value(in);
            }
        }
    }
    // SOFTMAX, after those: a LINEAR or LOGISTIC case turns into a K-class one (K from 0 to 8,
    // so 0 and 1 are refused), its targets mapped to class indices where they lie in [0, 1]
    // (others stay: NaN, out of range, fractions are label errors).
    {
        const uint8_t s = in.u8();
        if (s >= 200 && (c.kind == DSC_LINEAR || c.kind == DSC_LOGISTIC)) {
            c.kind = DSC_SOFTMAX;
            c.n_classes = s < 250 ? 2u + s % 7u : s % 2u;
            const float top = (float)(c.n_classes ? c.n_classes : 1u);
            for (float &v : fc->y)
                if (v >= 0.0f && v <= 1.0f) v = std::floor(v * top) < top ? std::floor(v * top) : top - 1.0f;
            // Starting parameters drawn for the old kind: padded with zeros to SOFTMAX's count
            // or left at the old one (refused).
            const uint32_t count = expected_param_count(c);  // 0 for an invalid K
            if (fc->set_params && in.u8() % 2 && count <= 4096) fc->start.resize(count);
        }
    }
}

// Early stopping's held-out rows of an n-row fit, computed here from the documented rule
// (ceil of the fraction times n, the product first lowered by float's 2^-24); 0 when either
// part would be empty.
inline size_t expected_validation_rows(const dsc_config &c, size_t n) {
    const double v = std::ceil((double)c.validation_fraction * (double)n * (1.0 - 0x1p-24));
    return v >= 1.0 && v < (double)n ? (size_t)v : 0;
}

inline uint32_t expected_param_count(const dsc_config &c) {
    switch (c.kind) {
        case DSC_LINEAR:
        case DSC_LOGISTIC: return c.n_features + 1;
        case DSC_POLYNOMIAL: return c.degree + 1;
        case DSC_LEGENDRE3: return 4;
        case DSC_SOFTMAX:
            return c.n_classes >= 2 && c.n_classes <= DSC_MAX_CLASSES ? c.n_classes * (c.n_features + 1) : 0;
        default: return 0;
    }
}

// ---- helpers around the API ------------------------------------------------------------------

// Arena bytes behind an address with a chosen misalignment; heap-allocated to the exact end so
// ASan sees any write past it.
struct Arena {
    unsigned char *block = nullptr;
    unsigned char *data = nullptr;
    size_t bytes = 0;  // usable from data
    Arena(size_t need, size_t misalign) {
        const size_t pad = misalign ? 8 - misalign : 0;  // what dsc_create skips to align
        bytes = need + pad;
        block = static_cast<unsigned char *>(malloc(misalign + bytes + 1));
        FUZZ_CHECK(block != nullptr);
        // malloc aligns to 16: block + misalign is misaligned by exactly `misalign`.
        data = block + misalign;
        memset(block, 0xA5, misalign + bytes);
    }
    ~Arena() { free(block); }
    Arena(const Arena &) = delete;
    Arena &operator=(const Arena &) = delete;
};

inline std::vector<float> params_of(const dsc_model *m) {
    std::vector<float> p(dsc_param_count(m));
    FUZZ_CHECK(!p.empty());
    FUZZ_CHECK(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
    return p;
}

inline std::vector<uint8_t> save_of(const dsc_model *m, bool predictor) {
    const size_t n = predictor ? dsc_save_predictor_size(m) : dsc_save_size(m);
    FUZZ_CHECK(n > 0);
    std::vector<uint8_t> b(n);
    size_t written = 12345;
    if (n > 1) {
        // One byte short: BUFFER_TOO_SMALL, written = 0, nothing else.
        const dsc_status s = predictor ? dsc_save_predictor(m, b.data(), n - 1, &written)
                                       : dsc_save(m, b.data(), n - 1, &written);
        FUZZ_CHECK(s == DSC_ERR_BUFFER_TOO_SMALL);
        FUZZ_CHECK(written == 0);
    }
    const dsc_status s = predictor ? dsc_save_predictor(m, b.data(), n, &written)
                                   : dsc_save(m, b.data(), n, &written);
    FUZZ_CHECK(s == DSC_OK);
    FUZZ_CHECK(written == n);
    return b;
}

inline bool valid_status(dsc_status s) {
    return (unsigned)s <= (unsigned)DSC_ERR_SIZE_OVERFLOW || s == DSC_ERR_COMM;
}
// Loading may also hit the arena cap (DSC_ERR_LIMIT); nothing here runs inside a callback, so
// DSC_ERR_BUSY is never valid.
inline bool valid_load_status(dsc_status s) { return valid_status(s) || s == DSC_ERR_LIMIT; }

inline bool known_backend_name(const char *name) {
    static const char *const kNames[] = {"scalar", "sse2", "avx2", "avx512", "neon"};
    if (!name) return false;
    for (const char *k : kNames)
        if (strcmp(name, k) == 0) return true;
    return false;
}

// The status dsc_fit / dsc_loss must return from validation alone (OK: validation passes).
inline dsc_status expected_data_status(const dsc_config &c, const float *X, const float *y,
                                       size_t n) {
    if (n == 0) return DSC_ERR_INVALID_ARGUMENT;
    if (!all_finite(X, n * c.n_features) || !all_finite(y, n)) return DSC_ERR_NONFINITE_INPUT;
    if (c.kind == DSC_LOGISTIC)
        for (size_t i = 0; i < n; ++i)
            if (!(y[i] >= 0.0f && y[i] <= 1.0f)) return DSC_ERR_LABEL_RANGE;
    if (c.kind == DSC_SOFTMAX)  // class indices 0..K-1
        for (size_t i = 0; i < n; ++i)
            if (!(y[i] >= 0.0f && y[i] < (float)c.n_classes && y[i] == std::floor(y[i])))
                return DSC_ERR_LABEL_RANGE;
    if (c.kind == DSC_LOGISTIC && c.loss == DSC_LOSS_HINGE)  // hinge: labels exactly 0 or 1
        for (size_t i = 0; i < n; ++i)
            if (y[i] != 0.0f && y[i] != 1.0f) return DSC_ERR_LABEL_RANGE;
    return DSC_OK;
}

// The sample weights' verdict (descent.h, dsc_fit_weighted): NaN or Inf, then a negative
// weight, then all zero; training with early stopping also needs a nonzero weight on each side
// of the split (the held-out rows from dsc_validation_rows).
inline dsc_status expected_weight_status(const dsc_config &c, const float *w, size_t n, bool training) {
    if (!all_finite(w, n)) return DSC_ERR_NONFINITE_INPUT;
    size_t nz = 0;
    for (size_t i = 0; i < n; ++i) {
        if (w[i] < 0.0f) return DSC_ERR_INVALID_ARGUMENT;
        nz += w[i] > 0.0f;
    }
    if (nz == 0) return DSC_ERR_INVALID_ARGUMENT;
    if (training && c.early_stopping) {
        std::vector<uint32_t> rows(n);
        size_t n_val = 0;
        FUZZ_CHECK(dsc_validation_rows(&c, n, rows.data(), n, &n_val) == DSC_OK);
        size_t nz_val = 0;
        for (size_t i = 0; i < n_val; ++i) nz_val += w[rows[i]] > 0.0f;
        if (nz_val == 0 || nz_val == nz) return DSC_ERR_INVALID_ARGUMENT;
    }
    return DSC_OK;
}

// dsc_fit's verdict from validation alone: the data's, then early stopping's split, then the
// sample weights' (w null: none), which only CPU backends in one process take.
inline dsc_status expected_fit_status(const dsc_config &c, const float *X, const float *y, size_t n,
                                      const float *w = nullptr) {
    dsc_status s = expected_data_status(c, X, y, n);
    if (s == DSC_OK && c.early_stopping && expected_validation_rows(c, n) == 0)
        return DSC_ERR_INVALID_ARGUMENT;
    if (s == DSC_OK && w) {
        if (c.exchange) return DSC_ERR_UNSUPPORTED;
        s = expected_weight_status(c, w, n, true);
    }
    return s;
}

// Predictions of every flavour, with the output range checks that hold for any input.
struct Predictions {
    std::vector<float> value, logit, label;
    dsc_status s_value, s_logit, s_label;
};

inline Predictions predict_all(const dsc_model *m, const float *X, size_t n) {
    Predictions p;
    const size_t cnt = n ? n : 1;
    p.value.assign(cnt, -7.0f);
    p.logit.assign(cnt, -7.0f);
    p.label.assign(cnt, -7.0f);
    p.s_value = dsc_predict(m, X, n, p.value.data());
    p.s_logit = dsc_predict_logit(m, X, n, p.logit.data());
    p.s_label = dsc_predict_label(m, X, n, p.label.data());
    FUZZ_CHECK(valid_status(p.s_value) && valid_status(p.s_logit) && valid_status(p.s_label));
    dsc_config c;
    FUZZ_CHECK(dsc_get_config(m, &c) == DSC_OK);
    if (n == 0) {
        FUZZ_CHECK(p.s_value == DSC_ERR_INVALID_ARGUMENT && p.s_logit == DSC_ERR_INVALID_ARGUMENT &&
                   p.s_label == DSC_ERR_INVALID_ARGUMENT);
        FUZZ_CHECK(p.value[0] == -7.0f && p.logit[0] == -7.0f && p.label[0] == -7.0f);
        return p;
    }
    if (c.kind == DSC_SOFTMAX) {
        // Labels (dsc_predict = dsc_predict_label), no single logit; probabilities sum to 1
        // and their largest is the label's.
        FUZZ_CHECK(p.s_value == DSC_OK && p.s_label == DSC_OK && p.s_logit == DSC_ERR_UNSUPPORTED);
        FUZZ_CHECK(same_bits(p.value.data(), p.label.data(), n * sizeof(float)));
        for (size_t i = 0; i < n; ++i) FUZZ_CHECK(p.logit[i] == -7.0f);
        const size_t K = c.n_classes;
        std::vector<float> pr(n * K, -7.0f);
        FUZZ_CHECK(dsc_predict_proba(m, X, n, pr.data(), n * K - 1) == DSC_ERR_BUFFER_TOO_SMALL);
        FUZZ_CHECK(dsc_predict_proba(m, X, n, pr.data(), n * K) == DSC_OK);
        for (size_t i = 0; i < n; ++i) {
            const float l = p.label[i];
            if (l != l) continue;  // a NaN logit (NaN or huge input)
            FUZZ_CHECK(l >= 0.0f && l < (float)K && l == std::floor(l));
            double s = 0.0;
            bool finite = true;
            for (size_t k = 0; k < K; ++k) {
                const float v = pr[i * K + k];
                finite = finite && v == v;
                if (v == v) FUZZ_CHECK(v >= 0.0f && v <= 1.0f);
                s += v;
            }
            if (finite) FUZZ_CHECK(std::fabs(s - 1.0) <= 1e-5 * (double)K);
        }
        return p;
    }
    FUZZ_CHECK(p.s_value == DSC_OK && p.s_logit == DSC_OK);
    if (c.kind == DSC_LOGISTIC) {
        FUZZ_CHECK(p.s_label == DSC_OK);
        for (size_t i = 0; i < n; ++i) {
            const float v = p.value[i], l = p.label[i];
            FUZZ_CHECK(v != v || (v >= 0.0f && v <= 1.0f));
            FUZZ_CHECK(l != l || l == 0.0f || l == 1.0f);
            FUZZ_CHECK((v != v) == (l != l));
            if (v == v) FUZZ_CHECK(l == (v >= 0.5f ? 1.0f : 0.0f));
        }
    } else {
        FUZZ_CHECK(p.s_label == DSC_ERR_UNSUPPORTED);
        for (size_t i = 0; i < n; ++i) FUZZ_CHECK(p.label[i] == -7.0f);  // failed: untouched
        FUZZ_CHECK(same_bits(p.value.data(), p.logit.data(), n * sizeof(float)));
    }
    return p;
}

inline bool same_predictions(const Predictions &a, const Predictions &b, size_t n) {
    return a.s_value == b.s_value && a.s_logit == b.s_logit && a.s_label == b.s_label &&
           same_bits(a.value.data(), b.value.data(), n * sizeof(float)) &&
           same_bits(a.logit.data(), b.logit.data(), n * sizeof(float)) &&
           same_bits(a.label.data(), b.label.data(), n * sizeof(float));
}

// Loads a blob into its own exactly-sized arena; checks the sizing contract on the way.
struct Loaded {
    Arena *arena = nullptr;
    dsc_model *m = nullptr;
    dsc_status status = DSC_ERR_INVALID_ARGUMENT;
    ~Loaded() { delete arena; }
};

constexpr size_t kMaxArenaBytes = (size_t)16 << 20;

inline void load_blob(const uint8_t *blob, size_t len, size_t misalign, Loaded *out) {
    size_t need = 77;
    const dsc_status sz = dsc_load_arena_size(blob, len, &need);
    FUZZ_CHECK(valid_load_status(sz));
    if (sz == DSC_ERR_LIMIT) {
        // Refused for the default cap only: without a cap the blob is valid and asks for more.
        size_t uncapped = 0;
        FUZZ_CHECK(dsc_load_arena_size_cap(blob, len, 0, SIZE_MAX, &uncapped) == DSC_OK);
        FUZZ_CHECK(uncapped > DSC_LOAD_DEFAULT_MAX_ARENA);
    }
    if (sz != DSC_OK) {
        FUZZ_CHECK(need == 77);  // failed: untouched
        // dsc_load agrees, whatever the arena.
        uint64_t small[64];
        dsc_model *m = reinterpret_cast<dsc_model *>(&need);
        const dsc_status s = dsc_load(blob, len, small, sizeof small, &m);
        FUZZ_CHECK(s == sz);
        FUZZ_CHECK(m == reinterpret_cast<dsc_model *>(&need));
        out->status = s;
        return;
    }
    FUZZ_CHECK(need >= 64 && need % 8 == 0);
    // A tiny file cannot demand a huge arena: never more than the default cap, and the cap
    // the caller passes is honoured to the byte.
    FUZZ_CHECK(need <= DSC_LOAD_DEFAULT_MAX_ARENA);
    {
        size_t capped = 0;
        FUZZ_CHECK(dsc_load_arena_size_cap(blob, len, 0, need, &capped) == DSC_OK && capped == need);
        FUZZ_CHECK(dsc_load_arena_size_cap(blob, len, 0, need - 1, &capped) == DSC_ERR_LIMIT);
    }
    size_t need_ex = 0;
    FUZZ_CHECK(dsc_load_arena_size_ex(blob, len, 3, &need_ex) == DSC_OK);
    FUZZ_CHECK(need_ex >= need);
    if (need > kMaxArenaBytes) {  // a valid blob may ask for up to 4 GiB (huge batch_size)
        uint64_t small[64];
        dsc_model *m = nullptr;
        FUZZ_CHECK(dsc_load(blob, len, small, sizeof small, &m) == DSC_ERR_ARENA_TOO_SMALL);
        FUZZ_CHECK(m == nullptr);
        out->status = DSC_ERR_ARENA_TOO_SMALL;
        return;
    }
    out->arena = new Arena(need, misalign);
    Arena &a = *out->arena;
    dsc_model *m = nullptr;
    FUZZ_CHECK(dsc_load(blob, len, a.data, a.bytes - 1, &m) == DSC_ERR_ARENA_TOO_SMALL);
    FUZZ_CHECK(m == nullptr);
    for (size_t i = 0; i < a.bytes; ++i) FUZZ_CHECK(a.data[i] == 0xA5);  // nothing written
    // The blob inside the arena it is loaded into: refused, never a model with garbage in it.
    {
        Arena inside(need + len, 0);
        memcpy(inside.data + len % (need + 1), blob, len);
        dsc_model *mi = nullptr;
        FUZZ_CHECK(dsc_load(inside.data + len % (need + 1), len, inside.data, inside.bytes, &mi) ==
                   DSC_ERR_INVALID_ARGUMENT);
        FUZZ_CHECK(mi == nullptr);
    }
    out->status = dsc_load(blob, len, a.data, a.bytes, &m);
    FUZZ_CHECK(out->status == DSC_OK);
    FUZZ_CHECK(m != nullptr);
    // Arena to blob length: every array but the batch indices is proportional to the
    // parameters the blob carries (<= 32 bytes of arena per 4 bytes of blob), an index is 4
    // bytes per batch row, and the default cap bounds the whole.
    {
        dsc_config c;
        FUZZ_CHECK(dsc_get_config(m, &c) == DSC_OK);
        uint64_t idx = dsc_save_size(m) != dsc_save_predictor_size(m) && c.batch_size && c.shuffle
                           ? 4ull * c.batch_size
                           : 0;
        // Early stopping's block: its record, the best parameters (counted below with the
        // rest), and row indices for a batch (shuffled or not) or a 256-row held-out group.
        if (dsc_save_size(m) != dsc_save_predictor_size(m) && c.early_stopping)
            idx += 32 + 4ull * (c.batch_size > 256 ? c.batch_size : 256);
        // The NEWTON solver adds two packed p x p matrices and a row: p (p + 2) doubles,
        // quadratic in the parameter count (p <= DSC_NEWTON_MAX_PARAMS keeps it under 8.4 MB).
        const uint64_t p = dsc_param_count(m);
        const bool full_blob = dsc_save_size(m) != dsc_save_predictor_size(m);
        const bool newton = full_blob && (c.solver == DSC_SOLVER_NEWTON ||
                                          (c.solver == DSC_SOLVER_AUTO && c.lr == 0.0f &&
                                           c.batch_size == 0 && p <= DSC_NEWTON_AUTO_MAX_PARAMS));
        FUZZ_CHECK(p <= DSC_NEWTON_MAX_PARAMS || !newton);
        FUZZ_CHECK((uint64_t)need <= 8ull * len + 1024 + idx + (newton ? 8ull * p * (p + 2) : 0));
    }
    FUZZ_CHECK(reinterpret_cast<uintptr_t>(m) % DSC_ARENA_ALIGN == 0);
    FUZZ_CHECK(reinterpret_cast<unsigned char *>(m) >= a.data &&
               reinterpret_cast<unsigned char *>(m) + need <= a.data + a.bytes);
    out->m = m;
}

// Rows of moderate, deterministic inputs for a model with `cols` features.
inline std::vector<float> probe_rows(uint32_t cols, size_t n, uint32_t salt) {
    std::vector<float> X((size_t)cols * n);
    uint32_t s = 0x9E3779B9u ^ salt;
    for (float &v : X) {
        s = s * 1664525u + 1013904223u;
        v = (float)((int32_t)(s >> 8) - (1 << 23)) / (float)(1 << 22);  // [-2, 2)
    }
    return X;
}

}  // namespace fz
