# Install rules and package files (included by the root CMakeLists.txt).
#
#   cmake --install <build> [--prefix <dir>] installs
#     include/descent.h                      the C API
#     lib/libdescent.a                       the library (static, no heap, C99 ABI)
#     include/descent_pool.h, lib/libdescent_pool.a   the POSIX thread pool (hosted builds)
#     lib/cmake/descent/descent{Config,ConfigVersion,Targets}.cmake
#         find_package(descent CONFIG REQUIRED) -> descent::descent (and descent::pool)
#     lib/pkgconfig/descent.pc               pkg-config --cflags --libs descent
#
# The test `install_consumer` (tests/consumer) installs into a directory of the build tree and
# builds an outside C and C++ program against it, through find_package and through pkg-config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DESCENT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/descent" CACHE STRING
    "Where descentConfig.cmake goes, relative to the prefix")

install(TARGETS descent EXPORT descentTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/lib/include/descent.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(DESCENT_PACKAGE_HAS_POOL OFF)
if(TARGET descent_pool)
  set(DESCENT_PACKAGE_HAS_POOL ON)
  set_target_properties(descent_pool PROPERTIES EXPORT_NAME pool)
  install(TARGETS descent_pool EXPORT descentTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/ports/posix/descent_pool.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()

set(DESCENT_PACKAGE_HAS_CUDA OFF)
if(DESCENT_CUDA)
  set(DESCENT_PACKAGE_HAS_CUDA ON)
endif()

install(EXPORT descentTargets
  NAMESPACE descent::
  FILE descentTargets.cmake
  DESTINATION ${DESCENT_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/descentConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/descentConfig.cmake
  INSTALL_DESTINATION ${DESCENT_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/package/descentConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)  # 0.x: the minor version may change the ABI
install(FILES
  ${PROJECT_BINARY_DIR}/package/descentConfig.cmake
  ${PROJECT_BINARY_DIR}/package/descentConfigVersion.cmake
  DESTINATION ${DESCENT_INSTALL_CMAKEDIR})

# pkg-config: relocatable (paths relative to the .pc file), static library, so libm is in Libs.
set(DESCENT_PC_LIBS_EXTRA "")
if(DESCENT_CUDA AND CUDAToolkit_LIBRARY_DIR)
  # The CUDA backend's static runtime and what it needs (as CUDA::cudart_static).
  string(APPEND DESCENT_PC_LIBS_EXTRA
    "-L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -lrt -lpthread -ldl -lstdc++ ")
endif()
if(NOT MSVC)
  string(APPEND DESCENT_PC_LIBS_EXTRA "-lm")  # also newlib's libm on bare metal
endif()
file(RELATIVE_PATH DESCENT_PC_TO_PREFIX
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" DESCENT_PC_TO_PREFIX "${DESCENT_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/descent.pc.in
  ${PROJECT_BINARY_DIR}/package/descent.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/descent.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- the outside-consumer test ---------------------------------------------------------------
if(DESCENT_BUILD_TESTS AND NOT CMAKE_CROSSCOMPILING)
  find_program(DESCENT_PKG_CONFIG pkg-config)
  add_test(NAME install_consumer
    COMMAND ${CMAKE_COMMAND}
      -DDESCENT_BUILD_DIR=${PROJECT_BINARY_DIR}
      -DDESCENT_CONFIG=$<CONFIG>
      -DCONSUMER_SOURCE_DIR=${PROJECT_SOURCE_DIR}/tests/consumer
      -DWORK_DIR=${PROJECT_BINARY_DIR}/consumer-test
      -DGENERATOR=${CMAKE_GENERATOR}
      -DC_COMPILER=${CMAKE_C_COMPILER}
      -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
      "-DC_FLAGS=${CMAKE_C_FLAGS}"
      "-DCXX_FLAGS=${CMAKE_CXX_FLAGS}"
      "-DLINK_FLAGS=${CMAKE_EXE_LINKER_FLAGS}"
      -DPKG_CONFIG=${DESCENT_PKG_CONFIG}
      -P ${PROJECT_SOURCE_DIR}/tests/consumer/run_consumer_test.cmake)
  set_tests_properties(install_consumer PROPERTIES
    LABELS install TIMEOUT 300 RUN_SERIAL ON)
endif()
