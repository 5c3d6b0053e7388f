// Hostile but legal use of the public API (issue 16): buffers that overlap the arena or the
// model, enum values outside the C enums, re-entry from the epoch callback, targets whose
// squared error overflows float32, a broken DESCENT_BACKEND, and blobs that ask for gigabytes.
// Each case states the status it expects; the README's guarantees table points here.
#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.hpp"

extern "C" {
const char *hostile_status_string(int v);
const char *hostile_stop_reason_string(int v);
int hostile_backend_available(int v);
void hostile_config_init(dsc_config *cfg, int kind, uint32_t n_features);
}

namespace {

using dsct::bits_equal;

dsc_config small_linear(uint32_t d, float lr = 0.05f, uint32_t epochs = 5) {
    dsc_config c;
    dsc_config_init(&c, DSC_LINEAR, d);
    dsct::raw_gd(&c);  // fixed epoch counts: GD without the convergence stop
    c.lr = lr;
    c.max_epochs = epochs;
    return c;
}

std::vector<float> params_of(const dsc_model *m) {
    std::vector<float> p(dsc_param_count(m));
    REQUIRE(dsc_get_params(m, p.data(), p.size()) == DSC_OK);
    return p;
}

std::vector<unsigned char> blob_of(const dsc_model *m, bool predictor = false) {
    std::vector<unsigned char> b(predictor ? dsc_save_predictor_size(m) : dsc_save_size(m));
    size_t w = 0;
    REQUIRE((predictor ? dsc_save_predictor(m, b.data(), b.size(), &w)
                       : dsc_save(m, b.data(), b.size(), &w)) == DSC_OK);
    return b;
}

// Independent bitwise CRC-32 (IEEE 802.3), to forge blobs with valid checksums.
uint32_t crc32_ref(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
}

void fix_crc(std::vector<unsigned char> *b) {
    put_u32(b->data() + b->size() - 4, crc32_ref(b->data(), b->size() - 4));
}

}  // namespace

// =============================================================================================
// Overlap
// =============================================================================================

TEST_CASE("hostile: dsc_create with the config stored inside the arena, at every offset") {
    // Before: the arena was zeroed, then the config copied from it (ASan memcpy-param-overlap;
    // without ASan DSC_OK with n_features 0, then SIGFPE in dsc_predict). Now: DSC_OK and the
    // model is the one the config describes.
    const dsct::Data d = dsct::linear_data(40, {1.0, -2.0, 0.5}, 0.25, 0.01, 7);
    const dsc_config c = small_linear(3);
    dsct::Model ref(c);
    REQUIRE(ref.status == DSC_OK);
    REQUIRE(dsc_fit(ref.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    const std::vector<float> want = params_of(ref.m);

    const size_t need = dsc_arena_size(&c);
    REQUIRE(need > sizeof(dsc_config));
    for (size_t extra : {(size_t)0, sizeof(dsc_config) + 64}) {
        const size_t bytes = need + extra;
        for (size_t off = 0; off + sizeof(dsc_config) <= bytes; off += alignof(dsc_config)) {
            CAPTURE(bytes);
            CAPTURE(off);
            std::vector<uint64_t> arena(bytes / 8 + 1, 0xA5A5A5A5A5A5A5A5ull);
            unsigned char *a = reinterpret_cast<unsigned char *>(arena.data());
            memcpy(a + off, &c, sizeof c);
            dsc_model *m = nullptr;
            REQUIRE(dsc_create(reinterpret_cast<const dsc_config *>(a + off), a, bytes, &m) == DSC_OK);
            dsc_config got;
            REQUIRE(dsc_get_config(m, &got) == DSC_OK);
            CHECK(got.n_features == 3);
            CHECK(got.lr == 0.05f);
            CHECK(got.max_epochs == 5);
            REQUIRE(dsc_fit(m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
            CHECK(bits_equal(params_of(m), want));
            std::vector<float> out(d.n);
            CHECK(dsc_predict(m, d.X.data(), d.n, out.data()) == DSC_OK);
        }
    }
}

TEST_CASE("hostile: dsc_create refuses an out pointer inside the bytes the model will occupy") {
    const dsc_config c = small_linear(2);
    const size_t need = dsc_arena_size(&c);
    std::vector<uint64_t> arena(need / 8 + 2, 0);
    dsc_model **inside = reinterpret_cast<dsc_model **>(arena.data() + 2);
    CHECK(dsc_create(&c, arena.data(), need, inside) == DSC_ERR_INVALID_ARGUMENT);
    // Past the model, the arena's bytes are the caller's.
    dsc_model **after = reinterpret_cast<dsc_model **>(arena.data() + need / 8);
    CHECK(dsc_create(&c, arena.data(), need, after) == DSC_OK);
    CHECK(dsc_param_count(*after) == 3);
}

TEST_CASE("hostile: dsc_load with the blob inside the target arena, at every byte offset") {
    // Before: DSC_OK with zeroed or garbage parameters when the blob sat where the model is
    // placed (e.g. an MCU reading the file into the arena). Now: any overlap of
    // [blob, blob + len) with [arena, arena + arena_bytes) is DSC_ERR_INVALID_ARGUMENT, and a
    // blob just before or just after the arena loads exactly.
    const dsct::Data d = dsct::linear_data(30, {0.5, 1.5}, -1.0, 0.01, 3);
    dsc_config c = small_linear(2);
    c.momentum = 0.9f;  // a velocity array too
    dsct::Model src(c);
    REQUIRE(src.status == DSC_OK);
    REQUIRE(dsc_fit(src.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
    const std::vector<float> want = params_of(src.m);
    for (bool predictor : {false, true}) {
        CAPTURE(predictor);
        const std::vector<unsigned char> blob = blob_of(src.m, predictor);
        const size_t L = blob.size();
        size_t A = 0;
        REQUIRE(dsc_load_arena_size(blob.data(), L, &A) == DSC_OK);
        const size_t lead = (L + 7) / 8 * 8;  // arena starts here, 8-byte aligned
        std::vector<uint64_t> buf((lead + A + L) / 8 + 2);
        unsigned char *b = reinterpret_cast<unsigned char *>(buf.data());
        unsigned char *arena = b + lead;
        size_t refused = 0, loaded = 0;
        for (size_t off = 0; off + L <= lead + A + L; ++off) {
            CAPTURE(off);
            memset(b, 0, buf.size() * 8);
            memcpy(b + off, blob.data(), L);
            const bool overlaps = off + L > lead && off < lead + A;
            dsc_model *m = nullptr;
            const int which = (int)(off % 3);  // rotate through the three load entry points
            const dsc_status s =
                which == 0   ? dsc_load(b + off, L, arena, A, &m)
                : which == 1 ? dsc_load_ex(b + off, L, arena, A, nullptr, nullptr, 0, &m)
                             : dsc_load_cap(b + off, L, arena, A, nullptr, nullptr, 0, SIZE_MAX, &m);
            if (overlaps) {
                CHECK(s == DSC_ERR_INVALID_ARGUMENT);
                CHECK(m == nullptr);
                ++refused;
            } else {
                REQUIRE(s == DSC_OK);
                CHECK(bits_equal(params_of(m), want));
                ++loaded;
            }
        }
        // The arena's start and end, and every offset in between, are among the refused ones.
        CHECK(refused == A + L - 1);
        CHECK(loaded == lead - L + 2);  // offsets 0..lead-L, and lead+A
    }
}

TEST_CASE("hostile: buffers inside the model's own bytes are refused, past the model they are the caller's") {
    // Before: no memory error, but garbage (X read while written, the model overwritten by its
    // own outputs). Now: DSC_ERR_INVALID_ARGUMENT and nothing changes.
    const size_t n = 4;
    dsc_config c;
    dsc_config_init(&c, DSC_LOGISTIC, 2);
    c.lr = 0.1f;
    c.max_epochs = 3;
    const size_t need = dsc_arena_size(&c);
    const size_t spare = 4096;
    std::vector<uint64_t> arena((need + spare) / 8, 0);
    dsc_model *m = nullptr;
    REQUIRE(dsc_create(&c, arena.data(), need + spare, &m) == DSC_OK);
    unsigned char *base = reinterpret_cast<unsigned char *>(arena.data());
    REQUIRE(reinterpret_cast<unsigned char *>(m) == base);
    const float init[3] = {0.25f, -0.5f, 1.0f};
    REQUIRE(dsc_set_params(m, init, 3) == DSC_OK);
    const std::vector<unsigned char> before = blob_of(m);

    // In the model: the header and the parameters (zeros and finite values are valid data).
    float *in_model = reinterpret_cast<float *>(base + 8);
    float *last_bytes = reinterpret_cast<float *>(base + need - 4);
    // Past the model: free for the caller.
    float *past = reinterpret_cast<float *>(base + need);
    float Xok[8] = {0.5f, 1.0f, -1.0f, 2.0f, 0.0f, 0.25f, 1.5f, -0.5f};
    float yok[4] = {0.0f, 1.0f, 1.0f, 0.0f};
    float out[4];
    for (float *bad : {in_model, last_bytes}) {
        CAPTURE((const void *)bad);
        CHECK(dsc_predict(m, Xok, n, bad) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_predict_logit(m, Xok, n, bad) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_predict_label(m, Xok, n, bad) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_get_params(m, bad, 3) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_loss(m, Xok, yok, n, bad) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_save(m, bad, 4096, nullptr) == DSC_ERR_INVALID_ARGUMENT);
        CHECK(dsc_save_predictor(m, bad, 4096, nullptr) == DSC_ERR_INVALID_ARGUMENT);
    }
    // Inputs in the model (bytes that are finite floats, so only the overlap rule can refuse).
    float *params_in_model = nullptr;
    for (size_t off = 0; off + 12 <= need; off += 4) {
        float v[3];
        memcpy(v, base + off, 12);
        if (std::isfinite(v[0]) && std::isfinite(v[1]) && std::isfinite(v[2]) && v[0] >= 0.0f &&
            v[0] <= 1.0f) {
            params_in_model = reinterpret_cast<float *>(base + off);
            break;
        }
    }
    REQUIRE(params_in_model != nullptr);
    CHECK(dsc_predict(m, params_in_model, 1, out) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_set_params(m, params_in_model, 3) == DSC_ERR_INVALID_ARGUMENT);
    float loss = 0.0f;
    CHECK(dsc_loss(m, params_in_model, yok, 1, &loss) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_loss(m, Xok, params_in_model, 1, &loss) == DSC_ERR_INVALID_ARGUMENT);
    dsc_fit_report rep;
    CHECK(dsc_fit(m, params_in_model, yok, 1, &rep) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(rep.message != nullptr);
    CHECK(dsc_fit(m, Xok, params_in_model, 1, &rep) == DSC_ERR_INVALID_ARGUMENT);
    CHECK(std::string(rep.message).find("overlaps") != std::string::npos);
    CHECK(dsc_fit(m, Xok, yok, n, reinterpret_cast<dsc_fit_report *>(base + 16)) ==
          DSC_ERR_INVALID_ARGUMENT);
    CHECK(dsc_get_config(m, reinterpret_cast<dsc_config *>(base + 8)) == DSC_ERR_INVALID_ARGUMENT);
    std::vector<unsigned char> sbuf(dsc_save_size(m));
    CHECK(dsc_save(m, sbuf.data(), sbuf.size(), reinterpret_cast<size_t *>(base + 8)) ==
          DSC_ERR_INVALID_ARGUMENT);
    // Nothing changed.
    CHECK(blob_of(m) == before);

    // The same calls with buffers past the model succeed.
    CHECK(dsc_predict(m, Xok, n, past) == DSC_OK);
    CHECK(dsc_get_params(m, past, 3) == DSC_OK);
    memcpy(past, Xok, sizeof Xok);
    memcpy(past + 8, yok, sizeof yok);
    CHECK(dsc_loss(m, past, past + 8, n, past + 12) == DSC_OK);
    CHECK(dsc_fit(m, past, past + 8, n, reinterpret_cast<dsc_fit_report *>(past + 16)) == DSC_OK);
    size_t *written = reinterpret_cast<size_t *>(base + need + 512);
    CHECK(dsc_save(m, base + need + 1024, spare - 1024, written) == DSC_OK);
    CHECK(*written == dsc_save_size(m));
}

// =============================================================================================
// Enums: every enum parameter and field, with values outside the C enums (a C caller may pass
// any int). Under UBSan (-fsanitize=enum, clang: preset ubsan-enum) the library must not load
// them as the C++ enum type.
// =============================================================================================

TEST_CASE("hostile: enum parameters outside their enums") {
    const int bad[] = {-1, INT_MIN, INT_MAX, 14, 16, 99, 255, 256};
    for (int v : bad) {
        CAPTURE(v);
        CHECK(std::string(hostile_status_string(v)) == "unknown status");
        CHECK(std::string(hostile_stop_reason_string(v)) == "unknown stop reason");
        CHECK(hostile_backend_available(v) == 0);
        dsc_config c;
        hostile_config_init(&c, v, 1);
        CHECK(c.kind == (uint32_t)v);
        CHECK(dsc_check_config(&c) != nullptr);
        CHECK(dsc_arena_size(&c) == 0);
        std::vector<uint64_t> arena(512);
        dsc_model *m = nullptr;
        CHECK(dsc_create(&c, arena.data(), arena.size() * 8, &m) == DSC_ERR_INVALID_ARGUMENT);
    }
    CHECK(std::string(hostile_stop_reason_string(10)) == "unknown stop reason");
    CHECK(hostile_backend_available(7) == 0);
    CHECK(hostile_backend_available(0) == 1);
    dsc_config zero;
    hostile_config_init(&zero, 0, 1);
    CHECK(dsc_check_config(&zero) != nullptr);
    // Every status has its own message, the new ones included.
    for (int s = 0; s <= 12; ++s) CHECK(std::string(hostile_status_string(s)) != "unknown status");
    CHECK(std::string(dsc_status_string(DSC_ERR_BUSY)).find("on_epoch") != std::string::npos);
    CHECK(std::string(dsc_status_string(DSC_ERR_LIMIT)).find("max_arena_bytes") != std::string::npos);
}

TEST_CASE("hostile: enum fields of dsc_config outside their enums") {
    const uint32_t bad[] = {2u, 3u, 5u, 7u, 99u, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
    struct Field {
        const char *name;
        uint32_t dsc_config::*f;
        uint32_t first_bad;
    };
    const Field fields[] = {{"kind", &dsc_config::kind, 5},
                            {"reduction", &dsc_config::reduction, 2},
                            {"schedule", &dsc_config::schedule, 3},
                            {"backend", &dsc_config::backend, 7}};
    for (const Field &fd : fields) {
        for (uint32_t v : bad) {
            if (v < fd.first_bad) continue;
            CAPTURE(fd.name);
            CAPTURE(v);
            dsc_config c = small_linear(1);
            c.*fd.f = v;
            CHECK(dsc_check_config(&c) != nullptr);
            CHECK(dsc_arena_size(&c) == 0);
            std::vector<uint64_t> arena(512);
            dsc_model *m = nullptr;
            CHECK(dsc_create(&c, arena.data(), arena.size() * 8, &m) == DSC_ERR_INVALID_ARGUMENT);
        }
    }
    dsc_config c = small_linear(1);
    c.kind = 0;
    CHECK(dsc_create(&c, nullptr, 0, nullptr) == DSC_ERR_INVALID_ARGUMENT);
}

// =============================================================================================
// Re-entry from on_epoch
// =============================================================================================

namespace {

struct Probe {
    dsc_model *m = nullptr;
    const dsct::Data *d = nullptr;
    uint32_t at_epoch = 2;
    uint32_t calls = 0;
    uint32_t epoch3 = 0;
    bool stop_at_3 = false;
    bool ran = false;
    // statuses seen inside the callback
    dsc_status fit = DSC_OK, set_params = DSC_OK, reset = DSC_OK, set_callback = DSC_OK;
    dsc_status predict = DSC_ERR_UNSUPPORTED, logit = DSC_ERR_UNSUPPORTED, loss = DSC_ERR_UNSUPPORTED;
    dsc_status get_params = DSC_ERR_UNSUPPORTED, get_config = DSC_ERR_UNSUPPORTED;
    dsc_status save = DSC_ERR_UNSUPPORTED, save_pred = DSC_ERR_UNSUPPORTED, load = DSC_ERR_UNSUPPORTED;
    dsc_status create_other = DSC_ERR_UNSUPPORTED, fit_other = DSC_ERR_UNSUPPORTED;
    dsc_fit_report inner_rep{};
    size_t param_count = 0, save_size = 0;
    std::string backend;
    bool check_config_ok = false;
    std::vector<float> params_seen, loaded_params;
    std::vector<unsigned char> blob;
};

int reenter(void *user, uint32_t epoch, float) {
    Probe &p = *static_cast<Probe *>(user);
    ++p.calls;
    if (epoch == 3) ++p.epoch3;
    if (epoch == p.at_epoch && !p.ran) {
        p.ran = true;
        dsc_model *m = p.m;
        const dsct::Data &d = *p.d;
        // Mutating calls: refused, nothing changes.
        p.fit = dsc_fit(m, d.X.data(), d.y.data(), d.n, &p.inner_rep);
        const float zeros[3] = {0, 0, 0};
        p.set_params = dsc_set_params(m, zeros, 3);
        p.reset = dsc_reset(m);
        p.set_callback = dsc_set_callback(m, nullptr, nullptr);
        // Const calls: allowed, and see the parameters after this epoch's step.
        std::vector<float> out(d.n);
        p.predict = dsc_predict(m, d.X.data(), d.n, out.data());
        p.logit = dsc_predict_logit(m, d.X.data(), d.n, out.data());
        float l = 0.0f;
        p.loss = dsc_loss(m, d.X.data(), d.y.data(), d.n, &l);
        p.params_seen.assign(dsc_param_count(m), 0.0f);
        p.get_params = dsc_get_params(m, p.params_seen.data(), p.params_seen.size());
        dsc_config c;
        p.get_config = dsc_get_config(m, &c);
        p.check_config_ok = dsc_check_config(&c) == nullptr && dsc_arena_size(&c) > 0;
        p.param_count = dsc_param_count(m);
        p.save_size = dsc_save_size(m);
        p.backend = dsc_backend_name(m);
        p.blob.assign(dsc_save_size(m), 0);
        size_t w = 0;
        p.save = dsc_save(m, p.blob.data(), p.blob.size(), &w);
        std::vector<unsigned char> pb(dsc_save_predictor_size(m));
        p.save_pred = dsc_save_predictor(m, pb.data(), pb.size(), &w);
        // Other models: anything goes, including a fit (whose own callback is not ours).
        static thread_local std::vector<uint64_t> other_arena, load_arena;
        dsc_config oc = c;
        oc.on_epoch = nullptr;
        oc.max_epochs = 2;
        other_arena.assign(dsc_arena_size(&oc) / 8 + 1, 0);
        dsc_model *o = nullptr;
        p.create_other = dsc_create(&oc, other_arena.data(), other_arena.size() * 8, &o);
        if (o) p.fit_other = dsc_fit(o, d.X.data(), d.y.data(), d.n, nullptr);
        size_t need = 0;
        if (dsc_load_arena_size(p.blob.data(), p.blob.size(), &need) == DSC_OK) {
            load_arena.assign(need / 8 + 1, 0);
            dsc_model *lm = nullptr;
            p.load = dsc_load(p.blob.data(), p.blob.size(), load_arena.data(), need, &lm);
            if (lm) {
                p.loaded_params.assign(dsc_param_count(lm), 0.0f);
                dsc_get_params(lm, p.loaded_params.data(), p.loaded_params.size());
                // The in-fit mark is not saved: the loaded model is free to change.
                if (dsc_set_params(lm, zeros, 3) != DSC_OK) p.load = DSC_ERR_BUSY;
            }
        }
    }
    return p.stop_at_3 && epoch == 3;
}

}  // namespace

TEST_CASE("hostile: every API call from inside on_epoch") {
    // Before: dsc_set_params / dsc_reset from the callback of an automatic-rate model set the
    // rate to 0 for the rest of the fit (training silently stopped), restarted the epoch
    // counter and miscounted report.steps; dsc_fit recursed without bound. Now: DSC_ERR_BUSY
    // for the mutating calls, the fit goes on unchanged, the const calls work.
    const dsct::Data d = dsct::linear_data(64, {1.0, -1.0}, 0.5, 0.01, 11);
    for (bool minibatch : {false, true}) {
        CAPTURE(minibatch);
        dsc_config c = small_linear(2, 0.0f /* automatic rate */, 8);
        if (minibatch) c.batch_size = 16;
        Probe p;
        p.d = &d;
        p.at_epoch = 2;
        c.on_epoch = reenter;
        c.user = &p;
        dsct::Model model(c);
        REQUIRE(model.status == DSC_OK);
        p.m = model.m;
        dsc_fit_report rep;
        REQUIRE(dsc_fit(model.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
        REQUIRE(p.ran);
        CHECK(p.fit == DSC_ERR_BUSY);
        CHECK(std::string(p.inner_rep.message).find("on_epoch") != std::string::npos);
        CHECK(p.set_params == DSC_ERR_BUSY);
        CHECK(p.reset == DSC_ERR_BUSY);
        CHECK(p.set_callback == DSC_ERR_BUSY);
        CHECK(p.predict == DSC_OK);
        CHECK(p.logit == DSC_OK);
        CHECK(p.loss == DSC_OK);
        CHECK(p.get_params == DSC_OK);
        CHECK(p.get_config == DSC_OK);
        CHECK(p.check_config_ok);
        CHECK(p.param_count == 3);
        CHECK(p.save_size == p.blob.size());
        CHECK(p.backend != "invalid");
        CHECK(p.save == DSC_OK);
        CHECK(p.save_pred == DSC_OK);
        CHECK(p.create_other == DSC_OK);
        CHECK(p.fit_other == DSC_OK);
        CHECK(p.load == DSC_OK);
        CHECK(bits_equal(p.loaded_params, p.params_seen));
        // The fit ran on, untouched: every epoch called back once, the automatic rate stayed.
        CHECK(rep.epochs_run == 8);
        CHECK(p.calls == 8);
        CHECK(p.epoch3 == 1);
        CHECK(rep.lr > 0.0f);
        CHECK(rep.steps == (minibatch ? 8u * 4u : 8u));
        // The same fit without the re-entrant calls gives the same bits; the parameters seen at
        // epoch 2 are those of a 2-epoch fit.
        dsc_config plain = c;
        plain.on_epoch = nullptr;
        plain.user = nullptr;
        dsct::Model ref(plain);
        REQUIRE(dsc_fit(ref.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        CHECK(bits_equal(params_of(model.m), params_of(ref.m)));
        plain.max_epochs = 2;
        dsct::Model two(plain);
        REQUIRE(dsc_fit(two.m, d.X.data(), d.y.data(), d.n, nullptr) == DSC_OK);
        CHECK(bits_equal(p.params_seen, params_of(two.m)));
        // After the fit the model is free again.
        const float z[3] = {0, 0, 0};
        CHECK(dsc_set_params(model.m, z, 3) == DSC_OK);
        CHECK(dsc_reset(model.m) == DSC_OK);
        CHECK(dsc_set_callback(model.m, nullptr, nullptr) == DSC_OK);
    }
}

TEST_CASE("hostile: a callback stopping at epoch 3 fires once, whatever it calls") {
    const dsct::Data d = dsct::linear_data(32, {2.0}, 0.0, 0.01, 5);
    dsc_config c = small_linear(1, 0.0f, 20);
    Probe p;
    p.d = &d;
    p.at_epoch = 1;
    p.stop_at_3 = true;
    c.on_epoch = reenter;
    c.user = &p;
    dsct::Model model(c);
    p.m = model.m;
    // reenter's set_params / reset target a 3-parameter model; this one has 2, so they fail
    // on count if ever admitted: BUSY must come first.
    dsc_fit_report rep;
    REQUIRE(dsc_fit(model.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(p.set_params == DSC_ERR_BUSY);
    CHECK(p.reset == DSC_ERR_BUSY);
    CHECK(p.epoch3 == 1);
    CHECK(rep.stop_reason == DSC_STOP_CALLBACK);
    CHECK(rep.epochs_run == 3);
    CHECK(rep.steps == 3);
}

namespace {
int reset_then_diverge(void *user, uint32_t, float) {
    dsc_model *m = static_cast<dsc_model *>(user);
    return dsc_reset(m) == DSC_ERR_BUSY ? 0 : 1;
}
}  // namespace

TEST_CASE("hostile: the in-fit mark is cleared on every return path") {
    const dsct::Data d = dsct::linear_data(16, {3.0}, 1.0, 0.0, 9);
    dsc_config c = small_linear(1, 50.0f /* diverges */, 200);
    dsct::Model model(c);
    REQUIRE(dsc_set_callback(model.m, reset_then_diverge, model.m) == DSC_OK);
    dsc_fit_report rep;
    CHECK(dsc_fit(model.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_ERR_DIVERGED);
    CHECK(rep.stop_reason == DSC_STOP_DIVERGED);
    CHECK(dsc_reset(model.m) == DSC_OK);
    // Validation failure: never marked.
    std::vector<float> ynan(d.y);
    ynan[0] = NAN;
    CHECK(dsc_fit(model.m, d.X.data(), ynan.data(), d.n, &rep) == DSC_ERR_NONFINITE_INPUT);
    CHECK(dsc_reset(model.m) == DSC_OK);
    // Stopped by the callback: cleared too.
    REQUIRE(dsc_set_callback(model.m, [](void *, uint32_t, float) { return 1; }, nullptr) == DSC_OK);
    CHECK(dsc_fit(model.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_OK);
    CHECK(dsc_set_callback(model.m, nullptr, nullptr) == DSC_OK);
}

// =============================================================================================
// Messages
// =============================================================================================

TEST_CASE("hostile: targets whose squared error overflows float32 say so") {
    // Before: DSC_ERR_DIVERGED with "lower the learning rate", which no rate can fix. Now: the
    // same status, with "loss overflows float32 for these targets: scale them".
    const dsct::Data d = dsct::linear_data(16, {1.0, 2.0}, 0.0, 0.0, 13);
    std::vector<float> y(d.n);
    for (size_t i = 0; i < d.n; ++i) y[i] = (i & 1 ? -1.0f : 1.0f) * 1e19f;
    for (uint32_t batch : {0u, 4u}) {
        for (float lr : {0.0f, 1e-3f, 1e-30f}) {
            CAPTURE(batch);
            CAPTURE(lr);
            dsc_config c = small_linear(2, lr, 10);
            c.batch_size = batch;
            dsct::Model model(c);
            dsc_fit_report rep;
            CHECK(dsc_fit(model.m, d.X.data(), y.data(), d.n, &rep) == DSC_ERR_DIVERGED);
            CHECK(rep.stop_reason == DSC_STOP_DIVERGED);
            const std::string msg = rep.message;
            CHECK(msg.find("loss overflows float32 for these targets: scale them") != std::string::npos);
            CHECK(msg.find("lower the learning rate") == std::string::npos);
        }
    }
    // A true learning-rate divergence keeps its advice.
    dsc_config c = small_linear(2, 100.0f, 50);
    dsct::Model model(c);
    dsc_fit_report rep;
    REQUIRE(dsc_fit(model.m, d.X.data(), d.y.data(), d.n, &rep) == DSC_ERR_DIVERGED);
    CHECK(std::string(rep.message).find("lower the learning rate") != std::string::npos);
}

namespace {
struct EnvGuard {
    std::string old;
    bool had;
    EnvGuard() {
        const char *v = std::getenv("DESCENT_BACKEND");
        had = v != nullptr;
        if (had) old = v;
    }
    ~EnvGuard() {
        if (had) setenv("DESCENT_BACKEND", old.c_str(), 1);
        else unsetenv("DESCENT_BACKEND");
    }
};
}  // namespace

TEST_CASE("hostile: an unknown or unavailable DESCENT_BACKEND is ignored by AUTO models") {
    // Before: DSC_ERR_UNSUPPORTED from dsc_create for every AUTO model, and valid predictor
    // blobs failing to load as DSC_ERR_BAD_MODEL_BLOB ("truncated, corrupted").
    EnvGuard guard;
    unsetenv("DESCENT_BACKEND");
    const dsc_config c = small_linear(2);
    dsct::Model plain(c);
    REQUIRE(plain.status == DSC_OK);
    const std::string real = dsc_backend_name(plain.m);
    const std::vector<unsigned char> pred = blob_of(plain.m, true);
    const std::vector<unsigned char> full = blob_of(plain.m, false);
    std::vector<const char *> names = {"avx9000", "AVX2", " scalar", "cuda", "auto"};
    const char *paths[] = {"scalar", "sse2", "avx2", "avx512", "neon"};
    const dsc_backend ids[] = {DSC_BACKEND_SCALAR, DSC_BACKEND_SSE2, DSC_BACKEND_AVX2,
                               DSC_BACKEND_AVX512, DSC_BACKEND_NEON};
    dsc_backend unavailable = DSC_BACKEND_AUTO;
    for (int i = 0; i < 5; ++i)
        if (!dsc_backend_available(ids[i])) {
            names.push_back(paths[i]);  // a real path this CPU or build lacks
            if (unavailable == DSC_BACKEND_AUTO) unavailable = ids[i];
        }
    for (const char *name : names) {
        CAPTURE(name);
        setenv("DESCENT_BACKEND", name, 1);
        CHECK(dsc_check_config(&c) == nullptr);
        dsct::Model m(c);
        REQUIRE(m.status == DSC_OK);
        CHECK(std::string(dsc_backend_name(m.m)) == real);
        for (const auto *b : {&pred, &full}) {
            size_t need = 0;
            CHECK(dsc_load_arena_size(b->data(), b->size(), &need) == DSC_OK);
            std::vector<uint64_t> arena(need / 8 + 1);
            dsc_model *lm = nullptr;
            CHECK(dsc_load(b->data(), b->size(), arena.data(), need, &lm) == DSC_OK);
        }
    }
    // An explicit config.backend that is unavailable keeps its error, and says the config asked.
    if (unavailable != DSC_BACKEND_AUTO) {
        unsetenv("DESCENT_BACKEND");
        dsc_config e = c;
        e.backend = unavailable;
        const char *msg = dsc_check_config(&e);
        REQUIRE(msg != nullptr);
        CHECK(std::string(msg).find("config.backend asks") != std::string::npos);
        std::vector<uint64_t> arena(1024);
        dsc_model *m = nullptr;
        CHECK(dsc_create(&e, arena.data(), arena.size() * 8, &m) == DSC_ERR_UNSUPPORTED);
    }
}

// =============================================================================================
// Blob size cap
// =============================================================================================

TEST_CASE("hostile: a small blob cannot ask for gigabytes of arena") {
    // Before: a ~260-byte blob with a valid CRC and batch_size 0x3f800000 was accepted and
    // dsc_load_arena_size asked for 4,261,414,072 bytes. Now: DSC_ERR_LIMIT past
    // DSC_LOAD_DEFAULT_MAX_ARENA, and the _cap entry points let the caller choose.
    dsc_config c = small_linear(33, 0.1f);
    c.batch_size = 1;
    dsct::Model src(c);
    REQUIRE(src.status == DSC_OK);
    std::vector<unsigned char> blob = blob_of(src.m);
    CHECK(blob.size() < 354);  // format 3: 32 bytes more than format 2; format 4 8, format 5 16
    put_u32(blob.data() + 32, 0x3f800000u);  // config.batch_size (format v1 offset 32)
    fix_crc(&blob);
    size_t need = 1;
    CHECK(dsc_load_arena_size(blob.data(), blob.size(), &need) == DSC_ERR_LIMIT);
    CHECK(need == 1);  // untouched
    CHECK(dsc_load_arena_size_ex(blob.data(), blob.size(), 4, &need) == DSC_ERR_LIMIT);
    std::vector<uint64_t> arena(1 << 12);
    dsc_model *m = nullptr;
    CHECK(dsc_load(blob.data(), blob.size(), arena.data(), arena.size() * 8, &m) == DSC_ERR_LIMIT);
    CHECK(dsc_load_ex(blob.data(), blob.size(), arena.data(), arena.size() * 8, nullptr, nullptr, 0,
                      &m) == DSC_ERR_LIMIT);
    CHECK(m == nullptr);
    // The caller's own cap: no cap gives the true size, one byte less is refused.
    size_t huge = 0;
    REQUIRE(dsc_load_arena_size_cap(blob.data(), blob.size(), 0, SIZE_MAX, &huge) == DSC_OK);
    CHECK(huge > (size_t)4000000000u);
    CHECK(dsc_load_arena_size_cap(blob.data(), blob.size(), 0, huge - 1, &need) == DSC_ERR_LIMIT);
    CHECK(dsc_load_arena_size_cap(blob.data(), blob.size(), 0, huge, &need) == DSC_OK);
    CHECK(dsc_load_cap(blob.data(), blob.size(), arena.data(), arena.size() * 8, nullptr, nullptr, 0,
                       SIZE_MAX, &m) == DSC_ERR_ARENA_TOO_SMALL);
    CHECK(dsc_load_cap(blob.data(), blob.size(), arena.data(), arena.size() * 8, nullptr, nullptr, 0,
                       huge - 1, &m) == DSC_ERR_LIMIT);

    // An ordinary blob loads under the default cap, and under a cap of exactly its size.
    const std::vector<unsigned char> ok = blob_of(src.m);
    size_t ok_need = 0;
    REQUIRE(dsc_load_arena_size(ok.data(), ok.size(), &ok_need) == DSC_OK);
    CHECK(ok_need <= DSC_LOAD_DEFAULT_MAX_ARENA);
    CHECK(dsc_load_cap(ok.data(), ok.size(), arena.data(), arena.size() * 8, nullptr, nullptr, 0,
                       ok_need, &m) == DSC_OK);
    CHECK(dsc_load_cap(ok.data(), ok.size(), arena.data(), arena.size() * 8, nullptr, nullptr, 0,
                       ok_need - 1, &m) == DSC_ERR_LIMIT);
    // Task slots count towards the cap.
    size_t with_tasks = 0;
    REQUIRE(dsc_load_arena_size_cap(ok.data(), ok.size(), 8, SIZE_MAX, &with_tasks) == DSC_OK);
    CHECK(with_tasks > ok_need);
    CHECK(dsc_load_arena_size_cap(ok.data(), ok.size(), 8, ok_need, &need) == DSC_ERR_LIMIT);
}
