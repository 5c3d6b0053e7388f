# The optional CUDA backend (DESCENT_CUDA=ON). Architectures default to 80 (A100), 87 (Jetson
# Orin) and 90 (H100); override with -DCMAKE_CUDA_ARCHITECTURES=... . Jetson Xavier (72) needs a
# toolkit that still targets it (CUDA <= 12.x, JetPack 5): CUDA 13 rejects it, which the check
# below reports before nvcc fails obscurely.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 80 87 90)
endif()
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR "DESCENT_CUDA=ON but no CUDA compiler was found (put nvcc on PATH, e.g. /usr/local/cuda/bin)")
endif()
execute_process(COMMAND ${CMAKE_CUDA_COMPILER} --list-gpu-arch OUTPUT_VARIABLE _dsc_archs RESULT_VARIABLE _dsc_rc ERROR_QUIET)
if(_dsc_rc EQUAL 0)
  foreach(arch IN LISTS CMAKE_CUDA_ARCHITECTURES)
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
target_sources(descent PRIVATE kernels/cuda/cuda_kernels.cu lib/src/cuda/cuda_train.cpp lib/src/cuda/cuda_query.cpp)
set_source_files_properties(kernels/cuda/cuda_kernels.cu PROPERTIES COMPILE_OPTIONS "-Xcompiler=-fno-exceptions")
set_target_properties(descent PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON)
# Static runtime: a consumer links libdescent.a plus cudart_static, rt, pthread and dl
# (CUDA::cudart_static in CMake; see README).
target_link_libraries(descent PUBLIC CUDA::cudart_static)
target_compile_definitions(descent PUBLIC DESCENT_HAVE_CUDA=1)
