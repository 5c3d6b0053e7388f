# ctest driver for a test firmware: runs it under the emulator (timeout + qemu-system-arm, from
# the toolchain) and passes only when QEMU exits 0 (the semihosting exit code of main) AND the
# firmware printed its pass line. A hang is ended by `timeout` (exit 124) and fails.
#   -DEMULATOR=<'|'-separated command> -DFIRMWARE=<elf> -DPASS_LINE=<text>
string(REPLACE "|" ";" emulator "${EMULATOR}")
execute_process(COMMAND ${emulator} ${FIRMWARE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
# QEMU writes the semihosting console to stderr.
message("${out}${err}")
if(rc EQUAL 124)
  message(FATAL_ERROR "firmware hung: killed by timeout")
elseif(NOT rc EQUAL 0)
  message(FATAL_ERROR "firmware exited with ${rc} (1: a check failed, 99: a fault)")
endif()
string(FIND "${out}${err}" "${PASS_LINE}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "firmware exited 0 without printing '${PASS_LINE}'")
endif()
