/* SPDX-License-Identifier: MIT */
/*
 * The access trace file format (see trace.h): encoding, a validating decoder
 * and reader, and a buffered writer.  Traces come from disk and may be cut
 * short, corrupted or hand-made, and ioreqd-replay feeds what it reads into
 * the engine, so the decoder accepts only records the engine could have
 * produced: known spaces, sizes of 1, 2, 4 or 8, data that fits the size,
 * ports inside 0..0xffff, and times that never go backwards.
 */
#include <ioreqd/trace.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ioreqd_trace_writer {
	FILE *fp;
	uint64_t count;
	uint64_t last_ns;
	bool failed;
};

static const char *const result_names[IOREQD_TRACE_RES_COUNT] = {
    "unknown", "handled", "deferred", "error", "unhandled",
};

const char *ioreqd_trace_result_name(unsigned result)
{
	return result < IOREQD_TRACE_RES_COUNT ? result_names[result] : "?";
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void ioreqd_trace_encode_header(const struct ioreqd_trace_header *h, uint8_t *out)
{
	memset(out, 0, IOREQD_TRACE_HDR_SIZE);
	memcpy(out, IOREQD_TRACE_MAGIC, 8);
	put16(out + 8, IOREQD_TRACE_VERSION);
	put16(out + 10, IOREQD_TRACE_HDR_SIZE);
	put16(out + 12, IOREQD_TRACE_REC_SIZE);
	put32(out + 16, h->domid);
	put64(out + 24, h->start_ns);
}

void ioreqd_trace_encode_rec(const struct ioreqd_trace_rec *r, uint8_t *out)
{
	put64(out, r->t_ns);
	put64(out + 8, r->addr);
	put64(out + 16, r->data);
	put16(out + 24, r->vcpu);
	out[26] = r->space;
	out[27] = r->size;
	out[28] = r->is_read;
	out[29] = r->result;
	put16(out + 30, r->flags);
}

int ioreqd_trace_decode_header(const uint8_t *buf, size_t len,
                               struct ioreqd_trace_header *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (len < IOREQD_TRACE_HDR_SIZE) {
		*why = "shorter than a trace header";
		return -EBADMSG;
	}
	if (memcmp(buf, IOREQD_TRACE_MAGIC, 8) != 0) {
		*why = "not a trace (bad magic)";
		return -EBADMSG;
	}
	if (get16(buf + 8) != IOREQD_TRACE_VERSION) {
		*why = "unsupported trace version";
		return -EPROTONOSUPPORT;
	}
	if (get16(buf + 10) != IOREQD_TRACE_HDR_SIZE ||
	    get16(buf + 12) != IOREQD_TRACE_REC_SIZE) {
		*why = "bad header or record size";
		return -EBADMSG;
	}
	if (get16(buf + 14) != 0 || get32(buf + 20) != 0) {
		*why = "reserved header field not zero";
		return -EBADMSG;
	}
	h->domid = get32(buf + 16);
	h->start_ns = get64(buf + 24);
	return 0;
}

int ioreqd_trace_decode_rec(const uint8_t *buf, size_t len, struct ioreqd_trace_rec *r,
                            const char **why)
{
	uint64_t mask;

	memset(r, 0, sizeof(*r));
	*why = NULL;
	if (len < IOREQD_TRACE_REC_SIZE) {
		*why = "truncated record";
		return -EBADMSG;
	}
	r->t_ns = get64(buf);
	r->addr = get64(buf + 8);
	r->data = get64(buf + 16);
	r->vcpu = get16(buf + 24);
	r->space = buf[26];
	r->size = buf[27];
	r->is_read = buf[28];
	r->result = buf[29];
	r->flags = get16(buf + 30);
	if (r->space >= IOREQD_SPACE_COUNT)
		*why = "unknown address space";
	else if (r->size != 1 && r->size != 2 && r->size != 4 && r->size != 8)
		*why = "size not 1, 2, 4 or 8";
	else if (r->is_read > 1)
		*why = "direction not 0 or 1";
	else if (r->result >= IOREQD_TRACE_RES_COUNT)
		*why = "unknown result";
	else if (r->flags & ~IOREQD_TRACE_F_ALL)
		*why = "unknown flags";
	else if (!r->is_read && !(r->flags & IOREQD_TRACE_F_DATA_VALID))
		*why = "write without data";
	else if (r->vcpu == IOREQD_TRACE_VCPU_POSTED && r->is_read)
		*why = "posted read";
	else if (r->vcpu != IOREQD_TRACE_VCPU_POSTED && r->vcpu >= 128)
		*why = "vCPU out of range";
	else if (r->space == IOREQD_SPACE_PIO &&
	         (r->addr > 0xffff || r->addr + r->size > 0x10000))
		*why = "port access past 0xffff";
	else if (r->space == IOREQD_SPACE_PIO && r->size == 8)
		*why = "8-byte port access";
	else if (r->space == IOREQD_SPACE_PCI &&
	         (r->addr & 0xffffffffull) + r->size > 0x1000)
		*why = "PCI config access past 4 KiB";
	else if (r->space == IOREQD_SPACE_MMIO && r->addr + (r->size - 1) < r->addr)
		*why = "MMIO access wraps";
	if (*why)
		return -EBADMSG;
	mask = r->size == 8 ? ~0ull : (1ull << (8 * r->size)) - 1;
	if (r->data & ~mask) {
		*why = "data wider than the access";
		return -EBADMSG;
	}
	return 0;
}

int ioreqd_trace_reader_init(struct ioreqd_trace_reader *rd, const uint8_t *buf,
                             size_t len, const char **why)
{
	int rc;

	memset(rd, 0, sizeof(*rd));
	rc = ioreqd_trace_decode_header(buf, len, &rd->hdr, why);
	if (rc < 0)
		return rc;
	rd->buf = buf;
	rd->len = len;
	rd->pos = IOREQD_TRACE_HDR_SIZE;
	return 0;
}

int ioreqd_trace_next(struct ioreqd_trace_reader *rd, struct ioreqd_trace_rec *r,
                      const char **why)
{
	int rc;

	*why = NULL;
	memset(r, 0, sizeof(*r));
	if (!rd->buf || rd->pos >= rd->len)
		return 0;
	rc = ioreqd_trace_decode_rec(rd->buf + rd->pos, rd->len - rd->pos, r, why);
	if (rc < 0)
		return rc;
	if (r->t_ns < rd->last_ns) {
		*why = "time goes backwards";
		return -EBADMSG;
	}
	rd->last_ns = r->t_ns;
	rd->pos += IOREQD_TRACE_REC_SIZE;
	rd->index++;
	return 1;
}

struct ioreqd_trace_writer *ioreqd_trace_writer_new(FILE *fp,
                                                    const struct ioreqd_trace_header *h)
{
	struct ioreqd_trace_writer *w = NULL;
	uint8_t hdr[IOREQD_TRACE_HDR_SIZE];
	int saved;

	if (!fp) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out;
	ioreqd_trace_encode_header(h, hdr);
	if (fwrite(hdr, sizeof(hdr), 1, fp) != 1) {
		errno = EIO;
		goto out;
	}
	w->fp = fp;
	return w;
out:
	saved = errno;
	free(w);
	fclose(fp);
	errno = saved;
	return NULL;
}

int ioreqd_trace_writer_add(struct ioreqd_trace_writer *w,
                            const struct ioreqd_trace_rec *r)
{
	struct ioreqd_trace_rec c = *r;
	uint8_t buf[IOREQD_TRACE_REC_SIZE];

	if (w->failed)
		return -EIO;
	/* Readers reject time going backwards; keep the promise here. */
	if (c.t_ns < w->last_ns)
		c.t_ns = w->last_ns;
	w->last_ns = c.t_ns;
	ioreqd_trace_encode_rec(&c, buf);
	if (fwrite(buf, sizeof(buf), 1, w->fp) != 1) {
		w->failed = true;
		return -EIO;
	}
	w->count++;
	return 0;
}

int ioreqd_trace_writer_flush(struct ioreqd_trace_writer *w)
{
	if (w->failed || fflush(w->fp) != 0) {
		w->failed = true;
		return -EIO;
	}
	return 0;
}

uint64_t ioreqd_trace_writer_count(const struct ioreqd_trace_writer *w)
{
	return w->count;
}

int ioreqd_trace_writer_free(struct ioreqd_trace_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = ioreqd_trace_writer_flush(w);
	if (fclose(w->fp) != 0)
		rc = -EIO;
	free(w);
	return rc;
}
