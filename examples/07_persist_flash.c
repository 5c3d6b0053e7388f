/*
 * 07_persist_flash.c — keep a model across reboots in flash, and survive a power cut mid-write.
 *
 * A device trains a little, saves the model, reboots (RAM is lost), loads the newest good copy
 * and trains on. The blob from dsc_save is self-checking (magic, format version, field ranges
 * and a CRC-32 over every byte), so the flash record around it needs only what the blob cannot
 * say about itself: where it ends and which copy is newer.
 *
 * Flash is simulated as NOR flash: two erase pages of FLASH_PAGE bytes; erasing sets every
 * byte to 0xFF, programming can only clear bits. Two pages written alternately ("A/B", or
 * ping-pong) mean a power cut while writing one page leaves the other, older copy intact:
 *
 *   record = u32 magic 'DSCF' | u32 sequence | u32 blob length | blob (dsc_save)
 *
 * Boot reads both pages, asks dsc_load_arena_size (which checks the CRC and every field) about
 * each, and loads the valid one with the higher sequence; no valid page → a fresh model.
 *
 * The walkthrough: 20 epochs of momentum SGD on sensor data in physical units, save to page A;
 * reboot, load A, 20 more epochs, save to page B — the power fails half-way through B; reboot
 * again: B is refused (its CRC does not match), A is loaded, and the 20 epochs are redone and
 * saved to B completely; a last reboot loads B. The checks: each loaded model predicts exactly
 * as the model that was saved, the interrupted page is refused with DSC_ERR_BAD_MODEL_BLOB,
 * and 20 + 20 epochs across the reboot give the bits of one 40-epoch run (the blob carries the
 * momentum buffer, step and epoch counters).
 */
#include "common.h"

#include <string.h>

#define N_ROWS 2000
#define N_FEAT 3
#define N_PARAM (N_FEAT + 1)
#define FLASH_PAGE 512u
#define RECORD_HEADER 12u
#define ARENA_WORDS 128 /* 1 KiB: checked against dsc_arena_size below */

static float X[N_ROWS * N_FEAT];
static float Y[N_ROWS];

/* ---- simulated NOR flash: two pages ----------------------------------------------------------- */
static uint8_t g_flash[2][FLASH_PAGE];

static void flash_erase(int page) { memset(g_flash[page], 0xFF, FLASH_PAGE); }

/* Programs `len` bytes at `off`; stops after `budget` bytes (the power cut), returns bytes done. */
static size_t flash_program(int page, size_t off, const void *src, size_t len, size_t budget) {
    const uint8_t *s = (const uint8_t *)src;
    size_t i;
    for (i = 0; i < len && i < budget; ++i) g_flash[page][off + i] &= s[i];
    return i;
}

static void put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const uint32_t kMagic = 0x46435344u; /* "DSCF" */

/* Saves the model into `page` (erase, then program header and blob). A power cut after
 * `budget` programmed bytes leaves a partial record. Returns 0 when the whole record was written. */
static int save_to_flash(const dsc_model *m, int page, uint32_t seq, size_t budget) {
    static uint8_t record[FLASH_PAGE];
    size_t written = 0;
    const size_t blob_len = dsc_save_size(m);
    if (blob_len == 0 || RECORD_HEADER + blob_len > FLASH_PAGE) {
        printf("  the blob (%zu bytes) does not fit a %u-byte page\n", blob_len, FLASH_PAGE);
        return 1;
    }
    if (dsc_save(m, record + RECORD_HEADER, FLASH_PAGE - RECORD_HEADER, &written) != DSC_OK)
        return 1;
    put_u32(record, kMagic);
    put_u32(record + 4, seq);
    put_u32(record + 8, (uint32_t)written);
    flash_erase(page);
    return flash_program(page, 0, record, RECORD_HEADER + written, budget) ==
                   RECORD_HEADER + written
               ? 0
               : 1;
}

/* The sequence number of a page whose record is complete and whose blob the library accepts
 * (CRC and all), or 0. */
static uint32_t page_sequence(int page, dsc_status *why) {
    const uint8_t *p = g_flash[page];
    const uint32_t len = get_u32(p + 8);
    size_t need = 0;
    *why = DSC_OK;
    if (get_u32(p) != kMagic || len > FLASH_PAGE - RECORD_HEADER) return 0; /* erased or foreign */
    *why = dsc_load_arena_size(p + RECORD_HEADER, len, &need);
    if (*why != DSC_OK || need > ARENA_WORDS * 8) return 0;
    return get_u32(p + 4);
}

/* Boot: the newest valid page into `arena`; returns its sequence (0: none, *m untouched). */
static uint32_t boot(uint64_t *arena, dsc_model **m, int *page_out) {
    dsc_status why[2];
    const uint32_t s0 = page_sequence(0, &why[0]), s1 = page_sequence(1, &why[1]);
    const int page = s1 > s0 ? 1 : 0;
    const uint32_t seq = s1 > s0 ? s1 : s0;
    int i;
    for (i = 0; i < 2; ++i)
        printf("  page %c: %s\n", 'A' + i,
               (i ? s1 : s0) ? "valid"
               : why[i] != DSC_OK ? dsc_status_string(why[i])
                                  : "empty");
    *page_out = page;
    if (seq == 0) return 0;
    if (dsc_load(g_flash[page] + RECORD_HEADER, get_u32(g_flash[page] + 8), arena,
                 ARENA_WORDS * 8, m) != DSC_OK)
        return 0;
    printf("  loaded page %c (sequence %u)\n", 'A' + page, (unsigned)seq);
    return seq;
}

/* ---- data and training -------------------------------------------------------------------------- */
/* A strain-gauge channel: pressure in Pa (~1e5), temperature in K (~300) and a supply voltage
 * in V (~3.3), output in mV with a known linear law plus noise. */
static void make_data(void) {
    ex_rng r;
    int i;
    ex_rng_init(&r, 2024u);
    for (i = 0; i < N_ROWS; ++i) {
        const double pa = 1.0e5 + 2.0e3 * ex_rng_normal(&r);
        const double k = 300.0 + 5.0 * ex_rng_normal(&r);
        const double v = 3.3 + 0.05 * ex_rng_normal(&r);
        X[i * N_FEAT + 0] = (float)pa;
        X[i * N_FEAT + 1] = (float)k;
        X[i * N_FEAT + 2] = (float)v;
        Y[i] = (float)(0.002 * (pa - 1.0e5) + 0.7 * (k - 300.0) + 40.0 * (v - 3.3) + 12.0 +
                       0.01 * ex_rng_normal(&r));
    }
}

static void config(dsc_config *cfg, uint32_t epochs) {
    dsc_config_init(cfg, DSC_LINEAR, N_FEAT);
    cfg->batch_size = 16;
    cfg->momentum = 0.9f;
    cfg->lr = 0.01f;
    cfg->standardize = DSC_STANDARDIZE_ON; /* raw Pa beside V: train in standardized units */
    cfg->max_epochs = epochs;
}

static int train(dsc_model *m, const char *what) {
    dsc_fit_report rep;
    const dsc_status s = dsc_fit(m, X, Y, N_ROWS, &rep);
    printf("  %s: %s, %u epochs, loss %.6g\n", what, dsc_status_string(s), (unsigned)rep.epochs_run,
           (double)rep.final_loss);
    return s == DSC_OK ? 0 : 1;
}

/* The saved model's predictions, kept to check each loaded copy (a test, not a device need). */
static float g_saved_pred[N_ROWS];

static int remember_predictions(const dsc_model *m) {
    return dsc_predict(m, X, N_ROWS, g_saved_pred) == DSC_OK ? 0 : 1;
}

static int predicts_as_saved(const dsc_model *m) {
    static float p[N_ROWS];
    return dsc_predict(m, X, N_ROWS, p) == DSC_OK && memcmp(p, g_saved_pred, sizeof p) == 0;
}

int main(void) {
    static uint64_t ram[ARENA_WORDS], ref_arena[ARENA_WORDS];
    dsc_config cfg;
    dsc_model *m = NULL, *ref = NULL;
    int page = 0, failures = 0;
    uint32_t seq;

    make_data();
    config(&cfg, 20);
    printf("arena %zu bytes (static %u), blob %u-byte pages\n", dsc_arena_size(&cfg),
           (unsigned)sizeof ram, FLASH_PAGE);
    if (dsc_arena_size(&cfg) == 0 || dsc_arena_size(&cfg) > sizeof ram) return 1;
    flash_erase(0);
    flash_erase(1);

    printf("first boot\n");
    if (boot(ram, &m, &page) != 0) return 1; /* both pages empty */
    if (dsc_create(&cfg, ram, sizeof ram, &m) != DSC_OK || train(m, "train 20 epochs")) return 1;
    if (save_to_flash(m, 0, 1, (size_t)-1) || remember_predictions(m)) return 1;

    printf("reboot 1 (RAM lost)\n");
    memset(ram, 0xA5, sizeof ram);
    seq = boot(ram, &m, &page);
    if (seq != 1 || !predicts_as_saved(m)) {
        printf("FAIL: page A did not load as saved\n");
        ++failures;
    }
    if (train(m, "train 20 more")) return 1;
    printf("  saving to page B... power cut after 100 bytes\n");
    if (save_to_flash(m, 1, seq + 1, 100) == 0) return 1;

    printf("reboot 2 (RAM lost, page B half written)\n");
    memset(ram, 0x5A, sizeof ram);
    {
        dsc_status why;
        if (page_sequence(1, &why) != 0 || why != DSC_ERR_BAD_MODEL_BLOB) {
            printf("FAIL: the half-written page B was not refused as a bad blob\n");
            ++failures;
        }
    }
    seq = boot(ram, &m, &page);
    if (seq != 1 || page != 0 || !predicts_as_saved(m)) {
        printf("FAIL: boot did not fall back to page A\n");
        ++failures;
    }
    if (train(m, "redo the 20 epochs")) return 1;
    if (save_to_flash(m, 1, seq + 1, (size_t)-1) || remember_predictions(m)) return 1;

    printf("reboot 3 (RAM lost)\n");
    memset(ram, 0xC3, sizeof ram);
    seq = boot(ram, &m, &page);
    if (seq != 2 || page != 1 || !predicts_as_saved(m)) {
        printf("FAIL: page B did not load as saved\n");
        ++failures;
    }

    /* The same 40 epochs without reboots: resumed training is the same computation. */
    config(&cfg, 40);
    if (dsc_create(&cfg, ref_arena, sizeof ref_arena, &ref) != DSC_OK ||
        train(ref, "reference: 40 epochs in one run"))
        return 1;
    {
        float a[N_PARAM], b[N_PARAM];
        int j;
        if (dsc_get_params(m, a, N_PARAM) != DSC_OK || dsc_get_params(ref, b, N_PARAM) != DSC_OK)
            return 1;
        printf("parameters after 20 + 20 epochs across reboots: b = %.6g, w =", (double)a[0]);
        for (j = 1; j < N_PARAM; ++j) printf(" %.6g", (double)a[j]);
        printf("\n  (the law: b = -530, w = 0.002 0.7 40)\n");
        if (memcmp(a, b, sizeof a) != 0) {
            printf("FAIL: 20 + 20 epochs across a reboot differ from 40 in one run\n");
            ++failures;
        }
    }
    if (failures) {
        printf("FAILED (%d)\n", failures);
        return 1;
    }
    printf("ok: every copy loaded as saved, the torn write was refused, and resumed training "
           "is bit-identical\n");
    return 0;
}
