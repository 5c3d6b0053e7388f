// Fixture for check_kernel_includes.cmake: breaks the rule by relative path.
#include "../../lib/src/model.hpp"
