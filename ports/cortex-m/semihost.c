/* semihost.c — Arm semihosting over BKPT 0xAB (QEMU: -semihosting-config enable=on); on
 * RISC-V (ports/riscv) the same calls over the slli/ebreak/srai sequence of the RISC-V
 * semihosting spec. */
#include "semihost.h"

#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

#if defined(__riscv)
static uint32_t semihost(uint32_t op, const void *arg) {
    register uint32_t a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = arg;
    /* Uncompressed and 4-byte aligned, as the spec requires for QEMU to recognise it. */
    __asm__ volatile(".option push\n\t.option norvc\n\t.balign 4\n\t"
                     "slli zero, zero, 0x1f\n\tebreak\n\tsrai zero, zero, 7\n\t.option pop"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}
#else
static uint32_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
#endif

void sh_puts(const char *s) { semihost(SYS_WRITE0, s); }

void sh_put_u32(uint32_t v) {
    char buf[11];
    int i = 10;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    sh_puts(&buf[i]);
}

void sh_put_i32(int32_t v) {
    if (v < 0) {
        sh_puts("-");
        sh_put_u32((uint32_t)(-(v + 1)) + 1u);
    } else {
        sh_put_u32((uint32_t)v);
    }
}

/* Six significant digits, fixed notation for 1e-4 <= |v| < 1e6, else d.ddddde+-XX. */
void sh_put_f(double v) {
    char buf[24];
    int n = 0, exp10 = 0, i, point;
    uint32_t digits;
    if (v != v) {
        sh_puts("nan");
        return;
    }
    if (v < 0) {
        buf[n++] = '-';
        v = -v;
    }
    if (v > 1e38) {
        buf[n] = '\0';
        sh_puts(buf);
        sh_puts("inf");
        return;
    }
    if (v == 0.0) {
        buf[n++] = '0';
        buf[n] = '\0';
        sh_puts(buf);
        return;
    }
    while (v >= 10.0) { v /= 10.0; ++exp10; }
    while (v < 1.0) { v *= 10.0; --exp10; }
    digits = (uint32_t)(v * 100000.0 + 0.5); /* 6 digits: 100000 .. 1000000 */
    if (digits >= 1000000u) { digits /= 10u; ++exp10; }
    {
        char d[6];
        for (i = 5; i >= 0; --i) { d[i] = (char)('0' + digits % 10u); digits /= 10u; }
        if (exp10 >= -4 && exp10 < 6) {
            if (exp10 < 0) {
                buf[n++] = '0';
                buf[n++] = '.';
                for (i = -1; i > exp10; --i) buf[n++] = '0';
                for (i = 0; i < 6; ++i) buf[n++] = d[i];
            } else {
                point = exp10 + 1;
                for (i = 0; i < 6; ++i) {
                    if (i == point) buf[n++] = '.';
                    buf[n++] = d[i];
                }
            }
        } else {
            buf[n++] = d[0];
            buf[n++] = '.';
            for (i = 1; i < 6; ++i) buf[n++] = d[i];
            buf[n++] = 'e';
            buf[n++] = exp10 < 0 ? '-' : '+';
            if (exp10 < 0) exp10 = -exp10;
            buf[n++] = (char)('0' + exp10 / 10);
            buf[n++] = (char)('0' + exp10 % 10);
        }
    }
    buf[n] = '\0';
    sh_puts(buf);
}

void sh_exit(int code) {
    /* SYS_EXIT_EXTENDED carries the exit status (semihosting v2; QEMU has it). A host without
     * it returns, and plain SYS_EXIT can only say success or failure. */
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    semihost(SYS_EXIT_EXTENDED, block);
    semihost(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                           : ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}
