/*
 * descent_shared.c — the shared library (libdescent.so) for FFI callers such as ports/python.
 * Its code is the whole static library, linked in by ports/CMakeLists.txt; exports.map keeps
 * the C API (dsc_*) visible and hides every internal C++ symbol.
 */
#include "descent.h"

/* A shared object needs at least one translation unit of its own. */
__attribute__((used)) static const char descent_shared_ident[] = "descent shared library";
