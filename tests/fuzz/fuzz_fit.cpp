// Fuzz target (b): the fuzzer's bytes choose every config field (hostile values included: NaN,
// +-Inf, huge, enums out of range, wrong struct_size, callbacks, a parallel_for) and up to 64
// rows of up to 16 features (NaN, +-Inf, denormals, +-3e38 among them), then
// create / set_params / fit / fit again / loss / predict / save / load run with every contract
// checked (fit_case.hpp). max_epochs <= 20 and n <= 64 keep every run short.
#include "fit_case.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz::Input in{data, size};
    fz::FitCase fc;
    fz::parse_fit_case(in, &fc);
    fz::run_fit_case(fc);
    return 0;
}
