# Bare-metal RISC-V rv32 with Debian's riscv64-unknown-elf GCC + picolibc (packages
# gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf; tests: qemu-system-riscv32 from
# qemu-system-misc, machine virt).
#
#   DESCENT_RISCV_ARCH  rv32imac  (default): -march=rv32imac -mabi=ilp32, soft float
#                       rv32imafc:           -march=rv32imafc -mabi=ilp32f, hard single float
# Both are multilibs of Debian's toolchain (riscv64-unknown-elf-gcc -print-multi-lib).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_CXX_COMPILER riscv64-unknown-elf-g++)
set(CMAKE_ASM_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(DESCENT_RISCV_ARCH "rv32imac" CACHE STRING "rv32imac (soft float) or rv32imafc (hard float)")
set_property(CACHE DESCENT_RISCV_ARCH PROPERTY STRINGS rv32imac rv32imafc)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES DESCENT_RISCV_ARCH)
if(DESCENT_RISCV_ARCH STREQUAL "rv32imac")
  set(DESCENT_MCU_FLAGS "-march=rv32imac -mabi=ilp32 -mcmodel=medany")
elseif(DESCENT_RISCV_ARCH STREQUAL "rv32imafc")
  set(DESCENT_MCU_FLAGS "-march=rv32imafc -mabi=ilp32f -mcmodel=medany")
else()
  message(FATAL_ERROR "DESCENT_RISCV_ARCH must be rv32imac or rv32imafc, not '${DESCENT_RISCV_ARCH}'")
endif()

set(_descent_common "${DESCENT_MCU_FLAGS} --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_descent_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_descent_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -DDESCENT_NO_GETENV")
set(CMAKE_ASM_FLAGS_INIT "${DESCENT_MCU_FLAGS}")
# Own start code and linker script (ports/riscv); picolibc's libc/libm, no crt0.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostartfiles -Wl,--gc-sections")  # flags and specs come with CMAKE_C_FLAGS

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -bios none: QEMU starts the ELF in M-mode at its entry point; semihosting prints and exits.
find_program(DESCENT_QEMU_SYSTEM_RISCV32 qemu-system-riscv32)
find_program(DESCENT_TIMEOUT timeout)
if(DESCENT_QEMU_SYSTEM_RISCV32 AND DESCENT_TIMEOUT)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${DESCENT_TIMEOUT};120;${DESCENT_QEMU_SYSTEM_RISCV32};-M;virt;-bios;none;-display;none;-serial;null;-monitor;none;-semihosting-config;enable=on,target=native;-kernel"
      CACHE STRING "" FORCE)
endif()
