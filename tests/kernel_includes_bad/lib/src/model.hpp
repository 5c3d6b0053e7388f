// Fixture for check_kernel_includes.cmake: a private lib/src header.
#pragma once
