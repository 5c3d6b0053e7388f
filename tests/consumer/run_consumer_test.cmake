# ctest install_consumer: install descent into WORK_DIR/prefix, then build and run the outside
# consumer (consumer.c, consumer.cpp) against that prefix
#   1. with CMake: a separate configure of this directory, find_package(descent CONFIG REQUIRED)
#   2. with pkg-config: `pkg-config --cflags --libs descent` and the C / C++ compilers directly
# Variables (from cmake/install.cmake): DESCENT_BUILD_DIR, DESCENT_CONFIG, CONSUMER_SOURCE_DIR,
# WORK_DIR, GENERATOR, C_COMPILER, CXX_COMPILER, C_FLAGS, CXX_FLAGS, LINK_FLAGS, PKG_CONFIG.
cmake_minimum_required(VERSION 3.16)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REPLACE ";" " " cmd "${ARGN}")
  message(STATUS "$ ${cmd}")
  if(out)
    message(STATUS "${out}")
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# ---- install --------------------------------------------------------------------------------
set(cfg_args "")
if(DESCENT_CONFIG)
  set(cfg_args --config ${DESCENT_CONFIG})
endif()
run(${CMAKE_COMMAND} --install ${DESCENT_BUILD_DIR} --prefix ${prefix} ${cfg_args})
file(GLOB_RECURSE installed RELATIVE ${prefix} ${prefix}/*)
list(SORT installed)
string(REPLACE ";" "\n  " listing "${installed}")
message(STATUS "installed:\n  ${listing}")
foreach(f include/descent.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "${f} was not installed")
  endif()
endforeach()
file(GLOB_RECURSE pc_files ${prefix}/*/descent.pc)
file(GLOB_RECURSE config_files ${prefix}/*/descentConfig.cmake)
if(NOT pc_files OR NOT config_files)
  message(FATAL_ERROR "descent.pc or descentConfig.cmake missing from the install")
endif()

# ---- 1. find_package --------------------------------------------------------------------------
set(bin ${WORK_DIR}/find_package)
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${bin} -G "${GENERATOR}"
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_C_FLAGS=${C_FLAGS}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run(${CMAKE_COMMAND} --build ${bin})
run(${bin}/consumer_c)
run(${bin}/consumer_cpp)

# ---- 2. pkg-config ------------------------------------------------------------------------------
if(NOT PKG_CONFIG)
  message(FATAL_ERROR "pkg-config not found: install it (apt-get install pkg-config) to test "
                      "descent.pc")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
set(ENV{PKG_CONFIG_LIBDIR} ${pc_dir})  # only the fresh install, not the system's
run(${PKG_CONFIG} --modversion descent)
run(${PKG_CONFIG} --cflags descent)
separate_arguments(pc_cflags UNIX_COMMAND "${last_output}")
run(${PKG_CONFIG} --libs descent)
separate_arguments(pc_libs UNIX_COMMAND "${last_output}")
separate_arguments(c_flags UNIX_COMMAND "${C_FLAGS}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
separate_arguments(link_flags UNIX_COMMAND "${LINK_FLAGS}")
set(bin ${WORK_DIR}/pkg-config)
file(MAKE_DIRECTORY ${bin})
run(${C_COMPILER} -std=c99 -O2 ${c_flags} ${pc_cflags} ${CONSUMER_SOURCE_DIR}/consumer.c
    -o ${bin}/consumer_c ${link_flags} ${pc_libs})
run(${CXX_COMPILER} -std=c++17 -O2 ${cxx_flags} ${pc_cflags} ${CONSUMER_SOURCE_DIR}/consumer.cpp
    -o ${bin}/consumer_cpp ${link_flags} ${pc_libs})
run(${bin}/consumer_c)
run(${bin}/consumer_cpp)
message(STATUS "install_consumer: find_package and pkg-config consumers built and passed")
