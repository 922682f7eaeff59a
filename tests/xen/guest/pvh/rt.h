/* SPDX-License-Identifier: MIT */
/*
 * The PVH test guest's tiny runtime: port and MMIO accessors of every width,
 * the string instructions in both directions, rdtsc, a console on Xen's debug
 * port 0xE9 (shown by `xl dmesg` as "(dN) ..."), the kernel command line from
 * struct hvm_start_info, and the ok/FAIL accounting of the checks.  The guest
 * is freestanding 32-bit code with paging off, so guest-physical addresses
 * are plain pointers.
 */
#ifndef XENTEST_RT_H
#define XENTEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- port I/O --------------------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* --- MMIO ------------------------------------------------------------------- */

static inline uint8_t mmio_read8(uint32_t a)
{
	return *(volatile uint8_t *)a;
}
static inline uint16_t mmio_read16(uint32_t a)
{
	return *(volatile uint16_t *)a;
}
static inline uint32_t mmio_read32(uint32_t a)
{
	return *(volatile uint32_t *)a;
}
static inline void mmio_write8(uint32_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}
static inline void mmio_write16(uint32_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}
static inline void mmio_write32(uint32_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

/*
 * 32-bit code has no 8-byte general-purpose load, and two 4-byte accesses
 * would test something else.  An SSE movq is one 8-byte access, which Xen's
 * instruction emulator forwards as a single ioreq of size 8.
 */
static inline uint64_t mmio_read64(uint32_t a)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %%xmm0\n\tmovq %%xmm0, %0"
	                 : "=m"(v)
	                 : "r"(a)
	                 : "memory");
	return v;
}

static inline void mmio_write64(uint32_t a, uint64_t v)
{
	__asm__ volatile("movq %0, %%xmm0\n\tmovq %%xmm0, (%1)"
	                 :
	                 : "m"(v), "r"(a)
	                 : "memory");
}

/* --- string I/O: down=true runs with EFLAGS.DF set (addresses decrement) ----- */

void rep_outsb(uint16_t port, const void *src, uint32_t n, bool down);
void rep_insb(uint16_t port, void *dst, uint32_t n, bool down);
void rep_movsb(void *dst, const void *src, uint32_t n, bool down);
void rep_movsl(void *dst, const void *src, uint32_t n, bool down);
void rep_stosl(void *dst, uint32_t val, uint32_t n);

/* --- time and arithmetic ---------------------------------------------------- */

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* 64-by-32 division without libgcc (32-bit code has no 64-bit divide). */
uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem);

/* --- console and command line ----------------------------------------------- */

void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Remember the command line xl passed in hvm_start_info (NULL-safe). */
void cmdline_init(const void *start_info);
/* @return the numeric value of "key=N" on the command line, or def. */
uint32_t cmdline_u32(const char *key, uint32_t def);

/* --- checks ------------------------------------------------------------------ */

/* Print "ok N desc" or "FAIL N desc got X want Y" and count it. */
bool check_eq(const char *desc, uint64_t got, uint64_t want);
/* Print the verdict line the harness looks for. @return the failures. */
unsigned check_verdict(void);

#endif /* XENTEST_RT_H */
