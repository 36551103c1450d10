/*
 * sha256.c: SHA-256 (FIPS 180-4) with the x86 SHA extensions, or libsodium's.
 *
 * The compression function keeps the state as the two vectors the
 * instructions take, ABEF and CDGH; each group of four rounds adds the
 * round constants to four schedule words and runs sha256rnds2 twice. The
 * schedule for rounds 16..63 comes from sha256msg1 and sha256msg2 over the
 * previous four groups (FIPS 180-4, 6.2.2 step 1, four words at a time).
 */
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SVD_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#ifdef SVD_SHA_NI
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* nblocks blocks of 64 bytes at p into the state h[8] */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t h[8], const uint8_t *p,
                                                                  size_t nblocks)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
	__m128i abef, cdgh, t, abef0, cdgh0, m[4], k;
	int i;

	/* h[0..3] is DCBA from the high lane down, h[4..7] HGFE */
	t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);    /* CDAB */
	cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B); /* EFGH */
	abef = _mm_alignr_epi8(t, cdgh, 8);
	cdgh = _mm_blend_epi16(cdgh, t, 0xF0);

	for (; nblocks > 0; nblocks--, p += 64) {
		abef0 = abef;
		cdgh0 = cdgh;
#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			if (i < 4) {
				m[i] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
			} else {
				__m128i w = _mm_sha256msg1_epu32(m[i & 3], m[(i + 1) & 3]);
				w = _mm_add_epi32(
				    w, _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
				m[i & 3] = _mm_sha256msg2_epu32(w, m[(i + 3) & 3]);
			}
			k = _mm_add_epi32(m[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k, 0x0E));
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	t = _mm_shuffle_epi32(abef, 0x1B);                                  /* FEBA */
	cdgh = _mm_shuffle_epi32(cdgh, 0xB1);                               /* DCHG */
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(t, cdgh, 0xF0)); /* DCBA */
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(cdgh, t, 8));    /* HGFE */
}

static void ni_init(svd_sha256 *c)
{
	memcpy(c->u.ni.h, H0, sizeof(H0));
	c->u.ni.len = 0;
	c->u.ni.used = 0;
}

static void ni_update(svd_sha256 *c, const uint8_t *p, size_t len)
{
	size_t take;

	if (len == 0)
		return;
	c->u.ni.len += len;
	if (c->u.ni.used) {
		take = 64 - c->u.ni.used;
		if (take > len)
			take = len;
		memcpy(c->u.ni.buf + c->u.ni.used, p, take);
		c->u.ni.used += take;
		p += take;
		len -= take;
		if (c->u.ni.used < 64)
			return;
		blocks_ni(c->u.ni.h, c->u.ni.buf, 1);
		c->u.ni.used = 0;
	}
	if (len >= 64) {
		blocks_ni(c->u.ni.h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	memcpy(c->u.ni.buf, p, len);
	c->u.ni.used = len;
}

static void ni_final(svd_sha256 *c, uint8_t out[SVD_SHA256_BYTES])
{
	uint64_t bits = c->u.ni.len * 8;
	size_t used = c->u.ni.used;
	int i;

	c->u.ni.buf[used++] = 0x80;
	if (used > 56) {
		memset(c->u.ni.buf + used, 0, 64 - used);
		blocks_ni(c->u.ni.h, c->u.ni.buf, 1);
		used = 0;
	}
	memset(c->u.ni.buf + used, 0, 56 - used);
	for (i = 0; i < 8; i++)
		c->u.ni.buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks_ni(c->u.ni.h, c->u.ni.buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->u.ni.h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->u.ni.h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->u.ni.h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->u.ni.h[i];
	}
	sodium_memzero(c, sizeof(*c));
}

/* CPUID.(EAX=7,ECX=0):EBX bit 29 (SHA); SSSE3 and SSE4.1 in CPUID.1:ECX */
static int cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 29) & 1;
}
#endif /* SVD_SHA_NI */

static int use_ni;
static pthread_once_t choose_once = PTHREAD_ONCE_INIT;

/*
 * The extensions are used only when the processor has them and they give
 * libsodium's digests for a few inputs that cover the padding cases.
 */
static void choose(void)
{
#ifdef SVD_SHA_NI
	static const size_t lens[] = {0, 3, 55, 56, 64, 119, 200};
	uint8_t data[200], a[SVD_SHA256_BYTES], b[SVD_SHA256_BYTES];
	const char *env = getenv("SVD_SHA256");
	svd_sha256 c;
	size_t i;

	if ((env && strcmp(env, "libsodium") == 0) || !cpu_has_sha())
		return;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		crypto_hash_sha256(a, data, lens[i]);
		ni_init(&c);
		ni_update(&c, data, lens[i]);
		ni_final(&c, b);
		if (memcmp(a, b, sizeof(a)) != 0)
			return;
	}
	use_ni = 1;
#endif
}

int svd_sha256_accelerated(void)
{
	pthread_once(&choose_once, choose);
	return use_ni;
}

void svd_sha256_init_impl(svd_sha256 *c, int ni)
{
	c->ni = ni;
#ifdef SVD_SHA_NI
	if (ni) {
		ni_init(c);
		return;
	}
#endif
	c->ni = 0;
	crypto_hash_sha256_init(&c->u.lib);
}

void svd_sha256_init(svd_sha256 *c)
{
	svd_sha256_init_impl(c, svd_sha256_accelerated());
}

void svd_sha256_update(svd_sha256 *c, const void *data, size_t len)
{
#ifdef SVD_SHA_NI
	if (c->ni) {
		ni_update(c, data, len);
		return;
	}
#endif
	crypto_hash_sha256_update(&c->u.lib, data, len);
}

void svd_sha256_final(svd_sha256 *c, uint8_t out[SVD_SHA256_BYTES])
{
#ifdef SVD_SHA_NI
	if (c->ni) {
		ni_final(c, out);
		return;
	}
#endif
	crypto_hash_sha256_final(&c->u.lib, out);
}

void svd_sha256_once(uint8_t out[SVD_SHA256_BYTES], const void *data, size_t len)
{
	svd_sha256 c;

	svd_sha256_init(&c);
	svd_sha256_update(&c, data, len);
	svd_sha256_final(&c, out);
}
