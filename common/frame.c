/*
 * Native-protocol framing; see frame.h.  The decoder copies a payload only
 * when it arrives in more than one piece; a payload that lies whole inside
 * the caller's input is handed out in place.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/frame.h"

static size_t frame_clamp(size_t max)
{
	return max > FRAME_MAX_LIMIT ? FRAME_MAX_LIMIT : max;
}

void frame_decoder_init(struct frame_decoder *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = frame_clamp(max);
}

void frame_decoder_set_max(struct frame_decoder *d, size_t max)
{
	d->max = frame_clamp(max);
}

void frame_decoder_clear(struct frame_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->have = 0;
}

int frame_decoder_busy(const struct frame_decoder *d)
{
	return d->hdr_have || d->in_payload || d->skip;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

enum frame_status frame_decode(struct frame_decoder *d, const void *in, size_t len, size_t *used,
			       struct frame *out)
{
	const unsigned char *p = in;
	size_t off = 0, n;
	enum frame_status st = FRAME_MORE;

	/* The payload handed out by the previous call is no longer needed. */
	if (!d->in_payload && d->buf)
		frame_decoder_clear(d);

	for (;;) {
		if (!d->in_payload) {
			n = min_size(d->skip, len - off);
			off += n;
			d->skip -= n;
			if (d->skip)
				break;
			while (d->hdr_have < FRAME_HEADER_LEN && off < len)
				d->hdr[d->hdr_have++] = p[off++];
			if (d->hdr_have < FRAME_HEADER_LEN)
				break;
			d->want = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
				  (uint32_t)d->hdr[2] << 8 | d->hdr[3];
			d->hdr_have = 0;
			d->have = 0;
			d->prefix_have = 0;
			d->oversize = d->want > d->max;
			d->in_payload = 1;
		}
		if (d->oversize) {
			size_t plen = min_size(d->want, FRAME_PREFIX_LEN);

			n = min_size(plen - d->prefix_have, len - off);
			memcpy(d->prefix + d->prefix_have, p + off, n);
			d->prefix_have += n;
			off += n;
			if (d->prefix_have < plen)
				break;
			d->in_payload = 0;
			d->skip = d->want - plen;
			out->data = d->prefix;
			out->len = plen;
			out->declared = d->want;
			st = FRAME_OVERSIZE;
			break;
		}
		if (!d->buf && len - off >= d->want) {
			out->data = d->want ? p + off : (const unsigned char *)"";
			out->len = d->want;
			out->declared = d->want;
			off += d->want;
			d->in_payload = 0;
			st = FRAME_READY;
			break;
		}
		if (!d->buf) {
			d->buf = malloc(d->want);
			if (!d->buf) {
				st = FRAME_ENOMEM;
				break;
			}
		}
		n = min_size(d->want - d->have, len - off);
		memcpy(d->buf + d->have, p + off, n);
		d->have += n;
		off += n;
		if (d->have < d->want)
			break;
		d->in_payload = 0;
		out->data = d->buf;
		out->len = d->want;
		out->declared = d->want;
		st = FRAME_READY;
		break;
	}
	*used = off;
	return st;
}

void frame_put_header(unsigned char out[FRAME_HEADER_LEN], uint32_t len)
{
	out[0] = (unsigned char)(len >> 24);
	out[1] = (unsigned char)(len >> 16);
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
}

long frame_begin(msgpack_sbuffer *sb)
{
	static const char zero[FRAME_HEADER_LEN];
	long start = (long)sb->size;

	if (msgpack_sbuffer_write(sb, zero, sizeof(zero)) < 0)
		return -ENOMEM;
	return start;
}

int frame_end(msgpack_sbuffer *sb, long start, size_t max)
{
	size_t len = sb->size - (size_t)start - FRAME_HEADER_LEN;

	if (len > frame_clamp(max) || len > UINT32_MAX) {
		sb->size = (size_t)start;
		return -EMSGSIZE;
	}
	frame_put_header((unsigned char *)sb->data + start, (uint32_t)len);
	return 0;
}
