/*
 * semihost.h — the few Arm semihosting calls the firmware needs (SYS_WRITE0, SYS_EXIT_EXTENDED),
 * and text formatting without printf, so a firmware links no stdio and hence no allocator.
 */
#ifndef DESCENT_SEMIHOST_H
#define DESCENT_SEMIHOST_H

#include <stdint.h>

void sh_puts(const char *s);                /* no newline added */
void sh_put_u32(uint32_t v);
void sh_put_i32(int32_t v);
void sh_put_f(double v);                    /* %.6g-like */
void sh_exit(int code) __attribute__((noreturn));

#endif
