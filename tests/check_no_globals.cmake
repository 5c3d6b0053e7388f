# No global mutable state in the library: no object in libdescent.a may have a non-empty
# writable data section (.data*, .bss*, thread-local .tdata/.tbss) or a common symbol. The one
# exception is .data.rel.ro*: `const` objects that hold pointers (the kernel tables) go there
# in position-independent code, because the dynamic linker writes their relocations once at
# load time; the section is then made read-only (RELRO). No static constructor either
# (.init_array / .ctors): nothing is initialised at run time. Anything else fails by name.
# With -DCUDA=ON the object nvcc builds from kernels/cuda/cuda_kernels.cu is allowed the state
# nvcc's own generated host code needs to register the kernels with the CUDA runtime at load
# time (the fat-binary handle, the device stubs' handles, their static constructor); any
# other writable data there still fails.
#   cmake -DOBJDUMP=<objdump> -DLIB=<libdescent.a> [-DCUDA=ON] -P check_no_globals.cmake
execute_process(COMMAND ${OBJDUMP} -h ${LIB} OUTPUT_VARIABLE headers RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump -h failed on ${LIB}")
endif()
execute_process(COMMAND ${OBJDUMP} -t ${LIB} OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objdump -t failed on ${LIB}")
endif()

set(bad "")
set(member "?")
set(checked 0)
string(REPLACE "\n" ";" lines "${headers}")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ ]+\\.o(bj)?):[ \t]+file format")
    set(member "${CMAKE_MATCH_1}")
    math(EXPR checked "${checked} + 1")
  elseif(line MATCHES "^ *[0-9]+ +([^ ]+) +([0-9a-fA-F]+) ")
    set(name "${CMAKE_MATCH_1}")
    set(size "${CMAKE_MATCH_2}")
    set(nvcc_registration FALSE)
    if(CUDA AND member MATCHES "\\.cu\\.o(bj)?$" AND name MATCHES "^\\.(bss|init_array)$")
      set(nvcc_registration TRUE)  # its symbols are still checked one by one below
    endif()
    if(name MATCHES "^\\.(data|bss|tdata|tbss|sdata|sbss)($|\\.)" AND NOT name MATCHES "^\\.data\\.rel\\.ro($|\\.)"
       AND NOT size MATCHES "^0+$" AND NOT nvcc_registration)
      list(APPEND bad "${member}: section ${name} holds 0x${size} writable bytes")
    endif()
    # Static constructors would mean dynamic initialisation of some global.
    if(name MATCHES "^\\.(init_array|ctors|preinit_array)($|\\.)" AND NOT size MATCHES "^0+$"
       AND NOT nvcc_registration)
      list(APPEND bad "${member}: section ${name}: a static constructor (dynamic initialisation)")
    endif()
  endif()
endforeach()
string(REPLACE "\n" ";" lines "${symbols}")
foreach(line IN LISTS lines)
  if(line MATCHES "\\*COM\\*[ \t]+[0-9a-fA-F]+[ \t]+(.+)$")
    list(APPEND bad "common symbol ${CMAKE_MATCH_1}")
  elseif(NOT line MATCHES " \\.data\\.rel\\.ro"
         AND line MATCHES " \\.(data|bss|tdata|tbss)[^ \t]*[ \t]+[0-9a-fA-F]+[ \t]+(.+)$")
    set(sym "${CMAKE_MATCH_2}")
    if(CUDA AND sym MATCHES "(__device_stub__|__cudaFatCubinHandle|__cudaPrelinkedFatbins|__nv_)")
      # nvcc-generated kernel registration (see above)
    elseif(NOT sym MATCHES "^\\.")  # section symbols: the section itself is reported above
      list(APPEND bad "writable symbol ${sym}")
    endif()
  endif()
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "no object files found in ${LIB}")
endif()
if(bad)
  list(REMOVE_DUPLICATES bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  message(FATAL_ERROR "libdescent.a has global mutable state:\n  ${bad}")
endif()
message(STATUS "libdescent.a: ${checked} objects, no writable data (only .data.rel.ro const tables)")
