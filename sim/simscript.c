/* SPDX-License-Identifier: MIT */
/*
 * The simguest script parser and its expression evaluator.  A script is read
 * line by line into a tree of struct sg_cmd (blocks for repeat and parallel);
 * every number is kept as an expression and checked for syntax here, so that
 * a bad script fails before the guest has done anything.  The grammar is in
 * sim/README-script.md and at the top of sim/simguest.c.
 */
#include "build-config.h"

#include "simscript.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu-regs.h"

#define MAX_TOKENS 32
#define MAX_DEPTH 8
#define LINE_MAX_ 1024

/* --- Strings: one arena per script ------------------------------------------- */

struct sg_chunk {
	struct sg_chunk *next;
	char text[];
};

static const char *keep(struct sg_script *s, const char *str, size_t len)
{
	struct sg_chunk *c = malloc(sizeof(*c) + len + 1);

	if (!c)
		return NULL;
	memcpy(c->text, str, len);
	c->text[len] = '\0';
	c->next = s->strings;
	s->strings = c;
	return c->text;
}

static void free_cmds(struct sg_cmd *cmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free_cmds(cmds[i].body, cmds[i].nbody);
	free(cmds);
}

void sg_free(struct sg_script *s)
{
	struct sg_chunk *c, *next;

	if (!s)
		return;
	free_cmds(s->cmds, s->n);
	for (c = s->strings; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(s, 0, sizeof(*s));
}

/* --- Expressions ------------------------------------------------------------------ */

struct ev {
	const char *p;
	const struct sg_vars *vars;
	int err;
};

static uint64_t ev_expr(struct ev *e, int minprec);

static uint64_t ev_number(struct ev *e)
{
	const char *p = e->p;
	unsigned base = 10;
	uint64_t v = 0;
	bool any = false;

	if (p[0] == '\'' && p[1] && p[2] == '\'') {
		e->p += 3;
		return (unsigned char)p[1];
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	}
	for (;; p++) {
		unsigned d;

		if (*p == '_')
			continue; /* 0xffff_0000 */
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;
		any = true;
	}
	if (!any)
		e->err = -EINVAL;
	e->p = p;
	return v;
}

static uint64_t ev_unary(struct ev *e)
{
	uint64_t v;

	switch (*e->p) {
	case '-':
		e->p++;
		return -ev_unary(e);
	case '~':
		e->p++;
		return ~ev_unary(e);
	case '(':
		e->p++;
		v = ev_expr(e, 1);
		if (*e->p != ')')
			e->err = -EINVAL;
		else
			e->p++;
		return v;
	case '$':
		if (!strncmp(e->p, "$vcpu", 5) && !isalnum((unsigned char)e->p[5])) {
			e->p += 5;
			return e->vars ? e->vars->vcpu : 0;
		}
		if (!strncmp(e->p, "$i", 2) && !isalnum((unsigned char)e->p[2])) {
			e->p += 2;
			return e->vars ? e->vars->i : 0;
		}
		e->err = -EINVAL;
		return 0;
	default:
		return ev_number(e);
	}
}

/* @return the precedence of the operator at p (0: none) and its length. */
static int ev_binop(const char *p, unsigned *len)
{
	*len = 2;
	if ((p[0] == '<' && p[1] == '<') || (p[0] == '>' && p[1] == '>'))
		return 4;
	*len = 1;
	switch (p[0]) {
	case '|':
		return 1;
	case '^':
		return 2;
	case '&':
		return 3;
	case '+':
	case '-':
		return 5;
	case '*':
	case '/':
	case '%':
		return 6;
	default:
		return 0;
	}
}

static uint64_t ev_apply(struct ev *e, const char *op, uint64_t a, uint64_t b)
{
	switch (op[0]) {
	case '|':
		return a | b;
	case '^':
		return a ^ b;
	case '&':
		return a & b;
	case '+':
		return a + b;
	case '-':
		return a - b;
	case '*':
		return a * b;
	case '<':
		return b >= 64 ? 0 : a << b;
	case '>':
		return b >= 64 ? 0 : a >> b;
	default: /* '/' and '%' */
		if (b == 0) {
			e->err = -EINVAL;
			return 0;
		}
		return op[0] == '/' ? a / b : a % b;
	}
}

/* Precedence climbing: operators of equal precedence associate to the left. */
static uint64_t ev_expr(struct ev *e, int minprec)
{
	uint64_t lhs = ev_unary(e);

	while (!e->err) {
		unsigned len;
		int prec = ev_binop(e->p, &len);
		const char *op = e->p;
		uint64_t rhs;

		if (prec == 0 || prec < minprec)
			break;
		e->p += len;
		rhs = ev_expr(e, prec + 1);
		lhs = ev_apply(e, op, lhs, rhs);
	}
	return lhs;
}

int sg_eval(const char *expr, const struct sg_vars *vars, uint64_t *out)
{
	struct ev e = {.p = expr, .vars = vars, .err = 0};
	uint64_t v;

	*out = 0;
	if (!expr || !*expr)
		return -EINVAL;
	v = ev_expr(&e, 1);
	if (e.err || *e.p)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --- Registers ---------------------------------------------------------------------- */

#define GPR(n)                                                                           \
	{                                                                                \
#n, offsetof(struct ioreqd_vcpu_regs, n), 8                              \
	}
#define SEL(n)                                                                           \
	{                                                                                \
#n, offsetof(struct ioreqd_vcpu_regs, n.sel), 2                          \
	}

const struct sg_reg sg_regs[] = {
    GPR(rax), GPR(rbx), GPR(rcx), GPR(rdx), GPR(rsi),  GPR(rdi),
    GPR(rbp), GPR(rsp), GPR(r8),  GPR(r9),  GPR(r10),  GPR(r11),
    GPR(r12), GPR(r13), GPR(r14), GPR(r15), GPR(rip),  GPR(rflags),
    GPR(cr0), GPR(cr2), GPR(cr3), GPR(cr4), GPR(efer), SEL(cs),
    SEL(ds),  SEL(es),  SEL(fs),  SEL(gs),  SEL(ss),   {NULL, 0, 0},
};

static int reg_index(const char *name)
{
	for (unsigned i = 0; sg_regs[i].name; i++)
		if (!strcmp(sg_regs[i].name, name))
			return (int)i;
	return -1;
}

/* --- The parser --------------------------------------------------------------------- */

static const char *const op_names[] = {
    [SG_PRINT] = "print",
    [SG_READ] = "read",
    [SG_WRITE] = "write",
    [SG_REP] = "rep",
    [SG_BUF] = "buf",
    [SG_DRAIN] = "drain",
    [SG_TIMEOFFSET] = "timeoffset",
    [SG_INVALIDATE] = "invalidate",
    [SG_SLEEP] = "sleep",
    [SG_VCPU] = "vcpu",
    [SG_EXPECT_IRQ] = "expect-irq",
    [SG_EXPECT_MSI] = "expect-msi",
    [SG_EXPECT_KEY] = "expect-key",
    [SG_SET_REG] = "reg",
    [SG_EXPECT_REG] = "expect-reg",
    [SG_REPEAT] = "repeat",
    [SG_PARALLEL] = "parallel",
    [SG_VIRTIO] = "virtio",
    [SG_WAIT_RESTART] = "wait-restart",
};

const char *sg_op_name(enum sg_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

struct parser {
	FILE *fp;
	const char *name;
	unsigned line;
	struct sg_script *s;
	char *err;
	size_t errlen;
	/* the current line: as read, and split into tokens */
	char raw[LINE_MAX_];
	char buf[LINE_MAX_];
	char *tok[MAX_TOKENS];
	unsigned ntok;
	const char *rest[MAX_TOKENS]; /* the raw text from each token on */
};

static int fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -EINVAL;
}

/* Read the next non-blank, non-comment line and split it.  @return 1, 0 at EOF, -errno.
 */
static int next_line(struct parser *p)
{
	char *raw = p->raw;

	while (fgets(raw, sizeof(p->raw), p->fp)) {
		size_t len = strlen(raw);
		char *q;

		p->line++;
		if (len == sizeof(p->raw) - 1 && raw[len - 1] != '\n')
			return fail(p, "line longer than %d characters", LINE_MAX_ - 2);
		while (len && isspace((unsigned char)raw[len - 1]))
			raw[--len] = '\0';
		q = raw;
		while (isspace((unsigned char)*q))
			q++;
		if (!*q || *q == '#')
			continue;
		memcpy(p->buf, raw, len + 1);
		p->ntok = 0;
		for (char *t = p->buf + (q - raw); *t;) {
			if (p->ntok == MAX_TOKENS)
				return fail(p, "more than %d words", MAX_TOKENS);
			p->rest[p->ntok] = raw + (t - p->buf);
			p->tok[p->ntok++] = t;
			while (*t && !isspace((unsigned char)*t))
				t++;
			if (*t)
				*t++ = '\0';
			while (isspace((unsigned char)*t))
				t++;
		}
		return 1;
	}
	return ferror(p->fp) ? -EIO : 0;
}

/* Keep token @p i as an expression after checking its syntax. */
static int expr_at(struct parser *p, unsigned i, const char *what, const char **out)
{
	uint64_t v;

	if (i >= p->ntok)
		return fail(p, "%s: missing %s", p->tok[0], what);
	if (sg_eval(p->tok[i], NULL, &v) < 0)
		return fail(p, "%s: bad %s '%s'", p->tok[0], what, p->tok[i]);
	*out = keep(p->s, p->tok[i], strlen(p->tok[i]));
	return *out ? 0 : -ENOMEM;
}

static int parse_sbdf(struct parser *p, const char *t, uint32_t *sbdf)
{
	unsigned seg = 0, bus, dev, fn;
	char tail;

	if (sscanf(t, "%x:%x:%x.%x%c", &seg, &bus, &dev, &fn, &tail) != 4) {
		seg = 0;
		if (sscanf(t, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return fail(p, "bad PCI address '%s' (want [SSSS:]BB:DD.F)", t);
	}
	if (seg > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return fail(p, "PCI address '%s' out of range", t);
	*sbdf = (seg << 16) | (bus << 8) | (dev << 3) | fn;
	return 0;
}

static int parse_space(struct parser *p, const char *t, enum ioreqd_space *space)
{
	if (!strcmp(t, "pio"))
		*space = IOREQD_SPACE_PIO;
	else if (!strcmp(t, "mmio"))
		*space = IOREQD_SPACE_MMIO;
	else if (!strcmp(t, "pci"))
		*space = IOREQD_SPACE_PCI;
	else
		return fail(p, "unknown space '%s' (pio, mmio or pci)", t);
	return 0;
}

/* Parse "NAME EXPR" option pairs from token @p i on, for the names listed. */
struct opt {
	const char *name;
	const char **slot;
};

static int parse_opts(struct parser *p, unsigned i, struct opt *opts)
{
	while (i < p->ntok) {
		struct opt *o = opts;
		int rc;

		while (o->name && strcmp(o->name, p->tok[i]))
			o++;
		if (!o->name)
			return fail(p, "%s: unexpected '%s'", p->tok[0], p->tok[i]);
		if (*o->slot)
			return fail(p, "%s: '%s' given twice", p->tok[0], o->name);
		rc = expr_at(p, i + 1, o->name, o->slot);
		if (rc < 0)
			return rc;
		i += 2;
	}
	return 0;
}

static int parse_io(struct parser *p, struct sg_cmd *c)
{
	unsigned i = 2;
	int rc;

	if (p->ntok < 2)
		return fail(p, "%s: want read or write", p->tok[0]);
	rc = parse_space(p, p->tok[0], &c->space);
	if (rc < 0)
		return rc;
	if (!strcmp(p->tok[1], "read"))
		c->op = SG_READ;
	else if (!strcmp(p->tok[1], "write"))
		c->op = SG_WRITE;
	else
		return fail(p, "%s: want read or write, not '%s'", p->tok[0], p->tok[1]);
	if (c->space == IOREQD_SPACE_PCI) {
		if (p->ntok < 3)
			return fail(p, "pci: missing PCI address");
		rc = parse_sbdf(p, p->tok[2], &c->sbdf);
		if (rc < 0)
			return rc;
		c->has_sbdf = true;
		i = 3;
	}
	rc = expr_at(p, i, c->has_sbdf ? "register" : "address", &c->addr);
	if (rc == 0)
		rc = expr_at(p, i + 1, "size", &c->size);
	if (rc < 0)
		return rc;
	if (c->op == SG_WRITE) {
		rc = expr_at(p, i + 2, "value", &c->value);
		if (rc == 0 && p->ntok > i + 3)
			rc = fail(p, "%s write: unexpected '%s'", p->tok[0],
			          p->tok[i + 3]);
		return rc;
	}
	return parse_opts(
	    p, i + 2,
	    (struct opt[]){{"expect", &c->expect}, {"mask", &c->mask}, {NULL, NULL}});
}

static int parse_rep(struct parser *p, struct sg_cmd *c)
{
	const char *pattern = NULL, *fill = NULL, *value = NULL;
	int rc;

	c->op = SG_REP;
	if (p->ntok < 6)
		return fail(
		    p, "rep: want rep pio|mmio read|write ADDR SIZE COUNT [options]");
	rc = parse_space(p, p->tok[1], &c->space);
	if (rc < 0)
		return rc;
	if (c->space == IOREQD_SPACE_PCI)
		return fail(p, "rep: PCI config space has no string I/O");
	if (strcmp(p->tok[2], "read") && strcmp(p->tok[2], "write"))
		return fail(p, "rep: want read or write, not '%s'", p->tok[2]);
	c->read = !strcmp(p->tok[2], "read");
	rc = expr_at(p, 3, "address", &c->addr);
	if (rc == 0)
		rc = expr_at(p, 4, "size", &c->size);
	if (rc == 0)
		rc = expr_at(p, 5, "count", &c->count);
	if (rc == 0 && c->read)
		rc = parse_opts(p, 6,
		                (struct opt[]){{"df", &c->df},
		                               {"buf", &c->buf},
		                               {"expect-pattern", &pattern},
		                               {"expect-fill", &fill},
		                               {NULL, NULL}});
	else if (rc == 0)
		rc = parse_opts(p, 6,
		                (struct opt[]){{"df", &c->df},
		                               {"buf", &c->buf},
		                               {"pattern", &pattern},
		                               {"fill", &fill},
		                               {"value", &value},
		                               {NULL, NULL}});
	if (rc < 0)
		return rc;
	if (!!pattern + !!fill + !!value > 1)
		return fail(p, "rep: give one of pattern, fill or value");
	if (!c->read && !pattern && !fill && !value)
		return fail(
		    p, "rep write: say what to write (pattern B, fill B or value V)");
	if (value && c->buf)
		return fail(p, "rep write: value (rep stos) uses no buffer");
	c->data = pattern ? SG_DATA_PATTERN
	          : fill  ? SG_DATA_FILL
	          : value ? SG_DATA_VALUE
	                  : SG_DATA_NONE;
	c->pattern = pattern ? pattern : fill ? fill : value;
	return 0;
}

static int parse_buf(struct parser *p, struct sg_cmd *c)
{
	int rc;

	c->op = SG_BUF;
	c->posted = -1;
	if (p->ntok < 6 || strcmp(p->tok[2], "write"))
		return fail(p,
		            "buf: want buf pio|mmio write ADDR SIZE VALUE [posted|sync]");
	rc = parse_space(p, p->tok[1], &c->space);
	if (rc < 0)
		return rc;
	if (c->space == IOREQD_SPACE_PCI)
		return fail(p, "buf: only port and MMIO writes are buffered");
	rc = expr_at(p, 3, "address", &c->addr);
	if (rc == 0)
		rc = expr_at(p, 4, "size", &c->size);
	if (rc == 0)
		rc = expr_at(p, 5, "value", &c->value);
	if (rc < 0)
		return rc;
	if (p->ntok == 7 && (!strcmp(p->tok[6], "posted") || !strcmp(p->tok[6], "sync")))
		c->posted = !strcmp(p->tok[6], "posted");
	else if (p->ntok > 6)
		return fail(p, "buf: unexpected '%s' (posted or sync)", p->tok[6]);
	return 0;
}

static int parse_sleep(struct parser *p, struct sg_cmd *c)
{
	static const struct {
		const char *suffix;
		const char *mul;
	} units[] = {{"us", "1"}, {"ms", "1000"}, {"s", "1000000"}};
	char num[64], expr[96];
	size_t len;
	const char *mul = "1000"; /* plain numbers are milliseconds */
	uint64_t v;

	c->op = SG_SLEEP;
	if (p->ntok != 2)
		return fail(p, "sleep: want sleep N[us|ms|s]");
	len = strlen(p->tok[1]);
	if (len >= sizeof(num))
		return fail(p, "sleep: '%s' too long", p->tok[1]);
	memcpy(num, p->tok[1], len + 1);
	for (unsigned u = 0; u < 3; u++) {
		size_t sl = strlen(units[u].suffix);

		if (len > sl && !strcmp(num + len - sl, units[u].suffix) &&
		    !isalpha((unsigned char)num[len - sl - 1])) {
			num[len - sl] = '\0';
			mul = units[u].mul;
			break;
		}
	}
	snprintf(expr, sizeof(expr), "(%s)*%s", num, mul);
	if (sg_eval(expr, NULL, &v) < 0)
		return fail(p, "sleep: bad duration '%s'", p->tok[1]);
	c->value = keep(p->s, expr, strlen(expr));
	return c->value ? 0 : -ENOMEM;
}

static int parse_block(struct parser *p, unsigned depth, bool in_parallel,
                       struct sg_cmd **cmds, unsigned *n);

/*
 * virtio attach DEV mmio ADDR irq IRQ [id ID] [queues N] [qsize S] [features F] [area
 * GPA] virtio attach DEV pci SBDF bar ADDR [msix 0|1] [id ID] [queues N] [qsize S]
 * [features F] [area GPA] virtio detach DEV virtio rng DEV read BYTES virtio blk DEV
 * write|read SECTOR COUNT [SEED] virtio blk DEV flush virtio console DEV write TEXT...
 * virtio console DEV read TEXT...
 */
static int parse_virtio(struct parser *p, bool in_parallel, struct sg_cmd *c)
{
	struct sg_virtio_args *v = &c->vio;
	const char *sub = p->ntok > 1 ? p->tok[1] : "";
	int rc;

	c->op = SG_VIRTIO;
	if (in_parallel)
		return fail(p, "virtio: not inside parallel (devices are shared)");
	if (!strcmp(sub, "attach"))
		v->op = SG_V_ATTACH;
	else if (!strcmp(sub, "detach"))
		v->op = SG_V_DETACH;
	else if (!strcmp(sub, "rng"))
		v->op = SG_V_RNG;
	else if (!strcmp(sub, "blk") && p->ntok > 3 && !strcmp(p->tok[3], "write"))
		v->op = SG_V_BLK_WRITE;
	else if (!strcmp(sub, "blk") && p->ntok > 3 && !strcmp(p->tok[3], "read"))
		v->op = SG_V_BLK_READ;
	else if (!strcmp(sub, "blk") && p->ntok > 3 && !strcmp(p->tok[3], "flush"))
		v->op = SG_V_BLK_FLUSH;
	else if (!strcmp(sub, "blk") && p->ntok > 4 && !strcmp(p->tok[3], "start") &&
	         (!strcmp(p->tok[4], "write") || !strcmp(p->tok[4], "read")))
		v->op = SG_V_BLK_START;
	else if (!strcmp(sub, "blk") && p->ntok > 3 && !strcmp(p->tok[3], "finish"))
		v->op = SG_V_BLK_FINISH;
	else if (!strcmp(sub, "console") && p->ntok > 4 && !strcmp(p->tok[3], "write"))
		v->op = SG_V_CONS_WRITE;
	else if (!strcmp(sub, "console") && p->ntok > 4 && !strcmp(p->tok[3], "read"))
		v->op = SG_V_CONS_READ;
	else if (!strcmp(sub, "blk"))
		return fail(
		    p, "virtio blk: want virtio blk DEV [start] write|read SECTOR COUNT "
		       "[SEED], virtio blk DEV flush or virtio blk DEV finish");
	else if (!strcmp(sub, "console"))
		return fail(p, "virtio console: want virtio console DEV write|read TEXT");
	else
		return fail(
		    p, "virtio: want attach, detach, rng, blk or console, not '%s'", sub);
	rc = expr_at(p, 2, "device number", &v->dev);
	if (rc < 0)
		return rc;
	switch (v->op) {
	case SG_V_ATTACH:
		if (p->ntok > 4 && !strcmp(p->tok[3], "pci")) {
			c->space = IOREQD_SPACE_PCI;
			rc = parse_sbdf(p, p->tok[4], &c->sbdf);
			c->has_sbdf = rc == 0;
			if (rc == 0)
				rc = parse_opts(p, 5,
				                (struct opt[]){{"bar", &v->bar},
				                               {"msix", &v->msix},
				                               {"id", &v->id},
				                               {"queues", &v->queues},
				                               {"qsize", &v->qsize},
				                               {"features", &v->features},
				                               {"area", &v->area},
				                               {NULL, NULL}});
			if (rc == 0 && !v->bar)
				rc = fail(p, "virtio attach: missing bar ADDR");
			return rc;
		}
		if (p->ntok < 4 || strcmp(p->tok[3], "mmio"))
			return fail(
			    p,
			    "virtio attach: want virtio attach DEV mmio ADDR irq IRQ ... "
			    "or virtio attach DEV pci SBDF bar ADDR ...");
		c->space = IOREQD_SPACE_MMIO;
		rc = expr_at(p, 4, "address", &c->addr);
		if (rc == 0)
			rc = parse_opts(p, 5,
			                (struct opt[]){{"irq", &v->irq},
			                               {"id", &v->id},
			                               {"queues", &v->queues},
			                               {"qsize", &v->qsize},
			                               {"features", &v->features},
			                               {"area", &v->area},
			                               {NULL, NULL}});
		if (rc == 0 && !v->irq)
			rc = fail(p, "virtio attach: missing irq IRQ");
		return rc;
	case SG_V_DETACH:
		return p->ntok > 3 ? fail(p, "virtio detach: unexpected '%s'", p->tok[3])
		                   : 0;
	case SG_V_RNG:
		if (p->ntok < 4 || strcmp(p->tok[3], "read"))
			return fail(p, "virtio rng: want virtio rng DEV read BYTES");
		rc = expr_at(p, 4, "byte count", &v->bytes);
		if (rc == 0 && p->ntok > 5)
			rc = fail(p, "virtio rng: unexpected '%s'", p->tok[5]);
		return rc;
	case SG_V_BLK_WRITE:
	case SG_V_BLK_READ:
		rc = expr_at(p, 4, "sector", &v->sector);
		if (rc == 0)
			rc = expr_at(p, 5, "sector count", &v->count);
		if (rc == 0 && p->ntok > 6)
			rc = expr_at(p, 6, "seed", &v->seed);
		else if (rc == 0 && v->op == SG_V_BLK_WRITE)
			v->seed = "0";
		if (rc == 0 && p->ntok > 7)
			rc = fail(p, "virtio blk: unexpected '%s'", p->tok[7]);
		return rc;
	case SG_V_BLK_FLUSH:
	case SG_V_BLK_FINISH:
		return p->ntok > 4 ? fail(p, "virtio blk %s: unexpected '%s'", p->tok[3],
		                          p->tok[4])
		                   : 0;
	case SG_V_BLK_START:
		v->start_write = !strcmp(p->tok[4], "write");
		rc = expr_at(p, 5, "sector", &v->sector);
		if (rc == 0)
			rc = expr_at(p, 6, "sector count", &v->count);
		if (rc == 0 && p->ntok > 7)
			rc = expr_at(p, 7, "seed", &v->seed);
		else if (rc == 0 && v->start_write)
			v->seed = "0";
		if (rc == 0 && p->ntok > 8)
			rc = fail(p, "virtio blk start: unexpected '%s'", p->tok[8]);
		return rc;
	case SG_V_CONS_WRITE:
	case SG_V_CONS_READ:
		c->text = keep(p->s, p->rest[4], strlen(p->rest[4]));
		return c->text ? 0 : -ENOMEM;
	}
	return 0;
}

/* Parse one command from the current line into @p c. */
static int parse_cmd(struct parser *p, unsigned depth, bool in_parallel, struct sg_cmd *c)
{
	const char *t = p->tok[0];
	int rc = 0;

	c->line = p->line;
	if (!strcmp(t, "print")) {
		c->op = SG_PRINT;
		c->text = keep(p->s, p->ntok > 1 ? p->rest[1] : "",
		               p->ntok > 1 ? strlen(p->rest[1]) : 0);
	} else if (!strcmp(t, "pio") || !strcmp(t, "mmio") || !strcmp(t, "pci")) {
		rc = parse_io(p, c);
	} else if (!strcmp(t, "rep")) {
		rc = parse_rep(p, c);
	} else if (!strcmp(t, "buf")) {
		rc = parse_buf(p, c);
	} else if (!strcmp(t, "drain")) {
		c->op = SG_DRAIN;
		rc = p->ntok > 1 ? expr_at(p, 1, "timeout", &c->value) : 0;
	} else if (!strcmp(t, "timeoffset")) {
		c->op = SG_TIMEOFFSET;
		rc = expr_at(p, 1, "offset", &c->value);
	} else if (!strcmp(t, "invalidate")) {
		c->op = SG_INVALIDATE;
	} else if (!strcmp(t, "wait-restart")) {
		c->op = SG_WAIT_RESTART;
		rc = p->ntok > 1 ? expr_at(p, 1, "timeout", &c->value) : 0;
	} else if (!strcmp(t, "sleep")) {
		rc = parse_sleep(p, c);
	} else if (!strcmp(t, "vcpu")) {
		c->op = SG_VCPU;
		rc = in_parallel
		         ? fail(p, "vcpu: not inside parallel (each thread has its own)")
		         : expr_at(p, 1, "vCPU", &c->value);
	} else if (!strcmp(t, "expect-irq")) {
		c->op = SG_EXPECT_IRQ;
		rc = expr_at(p, 1, "IRQ", &c->addr);
		if (rc == 0 && p->ntok < 3)
			rc = fail(p, "expect-irq: missing level (high or low)");
		if (rc == 0) {
			c->level =
			    !strcmp(p->tok[2], "high") || !strcmp(p->tok[2], "1")  ? 1
			    : !strcmp(p->tok[2], "low") || !strcmp(p->tok[2], "0") ? 0
			                                                           : -1;
			if (c->level < 0)
				rc = fail(p, "expect-irq: level '%s' (high or low)",
				          p->tok[2]);
		}
		if (rc == 0 && p->ntok > 3)
			rc = expr_at(p, 3, "timeout", &c->value);
	} else if (!strcmp(t, "expect-msi")) {
		c->op = SG_EXPECT_MSI;
		rc = expr_at(p, 1, "count", &c->count);
		if (rc == 0)
			rc = parse_opts(p, 2,
			                (struct opt[]){{"addr", &c->addr},
			                               {"data", &c->value},
			                               {NULL, NULL}});
	} else if (!strcmp(t, "expect-key")) {
		c->op = SG_EXPECT_KEY;
		if (p->ntok < 3)
			return fail(p, "expect-key: want expect-key KEY VALUE");
		c->text = keep(p->s, p->tok[1], strlen(p->tok[1]));
		c->text2 = keep(p->s, p->rest[2], strlen(p->rest[2]));
	} else if (!strcmp(t, "reg") || !strcmp(t, "expect-reg")) {
		int r = p->ntok == 3 ? reg_index(p->tok[1]) : -1;

		c->op = t[0] == 'r' ? SG_SET_REG : SG_EXPECT_REG;
		if (p->ntok != 3)
			return fail(p, "%s: want %s NAME VALUE", t, t);
		if (r < 0)
			return fail(p, "%s: unknown register '%s'", t, p->tok[1]);
		c->reg = (unsigned)r;
		rc = expr_at(p, 2, "value", &c->value);
	} else if (!strcmp(t, "repeat") || !strcmp(t, "parallel")) {
		bool par = t[0] == 'p';

		c->op = par ? SG_PARALLEL : SG_REPEAT;
		if (par && in_parallel)
			return fail(p, "parallel: cannot nest inside parallel");
		if (depth + 1 >= MAX_DEPTH)
			return fail(p, "%s: blocks nested too deep", t);
		rc = expr_at(p, 1, par ? "vCPU count" : "count", &c->count);
		if (rc == 0 && par && p->ntok > 2) {
			if (p->ntok != 4 || strcmp(p->tok[2], "repeat"))
				return fail(p, "parallel: want parallel N [repeat R]");
			rc = expr_at(p, 3, "repeat count", &c->reps);
		} else if (rc == 0 && p->ntok > 2) {
			return fail(p, "%s: unexpected '%s'", t, p->tok[2]);
		}
		if (rc == 0)
			rc = parse_block(p, depth + 1, in_parallel || par, &c->body,
			                 &c->nbody);
	} else if (!strcmp(t, "virtio")) {
		rc = parse_virtio(p, in_parallel, c);
	} else if (!strcmp(t, "end")) {
		return fail(p, "end without repeat or parallel");
	} else {
		return fail(p, "unknown command '%s'", t);
	}
	if (rc == 0 && c->op == SG_PRINT && !c->text)
		rc = -ENOMEM;
	if (rc == 0 &&
	    (c->op == SG_DRAIN || c->op == SG_TIMEOFFSET || c->op == SG_INVALIDATE ||
	     c->op == SG_VCPU || c->op == SG_WAIT_RESTART) &&
	    p->ntok > (c->op == SG_INVALIDATE ? 1u : 2u))
		rc = fail(p, "%s: unexpected '%s'", t,
		          p->tok[c->op == SG_INVALIDATE ? 1 : 2]);
	return rc;
}

/* Parse commands until "end" (depth > 0) or the end of the file (depth 0). */
static int parse_block(struct parser *p, unsigned depth, bool in_parallel,
                       struct sg_cmd **cmds, unsigned *n)
{
	unsigned cap = 0, opened = p->line;
	int rc;

	*cmds = NULL;
	*n = 0;
	while ((rc = next_line(p)) > 0) {
		if (!strcmp(p->tok[0], "end")) {
			if (depth == 0)
				return fail(p, "end without repeat or parallel");
			if (p->ntok > 1)
				return fail(p, "end: unexpected '%s'", p->tok[1]);
			return 0;
		}
		if (*n == cap) {
			struct sg_cmd *grown;

			cap = cap ? 2 * cap : 8;
			grown = realloc(*cmds, cap * sizeof(**cmds));
			if (!grown)
				return -ENOMEM;
			*cmds = grown;
		}
		memset(&(*cmds)[*n], 0, sizeof(**cmds));
		(*n)++;
		rc = parse_cmd(p, depth, in_parallel, &(*cmds)[*n - 1]);
		if (rc < 0)
			return rc;
	}
	if (rc == 0 && depth > 0) {
		p->line = opened;
		return fail(p, "block opened here has no end");
	}
	if (rc == -EIO)
		return fail(p, "read error");
	return rc;
}

int sg_parse(FILE *fp, const char *name, struct sg_script *out, char *err, size_t errlen)
{
	struct parser p = {
	    .fp = fp, .name = name, .s = out, .err = err, .errlen = errlen};
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	rc = parse_block(&p, 0, false, &out->cmds, &out->n);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (rc < 0)
		sg_free(out);
	return rc;
}
