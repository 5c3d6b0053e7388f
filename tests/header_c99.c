/* Compiled with -std=c99 -pedantic -Werror: descent.h must stay plain C99. */
#include "descent.h"

size_t header_c99_probe(void);
size_t header_c99_probe(void) {
    dsc_config cfg;
    dsc_config_init(&cfg, DSC_LINEAR, 3);
    return dsc_arena_size(&cfg) + sizeof(dsc_fit_report);
}
