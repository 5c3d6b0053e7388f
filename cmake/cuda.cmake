# The optional CUDA backend (DESCENT_CUDA=ON): the compiler, the architectures and the CUDA
# language. Included before any target exists, because a target takes its CUDA_ARCHITECTURES
# from CMAKE_CUDA_ARCHITECTURES when it is created (a default set after add_library left the
# property empty: "CUDA_ARCHITECTURES is empty for target descent"). The sources and the
# runtime are added to the target in CMakeLists.txt.
#
# Architectures, unless given (-DCMAKE_CUDA_ARCHITECTURES=... or the CUDAARCHS environment
# variable, as for any CMake CUDA project): `native` when nvidia-smi lists a GPU on this
# machine, else 80 (A100), 87 (Jetson Orin) and 90 (H100). Jetson Xavier (72) needs a toolkit
# that still targets it (CUDA <= 12.x, JetPack 5): CUDA 13 rejects it, which the check below
# reports before nvcc fails obscurely.

# nvcc is found on PATH (or through CUDACXX / CMAKE_CUDA_COMPILER); failing that, in the
# toolkit's usual home.
if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(DESCENT_NVCC nvcc PATHS /usr/local/cuda/bin NO_CACHE)
  if(DESCENT_NVCC)
    set(CMAKE_CUDA_COMPILER "${DESCENT_NVCC}" CACHE FILEPATH "CUDA compiler")
  endif()
endif()

if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
  set(_dsc_default_archs 80 87 90)
  find_program(DESCENT_NVIDIA_SMI nvidia-smi NO_CACHE)
  if(DESCENT_NVIDIA_SMI)
    execute_process(COMMAND ${DESCENT_NVIDIA_SMI} -L OUTPUT_VARIABLE _dsc_gpus RESULT_VARIABLE _dsc_rc
                    ERROR_QUIET TIMEOUT 20)
    if(_dsc_rc EQUAL 0 AND _dsc_gpus MATCHES "GPU [0-9]")
      set(_dsc_default_archs native)
    endif()
  endif()
  set(CMAKE_CUDA_ARCHITECTURES "${_dsc_default_archs}" CACHE STRING
      "CUDA architectures (descent's default: native with a GPU present, else 80;87;90)")
  message(STATUS "descent: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES} (override with -DCMAKE_CUDA_ARCHITECTURES=...)")
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR "DESCENT_CUDA=ON but no CUDA compiler was found (put nvcc on PATH, e.g. /usr/local/cuda/bin, or set CUDACXX)")
endif()
# Numbered architectures must be ones this nvcc offers; native, all and all-major are CMake's.
execute_process(COMMAND ${CMAKE_CUDA_COMPILER} --list-gpu-arch OUTPUT_VARIABLE _dsc_archs RESULT_VARIABLE _dsc_rc ERROR_QUIET)
if(_dsc_rc EQUAL 0)
  set(_dsc_requested "${CMAKE_CUDA_ARCHITECTURES}")
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND DEFINED ENV{CUDAARCHS})
    set(_dsc_requested "$ENV{CUDAARCHS}")
  endif()
  foreach(arch IN LISTS _dsc_requested)
    if(arch MATCHES "^(native|all|all-major|OFF)$")
      continue()
    endif()
    string(REGEX REPLACE "-(real|virtual)$" "" _num "${arch}")
    if(NOT _dsc_archs MATCHES "compute_${_num}")
      string(REPLACE "\n" " " _list "${_dsc_archs}")
      message(FATAL_ERROR
        "CUDA architecture ${_num} is not supported by ${CMAKE_CUDA_COMPILER} (it offers: ${_list}). "
        "Jetson Xavier (72) needs CUDA <= 12 (JetPack 5), built natively on the device; "
        "drop it from CMAKE_CUDA_ARCHITECTURES for this toolkit.")
    endif()
  endforeach()
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
