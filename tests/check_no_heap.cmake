# Proves the library's runtime footprint: every symbol libdescent.a needs from outside must be
# on this allowlist (its own dsc symbols, mem* and libm). An allocator, the C++ exception or
# RTTI runtime, iostreams, thread-safe statics or anything else new fails the test by name.
execute_process(COMMAND ${NM} -u -C ${LIB} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
set(allowed_regex
  "^dsc::" "^dsc_"
  "^(memcpy|memset|memmove|memcmp|strcmp)$"
  "^getenv$"  # DESCENT_BACKEND override; absent with DESCENT_NO_GETENV
  "^(exp|expf|log|logf|log1p|log1pf|pow|powf|sqrt|sqrtf|fabs|fabsf)$"
  "^__stack_chk_fail$" "^_GLOBAL_OFFSET_TABLE_$")
# A CUDA build also references the CUDA runtime, and nvcc's generated host stubs register the
# kernels at load time (atexit/exit, guarded statics). No allocator and no exception runtime
# even then.
if(CUDA)
  list(APPEND allowed_regex "^cuda[A-Z]" "^__cuda" "^__cxa_guard_(acquire|release)$" "^(atexit|exit|strnlen)$")
endif()
set(bad "")
string(REPLACE "\n" ";" lines "${undefined}")
foreach(line IN LISTS lines)
  string(STRIP "${line}" sym)
  if(NOT sym MATCHES "^U ")
    continue()  # archive member headers and blank lines
  endif()
  string(REGEX REPLACE "^U " "" sym "${sym}")
  set(ok FALSE)
  foreach(re IN LISTS allowed_regex)
    if(sym MATCHES "${re}")
      set(ok TRUE)
    endif()
  endforeach()
  if(NOT ok)
    list(APPEND bad "${sym}")
  endif()
endforeach()
if(bad)
  list(REMOVE_DUPLICATES bad)
  message(FATAL_ERROR "libdescent.a needs symbols outside the allowlist (heap, exceptions, "
                      "iostream or other runtime): ${bad}")
endif()
message(STATUS "libdescent.a needs only allowlisted symbols")
