# Bare-metal Arm Cortex-M with Debian's arm-none-eabi GCC + newlib (packages gcc-arm-none-eabi
# and libnewlib-arm-none-eabi; QEMU tests: qemu-system-arm). The library's C++ includes only C
# headers (<stddef.h>, <stdint.h>, <string.h>, <math.h>), so neither libstdc++-arm-none-eabi-dev
# nor the 1.5 GB -newlib variant is needed (checked: the m4f workflow passes without them).
# Firmware is linked with the C driver: libdescent needs nothing from the C++ runtime.
#
#   DESCENT_ARM_CPU  cortex-m4 (default): -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard,
#                                          tests on qemu-system-arm -M mps2-an386
#                    cortex-m7:           -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard,
#                                          tests on qemu-system-arm -M mps2-an500
#                    cortex-m0plus:       -mcpu=cortex-m0plus -mfloat-abi=soft (armv6-m, no FPU),
#                                          tests on qemu-system-arm -M microbit (nRF51, a
#                                          Cortex-M0: QEMU 7.2 has no M0+ board, and the MPS2
#                                          boards' fixed M3/M4/M7 CPUs refuse -cpu cortex-m0;
#                                          M0+ code is armv6-m, which the M0 runs unchanged)
#
# Build type MinSizeRel gives -Os. Every object gets -ffunction-sections -fdata-sections, so
# a firmware linked with --gc-sections keeps only the functions it can reach; C++ gets
# -fno-exceptions -fno-rtti. DESCENT_NO_GETENV compiles the DESCENT_BACKEND override out.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# The compiler checks cannot link without a linker script and startup code.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(DESCENT_ARM_CPU "cortex-m4" CACHE STRING "Target core: cortex-m4 (M4F) or cortex-m7")
set_property(CACHE DESCENT_ARM_CPU PROPERTY STRINGS cortex-m4 cortex-m7 cortex-m0plus)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DESCENT_ARM_CPU)

if(DESCENT_ARM_CPU STREQUAL "cortex-m4")
  set(DESCENT_MCU_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
  set(DESCENT_QEMU_MACHINE "mps2-an386")
elseif(DESCENT_ARM_CPU STREQUAL "cortex-m7")
  set(DESCENT_MCU_FLAGS "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
  set(DESCENT_QEMU_MACHINE "mps2-an500")
elseif(DESCENT_ARM_CPU STREQUAL "cortex-m0plus")
  set(DESCENT_MCU_FLAGS "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft")
  set(DESCENT_QEMU_MACHINE "microbit")
else()
  message(FATAL_ERROR "DESCENT_ARM_CPU must be cortex-m4, cortex-m7 or cortex-m0plus, not '${DESCENT_ARM_CPU}'")
endif()

set(_descent_common "${DESCENT_MCU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_descent_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_descent_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -DDESCENT_NO_GETENV")
set(CMAKE_ASM_FLAGS_INIT "${DESCENT_MCU_FLAGS}")
# Startup code and linker script come from ports/cortex-m; newlib-nano without its crt0.
set(CMAKE_EXE_LINKER_FLAGS_INIT "${DESCENT_MCU_FLAGS} --specs=nano.specs -nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Firmware runs under qemu-system-arm; ctest appends the ELF after -kernel. A hang is ended by
# timeout (and by the test's TIMEOUT property). stdin may be closed under ctest, so no
# -nographic: no display, no serial, no monitor; semihosting prints to stdout.
find_program(DESCENT_QEMU_SYSTEM_ARM qemu-system-arm)
find_program(DESCENT_TIMEOUT timeout)
if(DESCENT_QEMU_SYSTEM_ARM AND DESCENT_TIMEOUT)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${DESCENT_TIMEOUT};120;${DESCENT_QEMU_SYSTEM_ARM};-M;${DESCENT_QEMU_MACHINE};-display;none;-serial;null;-monitor;none;-semihosting-config;enable=on,target=native;-kernel"
      CACHE STRING "" FORCE)
endif()
