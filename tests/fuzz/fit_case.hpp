// One config + data case through the whole public API, checking the contract of every call:
// valid statuses, config checks that agree with arena sizing, exact arenas, failed calls that
// change nothing, fits that leave finite parameters, and save/load round trips that are
// byte-identical and predict bit-identically.
#pragma once

#include "fuzz_common.hpp"

namespace fz {

struct FitSummary {
    dsc_status create = DSC_ERR_INVALID_ARGUMENT;
    dsc_status set_params = DSC_OK;
    dsc_status fit = DSC_ERR_INVALID_ARGUMENT;
    dsc_status refit = DSC_ERR_INVALID_ARGUMENT;
    dsc_status loss = DSC_ERR_INVALID_ARGUMENT;
    bool ran = false;  // a model was created and fitted
};

inline void check_report(const dsc_fit_report &r, dsc_status s, const dsc_config &c, size_t n,
                         bool weighted) {
    FUZZ_CHECK(r.message != nullptr && r.message[0] != '\0');
    if (s != DSC_OK && s != DSC_ERR_DIVERGED) {
        FUZZ_CHECK(r.stop_reason == DSC_STOP_NONE);
        FUZZ_CHECK(r.epochs_run == 0 && r.steps == 0);
        return;
    }
    FUZZ_CHECK(r.epochs_run >= 1 && r.epochs_run <= c.max_epochs);
    // Early stopping steps over the training rows only.
    if (c.early_stopping) n -= expected_validation_rows(c, n);
    const uint64_t per_epoch = c.batch_size ? (n + c.batch_size - 1) / c.batch_size : 1;
    FUZZ_CHECK(r.steps <= (uint64_t)r.epochs_run * per_epoch);
    if (s == DSC_ERR_DIVERGED) {
        FUZZ_CHECK(r.stop_reason == DSC_STOP_DIVERGED);
    } else {
        FUZZ_CHECK(r.stop_reason >= DSC_STOP_MAX_EPOCHS && r.stop_reason <= DSC_STOP_VALIDATION &&
                   r.stop_reason != DSC_STOP_DIVERGED);
        // Early stopping may keep an earlier epoch's parameters after the test passed: then
        // the fit is not reported converged.
        if (r.converged) FUZZ_CHECK(r.stop_reason == DSC_STOP_CONVERGED);
        else FUZZ_CHECK(r.stop_reason != DSC_STOP_CONVERGED || c.early_stopping);
        if (c.early_stopping) {
            FUZZ_CHECK(r.best_epoch <= r.epochs_run);
            FUZZ_CHECK(r.validation_loss >= 0.0f);  // +inf when every held-out loss overflowed
        } else {
            FUZZ_CHECK(r.stop_reason != DSC_STOP_VALIDATION);
            FUZZ_CHECK(r.validation_loss == 0.0f && r.best_epoch == 0);
        }
        FUZZ_CHECK(r.solver == DSC_SOLVER_GD || r.solver == DSC_SOLVER_NEWTON);
        FUZZ_CHECK(r.standardized <= 1);
        if (r.solver == DSC_SOLVER_GD) {
            FUZZ_CHECK(r.stop_reason != DSC_STOP_SEPARABLE && r.stop_reason != DSC_STOP_STALLED);
            // No step was refused; weighted, a minibatch of zero-weight rows takes none.
            if (weighted && c.batch_size) FUZZ_CHECK(r.steps <= (uint64_t)r.epochs_run * per_epoch);
            else FUZZ_CHECK(r.steps == (uint64_t)r.epochs_run * per_epoch);
        } else {
            FUZZ_CHECK(r.steps <= r.epochs_run);  // NEWTON: at most one accepted step a pass
        }
        if (r.stop_reason == DSC_STOP_MAX_EPOCHS) FUZZ_CHECK(r.epochs_run == c.max_epochs);
    }
}

// One dsc_fit with every check; returns its status.
inline dsc_status checked_fit(dsc_model *m, const dsc_config &c, const float *X, const float *y,
                              size_t n, const float *w) {
    const std::vector<float> p0 = params_of(m);
    const std::vector<uint8_t> b0 = save_of(m, false);
    // A loopback exchange with a rank other than 0 has no place in a one-rank job: refused,
    // whatever the data, before anything changes.
    const dsc_status want = c.exchange && c.comm_rank != 0 ? DSC_ERR_COMM
                                                           : expected_fit_status(c, X, y, n, w);
    dsc_fit_report rep;
    memset(&rep, 0xEE, sizeof rep);
    const dsc_status s = w ? dsc_fit_weighted(m, X, y, w, n, &rep) : dsc_fit(m, X, y, n, &rep);
    FUZZ_CHECK(valid_status(s));
    check_report(rep, s, c, n, w != nullptr);
    const std::vector<float> p1 = params_of(m);
    if (want != DSC_OK) {
        // Rejected before any update: the parameters and the whole saved state are untouched.
        FUZZ_CHECK(s == want);
        FUZZ_CHECK(same_bits(p0.data(), p1.data(), p0.size() * sizeof(float)));
        FUZZ_CHECK(save_of(m, false) == b0);
    } else if (s == DSC_ERR_UNSUPPORTED) {
        // The only data-dependent refusal: starting parameters that overflow float32 once
        // mapped to standardized coordinates (or back). Nothing may have changed.
        FUZZ_CHECK(rep.standardized == 1);
        FUZZ_CHECK(rep.message != nullptr && strstr(rep.message, "standardized coordinates"));
        FUZZ_CHECK(same_bits(p0.data(), p1.data(), p0.size() * sizeof(float)));
        FUZZ_CHECK(save_of(m, false) == b0);
    } else {
        FUZZ_CHECK(s == DSC_OK || s == DSC_ERR_DIVERGED);
        // OK or DIVERGED, the model holds finite parameters (the lowest-loss ones if diverged).
        FUZZ_CHECK(all_finite(p1.data(), p1.size()));
    }
    return s;
}

inline const FitCase *g_case = nullptr;

inline void print_floats(const char *name, const std::vector<float> &v) {
    fprintf(stderr, "  %s[%zu] =", name, v.size());
    for (float x : v) fprintf(stderr, " %a", (double)x);
    fprintf(stderr, "\n");
}

// Everything a failing case was made of, in a form a regression test can copy.
inline void describe_case() {
    if (!g_case) return;
    const FitCase &fc = *g_case;
    const dsc_config &c = fc.cfg;
    fprintf(stderr,
            "case: struct_size %u kind %u n_features %u degree %u reduction %u batch_size %u "
            "shuffle %u max_epochs %u seed %llu\n  lr %a momentum %a dampening %a "
            "weight_decay %a nesterov %u schedule %u power_t %a tol %a n_iter_no_change %u "
            "backend %u\n  standardize %u solver %u conv_tol %a alpha %a l1_ratio %a average %u loss %u epsilon %a\n"
            "  early_stopping %u validation_fraction %a class_weight %a %a weighted %d\n"
            "  callback %d (stop after %u) parallel_for %d max_tasks %u exchange %d rank %u "
            "misalign %zu n %zu refit %u set_params %d\n",
            c.struct_size, c.kind, c.n_features, c.degree, c.reduction, c.batch_size, c.shuffle,
            c.max_epochs, (unsigned long long)c.seed, (double)c.lr, (double)c.momentum,
            (double)c.dampening, (double)c.weight_decay, c.nesterov, c.schedule,
            (double)c.power_t, (double)c.tol, c.n_iter_no_change, c.backend, c.standardize,
            c.solver, (double)c.conv_tol, (double)c.alpha, (double)c.l1_ratio, c.average, c.loss,
            (double)c.epsilon, c.early_stopping, (double)c.validation_fraction,
            (double)c.class_weight[0], (double)c.class_weight[1], (int)fc.weighted, (int)fc.use_callback, fc.stop_limit, c.parallel_for != nullptr, c.max_tasks,
            c.exchange != nullptr, c.comm_rank,
            fc.arena_misalign, fc.n, (unsigned)fc.refit, (int)fc.set_params);
    print_floats("X", fc.X);
    print_floats("y", fc.y);
    print_floats("start", fc.start);
    if (fc.weighted) print_floats("w", fc.w);
}

// Points the failure report at a case for as long as it runs.
struct DescribeScope {
    explicit DescribeScope(const FitCase &fc) {
        g_case = &fc;
        g_describe = describe_case;
    }
    ~DescribeScope() {
        g_case = nullptr;
        g_describe = nullptr;
    }
    DescribeScope(const DescribeScope &) = delete;
    DescribeScope &operator=(const DescribeScope &) = delete;
};

inline FitSummary run_fit_case(const FitCase &fc) {
    FitSummary out;
    const DescribeScope describe(fc);
    const dsc_config &c = fc.cfg;

    // ---- config checks and sizing agree ------------------------------------------------
    const char *msg = dsc_check_config(&c);
    const size_t need = dsc_arena_size(&c);
    FUZZ_CHECK((msg == nullptr) == (need != 0));
    if (msg) FUZZ_CHECK(msg[0] != '\0');
    if (need) FUZZ_CHECK(need % 8 == 0 && need >= 64);

    dsc_model *const sentinel = reinterpret_cast<dsc_model *>(const_cast<FitCase *>(&fc));
    dsc_model *m = sentinel;
    if (need == 0 || need > kMaxArenaBytes) {
        Arena small(512, fc.arena_misalign);
        out.create = dsc_create(&c, small.data, small.bytes, &m);
        FUZZ_CHECK(valid_status(out.create));
        FUZZ_CHECK(out.create == (need ? DSC_ERR_ARENA_TOO_SMALL : out.create));
        if (need == 0)
            FUZZ_CHECK(out.create == DSC_ERR_INVALID_ARGUMENT || out.create == DSC_ERR_UNSUPPORTED);
        FUZZ_CHECK(m == sentinel);
        for (size_t i = 0; i < small.bytes; ++i) FUZZ_CHECK(small.data[i] == 0xA5);
        return out;
    }
    Arena arena(need, fc.arena_misalign);
    FUZZ_CHECK(dsc_create(&c, nullptr, need, &m) == DSC_ERR_INVALID_ARGUMENT);
    FUZZ_CHECK(dsc_create(&c, arena.data, arena.bytes - 1, &m) == DSC_ERR_ARENA_TOO_SMALL);
    FUZZ_CHECK(m == sentinel);
    for (size_t i = 0; i < arena.bytes; ++i) FUZZ_CHECK(arena.data[i] == 0xA5);
    out.create = dsc_create(&c, arena.data, arena.bytes, &m);
    FUZZ_CHECK(out.create == DSC_OK);
    FUZZ_CHECK(m != sentinel && m != nullptr);

    // ---- a fresh model --------------------------------------------------------------------
    const uint32_t p = expected_param_count(c);
    FUZZ_CHECK(dsc_param_count(m) == p);
    FUZZ_CHECK(known_backend_name(dsc_backend_name(m)));
    {
        const std::vector<float> z = params_of(m);
        for (float v : z) FUZZ_CHECK(v == 0.0f);
        dsc_config got;
        FUZZ_CHECK(dsc_get_config(m, &got) == DSC_OK);
        FUZZ_CHECK(got.kind == c.kind && got.n_features == c.n_features && got.lr == c.lr &&
                   got.batch_size == c.batch_size && got.max_epochs == c.max_epochs &&
                   got.seed == c.seed && got.backend == c.backend);
    }
    if (fc.use_callback) FUZZ_CHECK(dsc_set_callback(m, nullptr, nullptr) == DSC_OK);
    StopAfter stop;
    stop.limit = fc.stop_limit;
    if (fc.use_callback) FUZZ_CHECK(dsc_set_callback(m, stop_after_cb, &stop) == DSC_OK);

    if (fc.set_params) {
        const std::vector<float> before = params_of(m);
        out.set_params = dsc_set_params(m, fc.start.data(), fc.start.size());
        FUZZ_CHECK(valid_status(out.set_params));
        if (fc.start.size() != p || fc.start.empty()) {
            FUZZ_CHECK(out.set_params == DSC_ERR_INVALID_ARGUMENT);
        } else if (!all_finite(fc.start.data(), p)) {
            FUZZ_CHECK(out.set_params == DSC_ERR_NONFINITE_INPUT);
        } else {
            FUZZ_CHECK(out.set_params == DSC_OK);
        }
        const std::vector<float> after = params_of(m);
        if (out.set_params == DSC_OK)
            FUZZ_CHECK(same_bits(after.data(), fc.start.data(), p * sizeof(float)));
        else
            FUZZ_CHECK(same_bits(after.data(), before.data(), p * sizeof(float)));
    }
    if (!fc.data) return out;  // n_features too large to carry data here

    // ---- training --------------------------------------------------------------------------
    const float *X = fc.X.data(), *y = fc.y.data();
    const float *w = fc.weighted ? fc.w.data() : nullptr;
    out.fit = checked_fit(m, c, X, y, fc.n, w);
    if (fc.refit && out.fit == DSC_OK) {
        const size_t n2 = fc.n - (fc.refit % (fc.n + 1));  // may be 0: must be rejected cleanly
        stop.calls = 0;
        out.refit = checked_fit(m, c, X, y, n2, w);
    }
    out.ran = true;

    // ---- loss and predictions ---------------------------------------------------------------
    {
        float loss = -7.0f;
        out.loss = dsc_loss(m, X, y, fc.n, &loss);
        const dsc_status want = expected_data_status(c, X, y, fc.n);
        FUZZ_CHECK(out.loss == want);
        if (want != DSC_OK) FUZZ_CHECK(loss == -7.0f);
        if (w) {  // the weighted mean loss: the data's verdict, then the weights'
            float wl = -7.0f;
            dsc_status ws = dsc_loss_weighted(m, X, y, w, fc.n, &wl);
            dsc_status wwant = want == DSC_OK ? expected_weight_status(c, w, fc.n, false) : want;
            FUZZ_CHECK(ws == wwant);
            if (wwant != DSC_OK) FUZZ_CHECK(wl == -7.0f);
            else FUZZ_CHECK(!(wl < 0.0f));  // a mean of losses >= 0 (or NaN / Inf on overflow)
        }
    }
    const Predictions pred = predict_all(m, X, fc.n);

    // ---- save / load round trips -----------------------------------------------------------
    const std::vector<uint8_t> full = save_of(m, false);
    {
        Loaded l;
        load_blob(full.data(), full.size(), (fc.arena_misalign + 3) % 8, &l);
        FUZZ_CHECK(l.status == DSC_OK);
        size_t need_loaded = 0;
        FUZZ_CHECK(dsc_load_arena_size(full.data(), full.size(), &need_loaded) == DSC_OK);
        if (!c.parallel_for) FUZZ_CHECK(need_loaded == need);
        FUZZ_CHECK(save_of(l.m, false) == full);
        FUZZ_CHECK(same_predictions(predict_all(l.m, X, fc.n), pred, fc.n));
    }
    const std::vector<uint8_t> pblob = save_of(m, true);
    {
        Loaded l;
        load_blob(pblob.data(), pblob.size(), fc.arena_misalign, &l);
        FUZZ_CHECK(l.status == DSC_OK);
        FUZZ_CHECK(save_of(l.m, false) == pblob);  // a predictor saves as a predictor
        // A predictor blob carries no backend: it predicts on the best path here, so the bits
        // match only when that is the path the original model runs on.
        const Predictions lpred = predict_all(l.m, X, fc.n);
        if (strcmp(dsc_backend_name(l.m), dsc_backend_name(m)) == 0)
            FUZZ_CHECK(same_predictions(lpred, pred, fc.n));
        const std::vector<float> lp = params_of(l.m);
        dsc_fit_report rep;
        FUZZ_CHECK(dsc_fit(l.m, X, y, fc.n, &rep) == DSC_ERR_UNSUPPORTED);
        const std::vector<float> lp2 = params_of(l.m);
        FUZZ_CHECK(same_bits(lp.data(), lp2.data(), lp.size() * sizeof(float)));
    }

    // ---- reset -----------------------------------------------------------------------------
    FUZZ_CHECK(dsc_reset(m) == DSC_OK);
    for (float v : params_of(m)) FUZZ_CHECK(v == 0.0f);
    return out;
}

}  // namespace fz
