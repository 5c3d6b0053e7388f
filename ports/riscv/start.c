/*
 * start.c — RISC-V bare-metal entry for QEMU virt (-bios none, M-mode): stack and global
 * pointer, FPU on where the build has one (mstatus.FS), .bss zeroed (QEMU loads .data in
 * place), constructors, main, then the exit code through semihosting. A trap exits 99.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sbss, _ebss;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);
void descent_riscv_reset(void) __attribute__((noreturn));

__attribute__((naked, section(".text.start"))) void _start(void) {
    __asm__ volatile(
        ".option push\n\t.option norelax\n\t"
        "la gp, __global_pointer$\n\t"
        ".option pop\n\t"
        "la sp, _estack\n\t"
        "la t0, descent_riscv_trap\n\t"
        ".insn i 0x73, 1, x0, t0, 0x305\n\t" /* csrw mtvec, t0 (no zicsr in GCC 12's -march) */
        "j descent_riscv_reset");
}

__attribute__((aligned(4))) void descent_riscv_trap(void) { sh_exit(99); }

void descent_riscv_reset(void) {
    uint32_t *dst;
    void (**ctor)(void);
#if defined(__riscv_flen)
    /* FS = Initial: csrs mstatus, t0 */
    __asm__ volatile("li t0, 0x2000\n\t.insn i 0x73, 2, x0, t0, 0x300" ::: "t0");
#endif
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0u;
    for (ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
    sh_exit(main());
}
