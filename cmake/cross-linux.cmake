# Toolchain file: Linux on another CPU, with a GNU cross compiler and a Debian sysroot, the
# programs run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so plain ctest runs the tests.
#
#   cmake -S . -B build/cross-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/cross-linux.cmake \
#         -DPYLON_IDV_CROSS=aarch64-linux-gnu -DPYLON_IDV_SYSROOT=/path/to/arm64-sysroot
#
# The same names work as environment variables (how noxfile.py's dist_aarch64 passes them
# through scikit-build-core). qemu's CPU model: PYLON_IDV_QEMU_CPU here, or QEMU_CPU when ctest
# runs (`QEMU_CPU=cortex-a53 ctest -L cross`); qemu's default otherwise.
foreach(_pi_v PYLON_IDV_CROSS PYLON_IDV_SYSROOT PYLON_IDV_QEMU_CPU)
  if(NOT ${_pi_v} AND DEFINED ENV{${_pi_v}})
    set(${_pi_v} "$ENV{${_pi_v}}")
  endif()
endforeach()
if(NOT PYLON_IDV_CROSS OR NOT PYLON_IDV_SYSROOT)
  message(FATAL_ERROR "cross-linux.cmake needs PYLON_IDV_CROSS (a triple, e.g. aarch64-linux-gnu) "
                      "and PYLON_IDV_SYSROOT (a sysroot with libc6-dev and libssl-dev)")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PYLON_IDV_CROSS PYLON_IDV_SYSROOT PYLON_IDV_QEMU_CPU)

string(REGEX MATCH "^[^-]+" _pi_arch "${PYLON_IDV_CROSS}")
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${_pi_arch})
set(CMAKE_C_COMPILER ${PYLON_IDV_CROSS}-gcc)
set(CMAKE_SYSROOT ${PYLON_IDV_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${_pi_arch} -L ${PYLON_IDV_SYSROOT})
if(PYLON_IDV_QEMU_CPU)
  list(APPEND CMAKE_CROSSCOMPILING_EMULATOR -cpu ${PYLON_IDV_QEMU_CPU})
endif()
