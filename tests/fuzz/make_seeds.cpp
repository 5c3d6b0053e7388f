// Writes the seed corpora under tests/fuzz/corpus/ (committed; rerun only to refresh them):
//   fuzz_load, fuzz_load_crc: real blobs from dsc_save / dsc_save_predictor of every model kind
//     (fresh, trained with momentum, diverged, predictor), and the committed tests/data blobs;
//   fuzz_fit: inputs found by a seeded random search so that each kind reaches each outcome
//     (fit OK, DIVERGED, NONFINITE_INPUT, LABEL_RANGE, rejected config);
//   fuzz_kernels: one input per kernel operation (mode A) and a few API cases (mode B).
// Deterministic: the same files on every run.
//
//   fuzz_make_seeds <tests/fuzz/corpus> <tests/data>
#include <string>

#include "fit_case.hpp"

namespace {

struct Rng {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
};

bool write_file(const std::string &path, const std::vector<uint8_t> &b) {
    FILE *f = fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = fwrite(b.data(), 1, b.size(), f) == b.size();
    return fclose(f) == 0 && ok;
}

bool read_file(const std::string &path, std::vector<uint8_t> *out) {
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return false;
    uint8_t buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + got);
    fclose(f);
    return true;
}

void put(const std::string &dir, const std::string &name, const std::vector<uint8_t> &b) {
    if (!write_file(dir + "/" + name, b)) {
        fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
        exit(1);
    }
    printf("%s/%s (%zu bytes)\n", dir.c_str(), name.c_str(), b.size());
}

// ---- blobs -------------------------------------------------------------------------------------

std::vector<uint8_t> blob(uint32_t kind, bool momentum, bool train, bool predictor, bool diverge) {
    dsc_config c;
    const uint32_t d = kind == DSC_LINEAR ? 3 : kind == DSC_LOGISTIC ? 2 : 1;
    dsc_config_init(&c, (dsc_model_kind)kind, d);
    c.backend = DSC_BACKEND_SCALAR;
    c.max_epochs = 5;
    c.batch_size = momentum ? 4 : 0;
    c.momentum = momentum ? 0.9f : 0.0f;
    c.tol = momentum ? 1e-4f : -1.0f;
    c.lr = kind == DSC_LEGENDRE3 ? 1e-3f : momentum ? 0.01f : 0.0f;
    if (diverge) c.lr = kind == DSC_LOGISTIC ? 3e38f : 1e6f;
    fz::Arena a(dsc_arena_size(&c), 0);
    dsc_model *m = nullptr;
    FUZZ_CHECK(dsc_create(&c, a.data, a.bytes, &m) == DSC_OK);
    if (kind == DSC_LEGENDRE3) {
        const float start[4] = {0.0f, -1.0f, 0.0f, 0.3f};
        FUZZ_CHECK(dsc_set_params(m, start, 4) == DSC_OK);
    }
    if (train) {
        const size_t n = 16;
        const std::vector<float> X = fz::probe_rows(d, n, kind);
        std::vector<float> y(n);
        for (size_t i = 0; i < n; ++i)
            y[i] = kind == DSC_LOGISTIC ? (float)((i * 7 + kind) % 3 == 0) : 0.5f * X[i * d] + 0.25f;
        const dsc_status s = dsc_fit(m, X.data(), y.data(), n, nullptr);
        FUZZ_CHECK(s == (diverge ? DSC_ERR_DIVERGED : DSC_OK));
    }
    return fz::save_of(m, predictor);
}

// Format 3's fields in use: an elastic-net penalty and a running average under way (minibatch
// SGD with momentum), standardized or not, so the blob carries every optional array.
std::vector<uint8_t> penalized_blob(uint32_t kind, bool standardized) {
    dsc_config c;
    const uint32_t d = kind == DSC_LINEAR ? 3 : 1;
    dsc_config_init(&c, (dsc_model_kind)kind, d);
    c.backend = DSC_BACKEND_SCALAR;
    c.max_epochs = 4;
    c.batch_size = 4;
    c.momentum = 0.5f;
    c.lr = 0.01f;
    c.alpha = 0.05f;
    c.l1_ratio = 0.5f;
    c.average = 10;
    c.standardize = standardized ? DSC_STANDARDIZE_ON : DSC_STANDARDIZE_OFF;
    c.solver = DSC_SOLVER_GD;
    fz::Arena a(dsc_arena_size(&c), 0);
    dsc_model *m = nullptr;
    FUZZ_CHECK(dsc_create(&c, a.data, a.bytes, &m) == DSC_OK);
    const size_t n = 16;
    const std::vector<float> X = fz::probe_rows(d, n, kind);
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = 0.5f * X[i * d] + 0.25f;
    FUZZ_CHECK(dsc_fit(m, X.data(), y.data(), n, nullptr) == DSC_OK);
    return fz::save_of(m, false);
}

// A 3-feature model of `kind` fitted under c (minibatch 4, momentum 0.5, lr 0.01, scalar path,
// with the caller's own fields) on 16 probe rows: LINEAR targets 0.5 x0 + 0.25, LOGISTIC
// alternating 0 / 1 labels. Its full blob.
std::vector<uint8_t> fitted_blob(uint32_t kind, void (*own)(dsc_config *)) {
    dsc_config c;
    dsc_config_init(&c, (dsc_model_kind)kind, 3);
    c.backend = DSC_BACKEND_SCALAR;
    c.max_epochs = 3;
    c.batch_size = 4;
    c.momentum = 0.5f;
    c.lr = 0.01f;
    own(&c);
    fz::Arena a(dsc_arena_size(&c), 0);
    dsc_model *m = nullptr;
    FUZZ_CHECK(dsc_create(&c, a.data, a.bytes, &m) == DSC_OK);
    const size_t n = 16;
    const std::vector<float> X = fz::probe_rows(3, n, kind);
    std::vector<float> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = kind == DSC_LINEAR ? 0.5f * X[i * 3] + 0.25f : (float)(i & 1);
    FUZZ_CHECK(dsc_fit(m, X.data(), y.data(), n, nullptr) == DSC_OK);
    return fz::save_of(m, false);
}

// Format 4's fields in use: a robust loss (Huber on LINEAR, hinge on LOGISTIC).
std::vector<uint8_t> robust_blob(uint32_t kind) {
    return fitted_blob(kind, kind == DSC_LINEAR ? [](dsc_config *c) {
        c->loss = DSC_LOSS_HUBER;
        c->epsilon = 0.5f;
    } : [](dsc_config *c) {
        c->loss = DSC_LOSS_HINGE;
        c->epsilon = 0.5f;
    });
}

// Format 5's fields in use: early stopping (the held-out record's block is the last thing in
// the arena).
std::vector<uint8_t> early_stop_blob() {
    return fitted_blob(DSC_LINEAR, [](dsc_config *c) {
        c->max_epochs = 4;
        c->early_stopping = 1;
        c->validation_fraction = 0.25f;
        c->n_iter_no_change = 2;
    });
}

void load_seeds(const std::string &dir, const std::string &data_dir) {
    const char *kinds[] = {"", "linear", "logistic", "polynomial", "legendre3"};
    for (uint32_t k = DSC_LINEAR; k <= DSC_LEGENDRE3; ++k) {
        const std::string n = kinds[k];
        put(dir, n + "_fresh.dscb", blob(k, false, false, false, false));
        put(dir, n + "_trained_momentum.dscb", blob(k, true, true, false, false));
        put(dir, n + "_predictor.dscb", blob(k, false, true, true, false));
    }
    put(dir, "linear_diverged.dscb", blob(DSC_LINEAR, true, true, false, true));
    put(dir, "linear_enet_averaged.dscb", penalized_blob(DSC_LINEAR, false));
    put(dir, "polynomial_enet_averaged_std.dscb", penalized_blob(DSC_POLYNOMIAL, true));
    put(dir, "linear_huber.dscb", robust_blob(DSC_LINEAR));
    put(dir, "logistic_hinge.dscb", robust_blob(DSC_LOGISTIC));
    put(dir, "linear_early_stop.dscb", early_stop_blob());
    put(dir, "logistic_class_weight.dscb", fitted_blob(DSC_LOGISTIC, [](dsc_config *c) {
            c->class_weight[0] = 0.5f;
            c->class_weight[1] = 3.0f;
        }));
    // SOFTMAX: three classes (labels 0 / 1 of the probe rows; class 2 unseen), and standardized
    // NEWTON, whose blob carries the column statistics.
    put(dir, "softmax_trained.dscb", fitted_blob(DSC_SOFTMAX, [](dsc_config *c) { c->n_classes = 3; }));
    put(dir, "softmax_newton_std.dscb", fitted_blob(DSC_SOFTMAX, [](dsc_config *c) {
            c->n_classes = 4;
            c->batch_size = 0;
            c->momentum = 0.0f;
            c->lr = 0.0f;
        }));
    for (const char *f : {"linear_d3.dscb", "logistic_momentum.dscb", "poly_predictor.dscb",
                          "linear_std_v2.dscb"}) {
        std::vector<uint8_t> b;
        if (read_file(data_dir + "/" + f, &b)) put(dir, std::string("data_") + f, b);
    }
}

// ---- fuzz_fit: a seeded search for inputs reaching each outcome ------------------------------

std::vector<uint8_t> random_bytes(Rng &r, size_t n) {
    std::vector<uint8_t> b(n);
    for (uint8_t &v : b) v = (uint8_t)r.next();
    return b;
}

void fit_seeds(const std::string &dir) {
    struct Want {
        const char *name;
        uint32_t kind;
        dsc_status fit;
        bool config_rejected;
        bool found;
    };
    Want wants[] = {
        {"linear_ok", DSC_LINEAR, DSC_OK, false, false},
        {"linear_diverged", DSC_LINEAR, DSC_ERR_DIVERGED, false, false},
        {"linear_nonfinite", DSC_LINEAR, DSC_ERR_NONFINITE_INPUT, false, false},
        {"logistic_ok", DSC_LOGISTIC, DSC_OK, false, false},
        {"logistic_label_range", DSC_LOGISTIC, DSC_ERR_LABEL_RANGE, false, false},
        {"polynomial_ok", DSC_POLYNOMIAL, DSC_OK, false, false},
        {"polynomial_diverged", DSC_POLYNOMIAL, DSC_ERR_DIVERGED, false, false},
        {"legendre3_ok", DSC_LEGENDRE3, DSC_OK, false, false},
        {"legendre3_diverged", DSC_LEGENDRE3, DSC_ERR_DIVERGED, false, false},
        {"config_rejected", DSC_LINEAR, DSC_ERR_INVALID_ARGUMENT, true, false},
        // Issue 12's fields (read last by parse_fit_case): a penalized and an averaged fit.
        {"linear_penalized_ok", DSC_LINEAR, DSC_OK, false, false},
        {"logistic_averaged_ok", DSC_LOGISTIC, DSC_OK, false, false},
        // Format 4's fields (read after those): a robust loss (random labels are rarely the
        // 0 / 1 that hinge needs: the fuzzer mutates its way there).
        {"linear_robust_loss_ok", DSC_LINEAR, DSC_OK, false, false},
        // Format 5's fields (read last): early stopping.
        {"linear_early_stop_ok", DSC_LINEAR, DSC_OK, false, false},
        {"logistic_early_stop_ok", DSC_LOGISTIC, DSC_OK, false, false},
        // Class weights (read after those).
        {"logistic_class_weight_ok", DSC_LOGISTIC, DSC_OK, false, false},
        // Sample weights (read last): fits through dsc_fit_weighted, and refused weights.
        {"linear_sample_weight_ok", DSC_LINEAR, DSC_OK, false, false},
        {"logistic_sample_weight_ok", DSC_LOGISTIC, DSC_OK, false, false},
        {"polynomial_sample_weight_ok", DSC_POLYNOMIAL, DSC_OK, false, false},
        {"linear_sample_weight_refused", DSC_LINEAR, DSC_ERR_INVALID_ARGUMENT, false, false},
        // SOFTMAX (read last).
        {"softmax_ok", DSC_SOFTMAX, DSC_OK, false, false},
        {"softmax_label_range", DSC_SOFTMAX, DSC_ERR_LABEL_RANGE, false, false},
    };
    Rng r{2026};
    size_t left = sizeof wants / sizeof wants[0];
    for (int attempt = 0; attempt < 2000000 && left > 0; ++attempt) {
        const std::vector<uint8_t> b = random_bytes(r, 64 + r.next() % 600);
        fz::Input in{b.data(), b.size()};
        fz::FitCase fc;
        fz::parse_fit_case(in, &fc);
        const bool rejected = dsc_check_config(&fc.cfg) != nullptr;
        // Cheap pre-filter before running the whole case.
        bool useful = false;
        for (const Want &w : wants)
            if (!w.found && w.config_rejected == rejected && (rejected || fc.cfg.kind == w.kind))
                useful = true;
        if (!useful) continue;
        const fz::FitSummary s = fz::run_fit_case(fc);
        for (Want &w : wants) {
            if (w.found) continue;
            const std::string name = w.name;
            const bool needs_alpha = name.find("penalized") != std::string::npos;
            const bool needs_avg = name.find("averaged") != std::string::npos;
            if ((fc.cfg.alpha > 0.0f) != needs_alpha && needs_alpha) continue;
            if ((fc.cfg.average != 0) != needs_avg && needs_avg) continue;
            const bool needs_loss = name.find("robust") != std::string::npos;
            if (needs_loss && fc.cfg.loss == DSC_LOSS_DEFAULT) continue;
            const bool needs_es = name.find("early_stop") != std::string::npos;
            if (needs_es && fc.cfg.early_stopping == 0) continue;
            const bool needs_cw = name.find("class_weight") != std::string::npos;
            if (needs_cw && fc.cfg.class_weight[0] == 1.0f && fc.cfg.class_weight[1] == 1.0f) continue;
            if (name.find("sample_weight") != std::string::npos && !fc.weighted) continue;
            const bool hit = w.config_rejected ? rejected
                                               : !rejected && s.ran && fc.cfg.kind == w.kind &&
                                                     s.fit == w.fit && fc.n >= 8;
            if (hit) {
                w.found = true;
                --left;
                put(dir, std::string(w.name), b);
            }
        }
    }
    // Random draws rarely leave bytes for the last fields (SOFTMAX's byte comes after the
    // sample weights): SOFTMAX's fit is derived from the LOGISTIC seed above, cut where its
    // class weights end, then "no sample weights" and a SOFTMAX byte (212: K = 4).
    for (Want &w : wants) {
        std::vector<uint8_t> base;
        if (w.found || w.kind != DSC_SOFTMAX || w.fit != DSC_OK ||
            !read_file(dir + "/logistic_sample_weight_ok", &base))
            continue;
        for (size_t cut = 8; cut <= base.size() && !w.found; ++cut) {
            std::vector<uint8_t> c(base.begin(), base.begin() + (long)cut);
            c.push_back(0);
            c.push_back(212);
            fz::Input in{c.data(), c.size()};
            fz::FitCase fc;
            fz::parse_fit_case(in, &fc);
            if (fc.cfg.kind != DSC_SOFTMAX || fc.weighted || fc.n < 8 || in.n != 0) continue;
            const fz::FitSummary s = fz::run_fit_case(fc);
            if (s.ran && s.fit == DSC_OK) {
                w.found = true;
                put(dir, std::string(w.name), c);
            }
        }
    }
    for (const Want &w : wants)
        if (!w.found) fprintf(stderr, "fuzz_fit: no seed found for %s\n", w.name);
}

// ---- fuzz_kernels ------------------------------------------------------------------------------

void kernel_seeds(const std::string &dir) {
    static const char *const kOps[] = {"linear_mse", "linear_bce", "poly_mse", "legendre3_mse",
                                       "linear_predict", "poly_predict", "legendre3_predict",
                                       "linear_gram", "poly_gram", "exp_neg", "log1p_unit",
                                       "linear_robust"};
    Rng r{77};
    for (uint8_t op = 0; op < 11; ++op) {
        std::vector<uint8_t> b = random_bytes(r, 2400);
        b[0] = 0;                  // mode A
        b[1] = op;                 // operation
        b[2] = op < 4 ? 18 : 6;    // features (linear) / stride (one-column kinds)
        b[3] = 3 + op;             // polynomial degree
        b[4] = 44;                 // rows: 1 + 300 = 301 (past one 256-row block)
        b[5] = 1;
        put(dir, std::string("A_") + kOps[op], b);
    }
    for (int i = 0; i < 4; ++i) {
        std::vector<uint8_t> b = random_bytes(r, 900);
        b[0] = 200;       // mode B
        b[1] = (uint8_t)i;  // kind 1 + i
        put(dir, "B_api_" + std::to_string(i), b);
    }
    // Added with the robust losses (drawn last, so the seeds above stay as they were).
    std::vector<uint8_t> b = random_bytes(r, 2400);
    b[0] = 0;
    b[1] = 11;  // linear_robust
    b[2] = 18;
    b[3] = 3;
    b[4] = 44;
    b[5] = 1;
    put(dir, std::string("A_") + kOps[11], b);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <tests/fuzz/corpus> <tests/data>\n", argv[0]);
        return 2;
    }
    const std::string root = argv[1];
    load_seeds(root + "/fuzz_load", argv[2]);
    load_seeds(root + "/fuzz_load_crc", argv[2]);
    fit_seeds(root + "/fuzz_fit");
    kernel_seeds(root + "/fuzz_kernels");
    return 0;
}
