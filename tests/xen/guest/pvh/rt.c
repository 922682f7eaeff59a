/* SPDX-License-Identifier: MIT */
/*
 * The PVH test guest's runtime: string instructions, 64-bit division, a small
 * printf on Xen's debug port, the command line, and check accounting.  Every
 * byte written to port 0xE9 of an HVM/PVH guest is handled by Xen itself,
 * which buffers it until a newline and logs the line as "(dN) line", so this
 * console works before (and whether or not) ioreqd serves anything.
 */
#include "rt.h"

#define DEBUG_PORT 0xe9
#define HVM_START_MAGIC 0x336ec578u

/* The part of struct hvm_start_info (xen/arch-x86/hvm/start_info.h) we read. */
struct start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
};

static const char *cmdline = "";
static unsigned nr_checks, nr_failed;

/* --- string instructions ----------------------------------------------------- */

/*
 * Each helper sets DF only around its own instruction: the ABI requires DF
 * clear at every call and return, and a string op with a stale DF would test
 * the wrong direction.
 */
void rep_outsb(uint16_t port, const void *src, uint32_t n, bool down)
{
	if (down)
		__asm__ volatile("std\n\trep outsb\n\tcld"
		                 : "+S"(src), "+c"(n)
		                 : "d"(port)
		                 : "memory");
	else
		__asm__ volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(port) : "memory");
}

void rep_insb(uint16_t port, void *dst, uint32_t n, bool down)
{
	if (down)
		__asm__ volatile("std\n\trep insb\n\tcld"
		                 : "+D"(dst), "+c"(n)
		                 : "d"(port)
		                 : "memory");
	else
		__asm__ volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(port) : "memory");
}

void rep_movsb(void *dst, const void *src, uint32_t n, bool down)
{
	if (down)
		__asm__ volatile("std\n\trep movsb\n\tcld"
		                 : "+D"(dst), "+S"(src), "+c"(n)
		                 :
		                 : "memory");
	else
		__asm__ volatile("rep movsb"
		                 : "+D"(dst), "+S"(src), "+c"(n)
		                 :
		                 : "memory");
}

void rep_movsl(void *dst, const void *src, uint32_t n, bool down)
{
	if (down)
		__asm__ volatile("std\n\trep movsl\n\tcld"
		                 : "+D"(dst), "+S"(src), "+c"(n)
		                 :
		                 : "memory");
	else
		__asm__ volatile("rep movsl"
		                 : "+D"(dst), "+S"(src), "+c"(n)
		                 :
		                 : "memory");
}

void rep_stosl(void *dst, uint32_t val, uint32_t n)
{
	__asm__ volatile("rep stosl" : "+D"(dst), "+c"(n) : "a"(val) : "memory");
}

/* --- arithmetic --------------------------------------------------------------- */

uint64_t udiv64(uint64_t n, uint32_t d, uint32_t *rem)
{
	uint32_t hi = (uint32_t)(n >> 32), lo = (uint32_t)n, qhi, qlo, r;

	/* Long division in two divl steps; the first leaves r < d, so the
	 * second cannot overflow. */
	qhi = hi / d;
	r = hi % d;
	__asm__("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
	if (rem)
		*rem = r;
	return ((uint64_t)qhi << 32) | qlo;
}

/* --- console -------------------------------------------------------------------- */

static void con_putc(char c)
{
	outb(DEBUG_PORT, (uint8_t)c);
}

static void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}

static void con_number(uint64_t v, unsigned base, unsigned width, char pad)
{
	char buf[24];
	unsigned n = 0;
	uint32_t digit;

	do {
		v = udiv64(v, base, &digit);
		buf[n++] = "0123456789abcdef"[digit];
	} while (v && n < sizeof(buf));
	while (width > n) {
		con_putc(pad);
		width--;
	}
	while (n)
		con_putc(buf[--n]);
}

/* Supports %s %c %u %x %d and the ll modifier, with a width and 0 padding. */
void con_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		unsigned width = 0, longs = 0;
		char pad = ' ';
		uint64_t v;

		if (*fmt != '%') {
			con_putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			con_puts(va_arg(ap, const char *));
			break;
		case 'c':
			con_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int32_t s = va_arg(ap, int32_t);

			if (s < 0) {
				con_putc('-');
				s = -s;
			}
			con_number((uint32_t)s, 10, width, pad);
			break;
		}
		case 'u':
		case 'x':
			v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
			con_number(v, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case '%':
			con_putc('%');
			break;
		default:
			con_putc('?');
			break;
		}
	}
	va_end(ap);
}

/* --- command line --------------------------------------------------------------- */

void cmdline_init(const void *start_info)
{
	const struct start_info *si = start_info;

	if (si && si->magic == HVM_START_MAGIC && si->cmdline_paddr &&
	    si->cmdline_paddr < 0x100000000ull)
		cmdline = (const char *)(uint32_t)si->cmdline_paddr;
}

static uint32_t parse_u32(const char *s)
{
	uint32_t v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		uint32_t d;

		if (*s >= '0' && *s <= '9')
			d = (uint32_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint32_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint32_t)(*s - 'A' + 10);
		else
			break;
		v = v * base + d;
	}
	return v;
}

uint32_t cmdline_u32(const char *key, uint32_t def)
{
	const char *p = cmdline;

	while (*p) {
		const char *k = key, *w = p;

		while (*k && *w == *k) {
			k++;
			w++;
		}
		/* a match must start a word and end in '=' */
		if (!*k && *w == '=' && (p == cmdline || p[-1] == ' '))
			return parse_u32(w + 1);
		p++;
	}
	return def;
}

/* --- checks --------------------------------------------------------------------- */

bool check_eq(const char *desc, uint64_t got, uint64_t want)
{
	nr_checks++;
	if (got == want) {
		con_printf("ok %u %s\n", nr_checks, desc);
		return true;
	}
	nr_failed++;
	con_printf("FAIL %u %s got 0x%llx want 0x%llx\n", nr_checks, desc,
	           (unsigned long long)got, (unsigned long long)want);
	return false;
}

unsigned check_verdict(void)
{
	con_printf("ioreqd-xentest: %u passed, %u failed\n", nr_checks - nr_failed,
	           nr_failed);
	return nr_failed;
}

/*
 * GCC may turn __builtin_memcmp into a call even when freestanding (it does
 * here once guest_main grows), and the freestanding environment must then
 * provide the function.
 */
int memcmp(const void *a, const void *b, size_t n);
int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}
