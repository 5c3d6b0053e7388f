// doctest main. When DESCENT_BACKEND forces a kernel path this CPU or build cannot run, the
// suite exits 77, which ctest reports as skipped (never as passed).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

#include "descent.h"
#include "kernels.h"

int main(int argc, char **argv) {
    if (const char *forced = std::getenv("DESCENT_BACKEND")) {
        const uint32_t b = dsc::backend_from_name(forced);
        if (b == 0xFFFFFFFFu || !dsc_backend_available((dsc_backend)b)) {
            std::printf("DESCENT_BACKEND=%s is not available here: suite skipped\n", forced);
            return 77;
        }
        std::printf("kernel path forced by DESCENT_BACKEND: %s\n", forced);
    }
    doctest::Context ctx(argc, argv);
    return ctx.run();
}
