/*
 * Framing of the native protocol, shared by heraldd and libherald: each frame
 * is a 4-byte big-endian payload length followed by the payload (one msgpack
 * map; see common/mpjson.h for its contents).
 *
 * The decoder is incremental: feed it bytes as they arrive, in pieces of any
 * size, and it hands out complete payloads one at a time.  Memory is bounded
 * by the configured maximum: a frame whose declared length exceeds it is
 * reported as FRAME_OVERSIZE (with its declared length and its first few
 * bytes, so that the receiver can answer it) and its payload is then skipped
 * without being buffered.  A declared length of 0 is delivered as an empty
 * payload, which the receiver rejects as it would any malformed request.
 *
 * Not thread-safe; one decoder per connection.
 */
#ifndef HERALD_COMMON_FRAME_H
#define HERALD_COMMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define FRAME_HEADER_LEN 4
/* The largest limit any side may configure; larger settings are clamped to it. */
#define FRAME_MAX_LIMIT (64u << 20)
/* How many leading bytes of an oversize frame the decoder keeps for the receiver. */
#define FRAME_PREFIX_LEN 16

enum frame_status {
	FRAME_MORE = 0,	    /* every byte given was consumed; feed more */
	FRAME_READY = 1,    /* a complete payload is in the frame */
	FRAME_OVERSIZE = 2, /* a frame over the maximum: its length and prefix are in the frame */
	FRAME_ENOMEM = -1,  /* could not allocate the payload buffer */
};

struct frame {
	/*
	 * READY: the payload; OVERSIZE: its first min(FRAME_PREFIX_LEN, declared)
	 * bytes.  Borrowed: valid until the next call on the decoder or until the
	 * caller's input buffer changes (it may point into that buffer).
	 */
	const unsigned char *data;
	size_t len;	   /* bytes at data */
	uint32_t declared; /* the length the header announced */
};

struct frame_decoder {
	size_t max; /* largest payload accepted */
	unsigned char hdr[FRAME_HEADER_LEN];
	size_t hdr_have;
	uint32_t want;	    /* payload length of the frame being read */
	unsigned char *buf; /* payload being assembled across feeds (malloc'd) */
	size_t have;
	unsigned char prefix[FRAME_PREFIX_LEN];
	size_t prefix_have;
	size_t skip;	/* bytes of an oversize frame still to discard */
	int in_payload; /* header complete, payload (or its prefix) pending */
	int oversize;	/* the current frame is over max */
};

/* Initialise with a maximum payload size (clamped to FRAME_MAX_LIMIT). */
void frame_decoder_init(struct frame_decoder *d, size_t max);
/* Change the maximum; it applies from the next frame header. */
void frame_decoder_set_max(struct frame_decoder *d, size_t max);
/* Free the buffer; the decoder may be initialised again. */
void frame_decoder_clear(struct frame_decoder *d);
/* True while a frame is partly read (between frames the stream is at a boundary). */
int frame_decoder_busy(const struct frame_decoder *d);

/*
 * Consume bytes from in (len bytes) until one event happens.  *used receives
 * how many bytes were consumed (the rest must be given again).  Returns
 * FRAME_MORE when everything was consumed without completing a frame,
 * FRAME_READY or FRAME_OVERSIZE with *out filled, or FRAME_ENOMEM.
 */
enum frame_status frame_decode(struct frame_decoder *d, const void *in, size_t len, size_t *used,
			       struct frame *out);

/* Write len as the 4-byte header at out. */
void frame_put_header(unsigned char out[FRAME_HEADER_LEN], uint32_t len);

/*
 * Encoding into a msgpack_sbuffer: frame_begin() reserves the header and
 * returns the offset to give frame_end(), the caller packs one object, and
 * frame_end() writes the header.  frame_end() returns 0, or -EMSGSIZE when
 * the payload is longer than max (the sbuffer is then cut back to where the
 * frame began).  frame_begin() returns -ENOMEM on allocation failure.
 */
long frame_begin(msgpack_sbuffer *sb);
int frame_end(msgpack_sbuffer *sb, long start, size_t max);

#endif
