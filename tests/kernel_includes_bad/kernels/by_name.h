// Fixture for check_kernel_includes.cmake: breaks the rule by bare name.
#include "model.hpp"
