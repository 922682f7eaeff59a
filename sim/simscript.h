/* SPDX-License-Identifier: MIT */
/*
 * The simguest script language: parsed once, up front, into a tree of
 * commands, so a typo is reported with its line before the guest does any
 * I/O.  Numbers stay expressions (text) because they may use the per-thread
 * variables $vcpu and $i; they are syntax-checked at parse time and evaluated
 * each time a command runs.  The language is described in sim/README-script.md.
 */
#ifndef IOREQD_SIMSCRIPT_H
#define IOREQD_SIMSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ioreqd/fault.h>

enum sg_op {
	SG_PRINT = 0,  /* text */
	SG_READ,       /* space, [sbdf], addr, size, [expect], [mask] */
	SG_WRITE,      /* space, [sbdf], addr, size, value */
	SG_REP,        /* space, read, addr, size, count, df, buf, fill/pattern/value */
	SG_BUF,        /* space, addr, size, value, posted */
	SG_DRAIN,      /* [value = timeout ms] */
	SG_TIMEOFFSET, /* value */
	SG_INVALIDATE,
	SG_SLEEP,        /* value = microseconds */
	SG_VCPU,         /* value */
	SG_EXPECT_IRQ,   /* addr = irq, level, [value = timeout ms] */
	SG_EXPECT_MSI,   /* count, [addr], [value = data] */
	SG_EXPECT_KEY,   /* text = key, text2 = value */
	SG_SET_REG,      /* reg, value */
	SG_EXPECT_REG,   /* reg, value */
	SG_REPEAT,       /* count, body */
	SG_PARALLEL,     /* count = vCPUs, reps = repetitions, body */
	SG_VIRTIO,       /* vio: a virtio command (see sim/simvirtio.h) */
	SG_WAIT_RESTART, /* [value = timeout ms] */
};

/* The virtio commands (`virtio SUBCOMMAND DEV ...`). */
enum sg_vop {
	SG_V_ATTACH =
	    0, /* space (transport), addr, vio.irq, id, queues, qsize, features, area */
	SG_V_DETACH,
	SG_V_RNG,       /* vio.bytes */
	SG_V_BLK_WRITE, /* vio.sector, count, seed */
	SG_V_BLK_READ,  /* vio.sector, count, seed (NULL: no data check) */
	SG_V_BLK_FLUSH,
	SG_V_BLK_START, /* vio.sector, count, seed; vio.start_write */
	SG_V_BLK_FINISH,
	SG_V_CONS_WRITE, /* text */
	SG_V_CONS_READ,  /* text: what must arrive */
};

/* The arguments of a virtio command: expressions (text), NULL when absent. */
struct sg_virtio_args {
	enum sg_vop op;
	const char *dev; /* the device slot */
	const char *irq, *id, *queues, *qsize, *features, *area;
	const char *bar, *msix; /* pci (space PCI, the function in sbdf) */
	const char *bytes;
	const char *sector, *count, *seed;
	bool start_write; /* SG_V_BLK_START: a write (else a read) */
};

/* What a rep access moves, or what a rep read must have left in the buffer. */
enum sg_data {
	SG_DATA_NONE = 0,
	SG_DATA_PATTERN, /* bytes B, B+1, B+2, ... in memory order */
	SG_DATA_FILL,    /* every byte B */
	SG_DATA_VALUE,   /* rep stos: every element writes the value, no buffer */
};

/* The values expressions may use. */
struct sg_vars {
	uint64_t vcpu; /* $vcpu */
	uint64_t i;    /* $i: the iteration of the innermost repeat */
};

struct sg_cmd {
	enum sg_op op;
	unsigned line;
	enum ioreqd_space space;
	bool read;     /* SG_REP */
	bool has_sbdf; /* PCI: sbdf is set; addr is the register */
	uint32_t sbdf;
	int level;         /* SG_EXPECT_IRQ: 0 or 1 */
	int posted;        /* SG_BUF: -1 either way, 0 must be synchronous, 1 posted */
	unsigned reg;      /* SG_SET_REG/SG_EXPECT_REG: index into sg_regs */
	enum sg_data data; /* SG_REP */
	/* Expressions (text); NULL when absent. */
	const char *addr, *size, *count, *value, *expect, *mask, *df, *buf, *pattern,
	    *reps;
	const char *text, *text2;
	struct sg_virtio_args vio; /* SG_VIRTIO */
	struct sg_cmd *body;       /* SG_REPEAT, SG_PARALLEL */
	unsigned nbody;
};

struct sg_script {
	struct sg_cmd *cmds;
	unsigned n;
	struct sg_chunk *strings; /* every string of the script */
};

/** A register a script can name: its offset and width in struct ioreqd_vcpu_regs. */
struct sg_reg {
	const char *name;
	size_t off;
	unsigned width; /* 2 (selector) or 8 */
};
extern const struct sg_reg sg_regs[];

/**
 * Parse a script.
 * @param name  used in error messages ("FILE:LINE: ...").
 * @return 0, or -EINVAL with a message in @p err.
 */
int sg_parse(FILE *fp, const char *name, struct sg_script *out, char *err, size_t errlen);
void sg_free(struct sg_script *s);

/**
 * Evaluate an integer expression: decimal, 0x hex or 'c' numbers, $vcpu,
 * $i, unary -, ~, and binary * / % + - << >> & ^ | with C precedence and
 * parentheses; no spaces.  Arithmetic is modulo 2^64.
 * @return 0, or -EINVAL (syntax, division by zero).
 */
int sg_eval(const char *expr, const struct sg_vars *vars, uint64_t *out);

/** @return the SG_* name of an op, for messages. */
const char *sg_op_name(enum sg_op op);

#endif /* IOREQD_SIMSCRIPT_H */
