/* Out-of-range enum values passed the way a C caller legally can (C enums are ints). Compiled
 * as C so the test itself does no C++ out-of-range enum conversion: the library must range-check
 * what it is handed (tests/test_hostile.cpp). */
#include "descent.h"

const char *hostile_status_string(int v) { return dsc_status_string((dsc_status)v); }
const char *hostile_stop_reason_string(int v) { return dsc_stop_reason_string((dsc_stop_reason)v); }
int hostile_backend_available(int v) { return dsc_backend_available((dsc_backend)v); }
void hostile_config_init(dsc_config *cfg, int kind, uint32_t n_features) {
    dsc_config_init(cfg, (dsc_model_kind)kind, n_features);
}
