# Cross build for 64-bit Arm Linux (NVIDIA Jetson Orin / Xavier, Raspberry Pi 4/5, Graviton)
# with Debian's g++-aarch64-linux-gnu. Tests run under qemu-aarch64 (Debian's qemu-user).
#
# CPU flags for a Jetson build (pass as -DCMAKE_CXX_FLAGS=... or set DESCENT_AARCH64_CPU):
#   Orin  (Cortex-A78AE): -mcpu=cortex-a78ae   (armv8.2-a + dotprod + fp16)
#   Xavier (Carmel):      -march=armv8.2-a+fp16 (GCC 12 has no -mcpu=carmel)
# The NEON kernels need only baseline ASIMD, which every aarch64 CPU has.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(DESCENT_AARCH64_CPU "" CACHE STRING "-mcpu/-march flags for the target, e.g. -mcpu=cortex-a78ae")
if(DESCENT_AARCH64_CPU)
  set(CMAKE_C_FLAGS_INIT "${DESCENT_AARCH64_CPU}")
  set(CMAKE_CXX_FLAGS_INIT "${DESCENT_AARCH64_CPU}")
endif()

find_program(DESCENT_QEMU_AARCH64 qemu-aarch64)
if(DESCENT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${DESCENT_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu" CACHE STRING "" FORCE)
endif()
