// Arena layout: one function computes the offsets, so dsc_arena_size and dsc_create can never
// disagree about the bytes a model needs.
#include <string.h>

#include "model.hpp"
#include "overlap.hpp"

namespace dsc {
namespace {

// Appends an array of `count` elements of `size` bytes aligned to `align`; false on overflow.
bool take(uint64_t *cursor, uint64_t count, uint64_t size, uint64_t align, uint32_t *off) {
    uint64_t start = (*cursor + align - 1) / align * align;
    uint64_t end = start + count * size;  // count < 2^32, size < 2^28: no overflow
    if (end > 0xFFFFFFFFull) return false;
    *off = (uint32_t)start;
    *cursor = end;
    return true;
}

}  // namespace

bool compute_layout(const dsc_config &cfg, bool predict_only, Layout *lay) {
    memset(lay, 0, sizeof(*lay));
    const uint64_t p = param_count(cfg);
    uint64_t cur = sizeof(dsc_model);
    bool ok = take(&cur, p, sizeof(float), alignof(float), &lay->params);
    if (!predict_only) {
        if (cfg.momentum != 0.0f) ok = ok && take(&cur, p, sizeof(float), 4, &lay->velocity);
        ok = ok && take(&cur, p, sizeof(double), 8, &lay->grad);
        const Resolved r = resolve(cfg);
        // Multi-chunk passes: full batch (any n), batches longer than one chunk, the automatic
        // rate's Gram products over all rows, and the statistics pass's per-chunk sums.
        if (cfg.batch_size == 0 || cfg.batch_size > kChunkRows || cfg.lr == 0.0f || r.standardize)
            ok = ok && take(&cur, p, sizeof(double), 8, &lay->chunk);
        ok = ok && take(&cur, p, sizeof(float), 4, &lay->acc);
        ok = ok && take(&cur, p, sizeof(float), 4, &lay->work);
        if (cfg.batch_size > 0 && cfg.shuffle)
            ok = ok && take(&cur, cfg.batch_size, sizeof(uint32_t), 4, &lay->idx);
        if (r.standardize) {
            ok = ok && take(&cur, p, sizeof(float), 4, &lay->tparams);
            ok = ok && take(&cur, cfg.n_features, sizeof(double), 8, &lay->shift);
            ok = ok && take(&cur, cfg.n_features, sizeof(double), 8, &lay->inv_scale);
        }
        ok = ok && take(&cur, p, sizeof(float), 4, &lay->best);
#ifndef DESCENT_NO_AVERAGE  // else check_config refuses config.average
        // Averaging (never with NEWTON): descent.h's DSC_ARENA_AVERAGE_BYTES follows this.
        if (cfg.average != 0) {
            ok = ok && take(&cur, p, sizeof(double), 8, &lay->avg);
            ok = ok && take(&cur, p, sizeof(float), 4, &lay->avg_raw);
        }
#endif
        if (r.newton) {
            const uint64_t tri = p * (p + 1) / 2;  // p <= DSC_NEWTON_MAX_PARAMS: small
            ok = ok && take(&cur, tri, sizeof(double), 8, &lay->hess);
            ok = ok && take(&cur, tri, sizeof(double), 8, &lay->hess2);
            ok = ok && take(&cur, p, sizeof(double), 8, &lay->jrow);
        }
        if (cfg.parallel_for) {
            // NEWTON's curvature pass runs in the same slots, with a curvature block and a
            // Jacobian row each.
            uint64_t slot = slot_curv_bytes(p) + (r.newton ? (p * (p + 1) / 2 + p) * 8 : 0);
            // The statistics pass of a standardized model: mean, m2 double[c], min, max float[c].
            const uint64_t stats = (24 * (uint64_t)cfg.n_features + 7) / 8 * 8;
            if (r.standardize && stats > slot) slot = stats;
            lay->slot_bytes = (uint32_t)slot;  // p < 2^24: fits
            lay->n_slots = cfg.max_tasks;
            ok = ok && take(&cur, cfg.max_tasks, slot, 8, &lay->slots);
        }
    }
    // The whole model is a multiple of 8 bytes so models can be packed back to back.
    cur = (cur + 7) / 8 * 8;
#ifndef DESCENT_NO_EARLY_STOP  // else check_config refuses config.early_stopping
    // Early stopping's block goes last, where es_offset finds it (DSC_ARENA_EARLY_STOP_BYTES).
    // batch_size < 2^32 and p < 2^25: the sum below cannot wrap before the 4 GiB check.
    if (!predict_only && cfg.early_stopping != 0) {
        const uint64_t rows = cfg.batch_size > kEsGroupRows ? cfg.batch_size : kEsGroupRows;
        cur += (sizeof(EsState) + 4 * (p + rows) + 7) / 8 * 8;
    }
#endif
    if (!ok || cur > 0xFFFFFFFFull) return false;
    lay->total = (uint32_t)cur;
    return true;
}

dsc_status place_model(const dsc_config &cfg, bool predict_only, void *arena, size_t bytes,
                       dsc_model **out) {
    Layout lay;
    if (!compute_layout(cfg, predict_only, &lay)) return DSC_ERR_INVALID_ARGUMENT;
    const uintptr_t addr = reinterpret_cast<uintptr_t>(arena);
    const size_t pad = (size_t)((DSC_ARENA_ALIGN - addr % DSC_ARENA_ALIGN) % DSC_ARENA_ALIGN);
    if (bytes < pad || bytes - pad < lay.total) return DSC_ERR_ARENA_TOO_SMALL;
    unsigned char *base = static_cast<unsigned char *>(arena) + pad;
    // *out is written last: inside the model it would overwrite what was just placed.
    if (ranges_overlap(base, lay.total, out, sizeof(dsc_model *))) return DSC_ERR_INVALID_ARGUMENT;
    memset(base, 0, lay.total);
    dsc_model *m = reinterpret_cast<dsc_model *>(base);
    m->magic = kModelMagic;
    m->flags = predict_only ? kFlagPredictOnly : 0u;
    m->n_params = param_count(cfg);
    m->cfg = cfg;
    m->blob_backend = cfg.backend;
    m->lay = lay;
    m->conv_tol = resolve(cfg).conv_tol;
    // A CUDA model trains on the GPU; its host-side passes (predict, loss) use the best CPU path.
    m->k = kernels_for(cfg.backend == DSC_BACKEND_CUDA ? (uint32_t)DSC_BACKEND_AUTO : cfg.backend);
    reset_train_state(m);
    *out = m;
    return DSC_OK;
}

}  // namespace dsc
