// Fuzz target (a): dsc_load on arbitrary bytes. Whatever the bytes, every call returns a valid
// status and stays inside its buffers; a blob that loads must
//   - agree with dsc_load_arena_size (and fail with one byte less, writing nothing),
//   - save back byte-identically (full blobs as full blobs, predictors as predictors),
//   - predict, and predict bit-identically after a predictor round trip,
//   - if trainable, train (stopped by a callback after at most 3 epochs, whatever max_epochs
//     the blob says) with finite parameters after, and save/load byte-identically again.
//
// Built twice: fuzz_load takes the bytes as they are (so the length and CRC checks are what
// mostly answers), fuzz_load_crc (DSC_FUZZ_FIX_CRC) first writes the true length into the
// header and a correct CRC-32 over the mutated bytes, so mutations reach the field-by-field
// validation behind the CRC.
#include "fuzz_common.hpp"

namespace {

// Independent CRC-32 (IEEE 802.3, reflected 0xEDB88320), bitwise: not the library's code.
uint32_t crc32_ref(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

int stop_after_three(void *user, uint32_t, float) {
    uint32_t *calls = static_cast<uint32_t *>(user);
    return ++*calls >= 3;
}

void exercise(const uint8_t *blob, size_t len) {
    fz::Loaded l;
    fz::load_blob(blob, len, len % 8, &l);
    if (l.status != DSC_OK) return;
    dsc_model *m = l.m;

    // The model reads back exactly as stored; a format-1 to -4 full blob saves as format 5,
    // whose parameters are the same bits (and which itself saves back exactly, when fuzzed).
    const bool old_full = len >= 8 && (blob[4] >= 1 && blob[4] <= 4) && blob[5] == 0 && (blob[6] & 1u);
    if (!old_full) FUZZ_CHECK(fz::save_of(m, false) == std::vector<uint8_t>(blob, blob + len));
    dsc_config c;
    FUZZ_CHECK(dsc_get_config(m, &c) == DSC_OK);
    FUZZ_CHECK(fz::known_backend_name(dsc_backend_name(m)));
    FUZZ_CHECK(dsc_param_count(m) == fz::expected_param_count(c));
    const std::vector<float> p0 = fz::params_of(m);
    FUZZ_CHECK(fz::all_finite(p0.data(), p0.size()));

    // Predictions on moderate rows; a predictor round trip predicts the same bits.
    const size_t n = 5;
    const std::vector<float> X = fz::probe_rows(c.n_features, n, (uint32_t)len);
    const fz::Predictions pred = fz::predict_all(m, X.data(), n);
    {
        const std::vector<uint8_t> pb = fz::save_of(m, true);
        fz::Loaded lp;
        fz::load_blob(pb.data(), pb.size(), 0, &lp);
        FUZZ_CHECK(lp.status == DSC_OK);
        FUZZ_CHECK(fz::save_of(lp.m, true) == pb);
        if (strcmp(dsc_backend_name(lp.m), dsc_backend_name(m)) == 0)
            FUZZ_CHECK(fz::same_predictions(fz::predict_all(lp.m, X.data(), n), pred, n));
    }

    // Training from the loaded state: the loaded config is whatever the blob says (up to 2^32
    // epochs), so a callback stops it after three.
    std::vector<float> y(n);
    // Labels every kind takes: 0 / 1 for LOGISTIC and SOFTMAX (K >= 2), a column otherwise.
    for (size_t i = 0; i < n; ++i)
        y[i] = c.kind == DSC_LOGISTIC || c.kind == DSC_SOFTMAX ? (float)(i & 1) : X[i * c.n_features];
    uint32_t calls = 0;
    FUZZ_CHECK(dsc_set_callback(m, stop_after_three, &calls) == DSC_OK);
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m, X.data(), y.data(), n, &rep);
    FUZZ_CHECK(fz::valid_status(s));
    FUZZ_CHECK(rep.message != nullptr);
    const std::vector<float> p1 = fz::params_of(m);
    FUZZ_CHECK(fz::all_finite(p1.data(), p1.size()));
    if (dsc_save_size(m) == dsc_save_predictor_size(m)) {
        // A predictor blob (no config or training state): training is refused, nothing changes.
        FUZZ_CHECK(s == DSC_ERR_UNSUPPORTED);
        FUZZ_CHECK(fz::same_bits(p0.data(), p1.data(), p0.size() * sizeof(float)));
        return;
    }
    // The data's verdict under the loaded config: early stopping's split of these 5 rows can
    // leave one side empty (a validation_fraction >= 0.8): refused, nothing changes.
    const dsc_status want = fz::expected_fit_status(c, X.data(), y.data(), n);
    if (want != DSC_OK) {
        FUZZ_CHECK(s == want);
        FUZZ_CHECK(fz::same_bits(p0.data(), p1.data(), p0.size() * sizeof(float)));
        return;
    }
    if (s == DSC_ERR_UNSUPPORTED) {
        // The one data-dependent refusal (as fuzz_fit's): a model whose first fit measures
        // the column statistics, with loaded parameters that overflow float32 once mapped to
        // the standardized coordinates. Nothing may have changed.
        FUZZ_CHECK(rep.standardized == 1);
        FUZZ_CHECK(strstr(rep.message, "standardized coordinates") != nullptr);
        FUZZ_CHECK(fz::same_bits(p0.data(), p1.data(), p0.size() * sizeof(float)));
        return;
    }
    FUZZ_CHECK(s == DSC_OK || s == DSC_ERR_DIVERGED);
    FUZZ_CHECK(rep.epochs_run >= 1 && rep.epochs_run <= 3);
    // The trained state round-trips too.
    const std::vector<uint8_t> again = fz::save_of(m, false);
    fz::Loaded l2;
    fz::load_blob(again.data(), again.size(), 5, &l2);
    FUZZ_CHECK(l2.status == DSC_OK);
    FUZZ_CHECK(fz::save_of(l2.m, false) == again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef DSC_FUZZ_FIX_CRC
    if (size < 12) {
        exercise(data, size);
        return 0;
    }
    std::vector<uint8_t> b(data, data + size);
    const uint32_t len = (uint32_t)size;
    for (int i = 0; i < 4; ++i) b[8 + i] = (uint8_t)(len >> (8 * i));  // total length field
    if (size >= 16) {
        const uint32_t crc = crc32_ref(b.data(), size - 4);
        for (int i = 0; i < 4; ++i) b[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    exercise(b.data(), size);
#else
    (void)crc32_ref;
    // An exact-size heap copy, so ASan sees any read past the end of the blob.
    std::vector<uint8_t> b(data, data + size);
    exercise(size ? b.data() : nullptr, size);
#endif
    return 0;
}
