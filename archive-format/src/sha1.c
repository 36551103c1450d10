/*
 * sha1.c: SHA-1 (FIPS 180-4), for git's object ids and pack checksums.
 *
 * Plain C with the 80 rounds unrolled and a 16-word rolling message
 * schedule; no table, no assembly. Big-endian loads and stores go through
 * bytes so that alignment and host byte order do not matter.
 */
#include <string.h>

#include "sha1.h"

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

#define F1(b, c, d) (((b) & ((c) ^ (d))) ^ (d))
#define F2(b, c, d) ((b) ^ (c) ^ (d))
#define F3(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))
#define F4(b, c, d) ((b) ^ (c) ^ (d))

#define K1 0x5A827999u
#define K2 0x6ED9EBA1u
#define K3 0x8F1BBCDCu
#define K4 0xCA62C1D6u

/* w[i & 15] becomes W[i] for rounds 16..79 */
#define W(i)                                                                                       \
	(w[(i)&15] = ROL(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i)&15], 1))

/* one round; the callers rotate the roles of a..e instead of moving values */
#define R0(a, b, c, d, e, i)                                                                       \
	do {                                                                                       \
		e += ROL(a, 5) + F1(b, c, d) + K1 + w[i];                                          \
		b = ROL(b, 30);                                                                    \
	} while (0)
#define R1(a, b, c, d, e, i)                                                                       \
	do {                                                                                       \
		e += ROL(a, 5) + F1(b, c, d) + K1 + W(i);                                          \
		b = ROL(b, 30);                                                                    \
	} while (0)
#define R2(a, b, c, d, e, i)                                                                       \
	do {                                                                                       \
		e += ROL(a, 5) + F2(b, c, d) + K2 + W(i);                                          \
		b = ROL(b, 30);                                                                    \
	} while (0)
#define R3(a, b, c, d, e, i)                                                                       \
	do {                                                                                       \
		e += ROL(a, 5) + F3(b, c, d) + K3 + W(i);                                          \
		b = ROL(b, 30);                                                                    \
	} while (0)
#define R4(a, b, c, d, e, i)                                                                       \
	do {                                                                                       \
		e += ROL(a, 5) + F4(b, c, d) + K4 + W(i);                                          \
		b = ROL(b, 30);                                                                    \
	} while (0)

#define FIVE(R, i)                                                                                 \
	do {                                                                                       \
		R(a, b, c, d, e, (i));                                                             \
		R(e, a, b, c, d, (i) + 1);                                                         \
		R(d, e, a, b, c, (i) + 2);                                                         \
		R(c, d, e, a, b, (i) + 3);                                                         \
		R(b, c, d, e, a, (i) + 4);                                                         \
	} while (0)

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Process nblocks whole 64-byte blocks. */
static void compress(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
	uint32_t w[16];
	int i;

	while (nblocks-- > 0) {
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

		for (i = 0; i < 16; i++)
			w[i] = load_be32(p + 4 * i);

		FIVE(R0, 0);
		FIVE(R0, 5);
		FIVE(R0, 10);
		R0(a, b, c, d, e, 15);
		R1(e, a, b, c, d, 16);
		R1(d, e, a, b, c, 17);
		R1(c, d, e, a, b, 18);
		R1(b, c, d, e, a, 19);

		FIVE(R2, 20);
		FIVE(R2, 25);
		FIVE(R2, 30);
		FIVE(R2, 35);

		FIVE(R3, 40);
		FIVE(R3, 45);
		FIVE(R3, 50);
		FIVE(R3, 55);

		FIVE(R4, 60);
		FIVE(R4, 65);
		FIVE(R4, 70);
		FIVE(R4, 75);

		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
		h[4] += e;
		p += 64;
	}
}

void svd_sha1_init(svd_sha1 *c)
{
	c->h[0] = 0x67452301u;
	c->h[1] = 0xEFCDAB89u;
	c->h[2] = 0x98BADCFEu;
	c->h[3] = 0x10325476u;
	c->h[4] = 0xC3D2E1F0u;
	c->len = 0;
	c->used = 0;
}

void svd_sha1_update(svd_sha1 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return;
	c->len += len;
	if (c->used > 0) {
		size_t take = 64 - c->used;

		if (take > len)
			take = len;
		memcpy(c->buf + c->used, p, take);
		c->used += take;
		p += take;
		len -= take;
		if (c->used < 64)
			return;
		compress(c->h, c->buf, 1);
		c->used = 0;
	}
	/* whole blocks straight from the caller's memory, no copy */
	if (len >= 64) {
		compress(c->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len > 0) {
		memcpy(c->buf, p, len);
		c->used = len;
	}
}

void svd_sha1_final(svd_sha1 *c, uint8_t out[20])
{
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->used++] = 0x80;
	if (c->used > 56) {
		memset(c->buf + c->used, 0, 64 - c->used);
		compress(c->h, c->buf, 1);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, 56 - c->used);
	store_be32(c->buf + 56, (uint32_t)(bits >> 32));
	store_be32(c->buf + 60, (uint32_t)bits);
	compress(c->h, c->buf, 1);
	for (i = 0; i < 5; i++)
		store_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}
