// Address-range checks for caller buffers that must not overlap an arena or a model. Plain
// integer comparisons on uintptr_t: no pointer arithmetic past an object, no overflow.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace dsc {

// True if [a, a + a_size) and [b, b + b_size) share a byte. Empty ranges overlap nothing.
inline bool ranges_overlap(const void *a, size_t a_size, const void *b, size_t b_size) {
    if (!a || !b || a_size == 0 || b_size == 0) return false;
    const uintptr_t x = reinterpret_cast<uintptr_t>(a);
    const uintptr_t y = reinterpret_cast<uintptr_t>(b);
    return x <= y ? y - x < a_size : x - y < b_size;
}

}  // namespace dsc
