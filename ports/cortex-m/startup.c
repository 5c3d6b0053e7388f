/*
 * startup.c — vector table and reset handler for Cortex-M4F / M7 on QEMU's MPS2 boards
 * (mps2-an386, mps2-an500), and for the footprint link probes.
 *
 * Reset: enable the FPU (CPACR CP10/CP11 full access; the first float instruction faults
 * otherwise), copy .data from flash, zero .bss, run static constructors, then exit through
 * semihosting with main's return value. Every fault exits with code 99 and a message, so a
 * broken firmware never hangs QEMU.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);
int main(void);

void Reset_Handler(void) __attribute__((noreturn));
static void fault(const char *what) __attribute__((noreturn));

static void fault(const char *what) {
    sh_puts("\nFAULT: ");
    sh_puts(what);
    sh_puts("\n");
    sh_exit(99);
}

static void NMI_Handler(void) { fault("NMI"); }
static void HardFault_Handler(void) { fault("HardFault"); }
static void MemManage_Handler(void) { fault("MemManage"); }
static void BusFault_Handler(void) { fault("BusFault"); }
static void UsageFault_Handler(void) { fault("UsageFault"); }
static void Default_Handler(void) { fault("unexpected interrupt"); }

typedef void (*vector_fn)(void);

__attribute__((section(".isr_vector"), used)) const vector_fn g_vectors[16] = {
    (vector_fn)(uintptr_t)&_estack,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMon */
    0,
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};

void Reset_Handler(void) {
    uint32_t *src = &_sidata, *dst;
    void (**ctor)(void);
#if defined(__ARM_FP)
    /* Only cores with an FPU: a soft-float build (Cortex-M0+) has no CPACR to write. */
    volatile uint32_t *const cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    for (dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;) *dst++ = 0u;
    for (ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
    sh_exit(main());
}

/* newlib's __libc_init_array is not used; these satisfy objects that reference them. */
void _init(void) {}
void _fini(void) {}
