/*
 * seal.c: sealed files (SPEC.md, 12) — the key ring that opens them, the
 * sealer that writes one chunk at a time, and the unsealer that finds its
 * slot by trying every key it holds and then reads any plaintext range,
 * a damaged chunk as zeros. The key files are seal_key.c's.
 *
 * A file of T bytes with n slots:
 *
 *   [0, n*88)                 head: n slots (the passphrase's first)
 *   [n*88, ...)               chunks: 65536 plaintext bytes + 16 each, the last shorter
 *   ...                       random padding up to T = padme(2*n*88 + L + 16*chunks)
 *   [T - n*88, T)             tail: the same slots sealed again, in reverse order
 *
 * slot = nonce[24] || XChaCha20-Poly1305(slot key, nonce) of
 *        file key[32] | kind | n | 6 zero bytes | L (LE64)
 * chunk k = ChaCha20-Poly1305-IETF(file key, nonce LE64(k) || 0000)
 *
 * Nothing in a file is a public key, a length or a constant: every byte is
 * a nonce, a ciphertext or random padding. Every secret (own secret keys,
 * pair keys, passphrases, file keys, plaintext chunks) is in sodium_malloc
 * memory, wiped when it is freed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "samvydav/seal.h"
#include "util.h"

#define PAIR_CONTEXT     "samvydav seal 1 pair"
#define PAIR_CONTEXT_LEN 20

#define NONCE_LEN       crypto_aead_xchacha20poly1305_ietf_NPUBBYTES /* 24 */
#define SLOT_PLAIN      48
#define SALT_LEN        crypto_pwhash_SALTBYTES /* 16: a slot's first bytes */
#define CHUNK_CIPHER    (SVD_SEAL_CHUNK + SVD_SEAL_TAG)
#define HEADER_MAX      (SVD_SEAL_MAX_SLOTS * SVD_SEAL_SLOT)
#define PASSPHRASES_MAX 16 /* passphrases in a ring: each costs two Argon2id an open */

/* Plaintext bytes a sealer accepts: far past any stick, and T stays well inside 64 bits. */
#define PLAIN_MAX ((uint64_t)1 << 60)

_Static_assert(NONCE_LEN + SLOT_PLAIN + SVD_SEAL_TAG == SVD_SEAL_SLOT, "a slot is 88 bytes");
_Static_assert(SVD_SEAL_MAX_TO + 2 == SVD_SEAL_MAX_SLOTS, "mirrors, the sender, a passphrase");

/* One own key pair; sodium_malloc memory holds only byte arrays. */
struct own_key {
	uint8_t sk[SVD_SEAL_KEY_LEN];
	uint8_t pk[SVD_SEAL_KEY_LEN];
};

struct passphrase {
	size_t len;
	char text[SVD_SEAL_PASS_MAX];
};

/*
 * The ring is filled once and then only read: the pair keys are made as
 * keys are added, so that opening needs no lock and no lazy cache, and a
 * ring no thread changes may be used by several threads at once.
 */
struct svd_seal_keys {
	struct own_key *own; /* sodium_malloc, SVD_SEAL_MAX_OWN of them */
	size_t nown;
	uint8_t (*mirrors)[SVD_SEAL_KEY_LEN]; /* public: malloc */
	size_t nmirrors, cap_mirrors;
	struct passphrase *pass[PASSPHRASES_MAX]; /* each sodium_malloc */
	size_t npass;
	uint8_t (*pairs)[SVD_SEAL_KEY_LEN]; /* receiving pair keys, sodium_malloc */
	size_t npairs, cap_pairs;
};

struct svd_sealer {
	int fd;
	int failed; /* a write failed, or finish ran: nothing more is written */
	int finished;
	svd_seal_kind kind;
	unsigned n;                /* slots at each end */
	int has_pass;              /* slot 0 is the passphrase's */
	uint64_t len;              /* plaintext bytes so far */
	uint64_t chunks;           /* chunks written */
	size_t fill;               /* plaintext bytes in the chunk buffer */
	uint8_t *secret;           /* sodium_malloc: see the S_* offsets */
	uint8_t salt[2][SALT_LEN]; /* the passphrase slot's salt at the head and at the tail */
};

/* The sealer's secrets, one sodium_malloc block: the file key, each slot's key, a chunk. */
#define S_FILEKEY    0
#define S_SLOTKEY(j) (SVD_SEAL_KEY_LEN + (size_t)(j)*SVD_SEAL_KEY_LEN)
#define S_TAILPASS   S_SLOTKEY(SVD_SEAL_MAX_SLOTS) /* the passphrase's key at the tail */
#define S_CHUNK      (S_TAILPASS + SVD_SEAL_KEY_LEN)
#define S_SIZE       (S_CHUNK + CHUNK_CIPHER)

struct svd_unsealer {
	int fd;
	uint64_t file_size; /* T */
	uint64_t len;       /* L, as the header says */
	uint64_t size;      /* what is presented: L clipped to what the file can hold */
	uint64_t base;      /* P0 = n * 88 */
	svd_seal_kind kind;
	int head_damaged, head_reported;
	uint8_t *secret; /* sodium_malloc: file key, then one chunk, read and decrypted in place */
	uint64_t cached; /* which chunk the plaintext buffer holds */
	int have_cached;
	uint8_t *reported; /* a bit per chunk presented: reported as damaged */
	uint64_t damaged;
	svd_seal_damage_cb cb;
	void *payload;
};

#define U_FILEKEY 0
#define U_CHUNK   SVD_SEAL_KEY_LEN

static void le64_store(uint8_t p[8], uint64_t x)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static uint64_t le64_load(const uint8_t p[8])
{
	uint64_t x = 0;
	int i;

	for (i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/*
 * Padmé (Nikitin et al., PETS 2019): x rounded up so that only the top
 * floor(log2 E) + 1 bits of its E = floor(log2 x) may be set. A file's
 * size then tells O(log log) bits of what it holds, for at most 12% more.
 */
static uint64_t padme(uint64_t x)
{
	unsigned e = 0, s = 0, z;
	uint64_t mask;

	if (x < 512)
		return 512;
	while ((x >> e) > 1)
		e++;
	while ((e >> s) > 1)
		s++;
	s++;
	z = e - s;
	mask = ((uint64_t)1 << z) - 1;
	return (x + mask) & ~mask;
}

/* Chunks of a plaintext of len bytes. */
static uint64_t chunk_count(uint64_t len)
{
	return len / SVD_SEAL_CHUNK + (len % SVD_SEAL_CHUNK != 0);
}

/*
 * The pair key of sender S and recipient R (SPEC.md, 12.2), from the
 * exchange of one's secret key and the other's public key. 0, or -1 when
 * the public key is of small order (the exchange gives zero).
 */
static int pair_key(uint8_t out[SVD_SEAL_KEY_LEN], const uint8_t own_sk[SVD_SEAL_KEY_LEN],
                    const uint8_t other_pk[SVD_SEAL_KEY_LEN],
                    const uint8_t sender_pk[SVD_SEAL_KEY_LEN],
                    const uint8_t recipient_pk[SVD_SEAL_KEY_LEN])
{
	uint8_t shared[crypto_scalarmult_BYTES];
	crypto_generichash_state st;

	if (crypto_scalarmult(shared, own_sk, other_pk) != 0) {
		sodium_memzero(shared, sizeof(shared));
		return -1;
	}
	crypto_generichash_init(&st, shared, sizeof(shared), SVD_SEAL_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)PAIR_CONTEXT, PAIR_CONTEXT_LEN);
	crypto_generichash_update(&st, sender_pk, SVD_SEAL_KEY_LEN);
	crypto_generichash_update(&st, recipient_pk, SVD_SEAL_KEY_LEN);
	crypto_generichash_final(&st, out, SVD_SEAL_KEY_LEN);
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* The passphrase's key for one salt (Argon2id, SVD_SEAL_PWHASH_*). */
static int pass_key(uint8_t out[SVD_SEAL_KEY_LEN], const char *pass, size_t len,
                    const uint8_t salt[SALT_LEN])
{
	if (crypto_pwhash(out, SVD_SEAL_KEY_LEN, pass, len, salt, SVD_SEAL_PWHASH_OPS,
	                  SVD_SEAL_PWHASH_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return svd_error_set(SVD_ERROR,
		                     "passphrase: Argon2id needs %u MiB of memory and could not "
		                     "have it (out of memory: close other programs and try again)",
		                     SVD_SEAL_PWHASH_MEM >> 20);
	return 0;
}

/* Is this public key one an exchange can use? Small-order points give zero for any key. */
static int pk_usable(const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	uint8_t sk[crypto_scalarmult_SCALARBYTES], out[crypto_scalarmult_BYTES];
	int ok;

	randombytes_buf(sk, sizeof(sk));
	ok = crypto_scalarmult(out, sk, pk) == 0;
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(out, sizeof(out));
	return ok;
}

/*
 * The key ring
 */

int svd_seal_keys_new(svd_seal_keys **out)
{
	svd_seal_keys *k;

	*out = NULL;
	if (!(k = calloc(1, sizeof(*k))))
		return svd_error_set(SVD_ERROR, "key ring: out of memory");
	if (!(k->own = sodium_malloc(SVD_SEAL_MAX_OWN * sizeof(struct own_key)))) {
		free(k);
		return svd_error_set(SVD_ERROR, "key ring: out of secure memory");
	}
	*out = k;
	return 0;
}

void svd_seal_keys_free(svd_seal_keys *k)
{
	size_t i;

	if (!k)
		return;
	sodium_free(k->own); /* sodium_free wipes */
	sodium_free(k->pairs);
	for (i = 0; i < k->npass; i++)
		sodium_free(k->pass[i]);
	free(k->mirrors);
	free(k);
}

/* Room for need more pair keys: sodium_malloc memory cannot grow, so it moves. */
static int pairs_reserve(svd_seal_keys *k, size_t more)
{
	uint8_t(*p)[SVD_SEAL_KEY_LEN];
	size_t cap = k->cap_pairs ? k->cap_pairs : 64;

	if (k->npairs + more <= k->cap_pairs)
		return 0;
	while (cap < k->npairs + more)
		cap *= 2;
	if (!(p = sodium_malloc(cap * SVD_SEAL_KEY_LEN)))
		return svd_error_set(SVD_ERROR, "key ring: out of secure memory (%zu pair keys)",
		                     cap);
	if (k->npairs)
		memcpy(p, k->pairs, k->npairs * SVD_SEAL_KEY_LEN);
	sodium_free(k->pairs);
	k->pairs = p;
	k->cap_pairs = cap;
	return 0;
}

/* The pair key that opens what the sender pk sent to own key o; small order is skipped. */
static void pairs_add(svd_seal_keys *k, const struct own_key *o,
                      const uint8_t sender[SVD_SEAL_KEY_LEN])
{
	if (pair_key(k->pairs[k->npairs], o->sk, sender, sender, o->pk) == 0)
		k->npairs++;
}

int svd_seal_keys_add_own(svd_seal_keys *k, const uint8_t sk[SVD_SEAL_KEY_LEN])
{
	struct own_key *o;
	size_t i;
	int error;

	if (k->nown == SVD_SEAL_MAX_OWN)
		return svd_error_set(SVD_ETOOBIG,
		                     "key ring: more than %d own keys (forget retired keys with "
		                     "\"samvydav network forget\")",
		                     SVD_SEAL_MAX_OWN);
	o = &k->own[k->nown];
	memcpy(o->sk, sk, SVD_SEAL_KEY_LEN);
	if (crypto_scalarmult_base(o->pk, o->sk) != 0) {
		sodium_memzero(o, sizeof(*o));
		return svd_error_set(SVD_EINVALID, "key ring: a secret key that has no public key");
	}
	for (i = 0; i < k->nown; i++)
		if (!memcmp(k->own[i].pk, o->pk, SVD_SEAL_KEY_LEN)) {
			sodium_memzero(o, sizeof(*o));
			return 0;
		}
	/* what every mirror sent to it, what it and each other own key sent to each other */
	if ((error = pairs_reserve(k, k->nmirrors + 2 * k->nown + 1)) < 0) {
		sodium_memzero(o, sizeof(*o));
		return error;
	}
	for (i = 0; i < k->nmirrors; i++)
		pairs_add(k, o, k->mirrors[i]);
	for (i = 0; i < k->nown; i++) {
		pairs_add(k, o, k->own[i].pk);
		pairs_add(k, &k->own[i], o->pk);
	}
	pairs_add(k, o, o->pk);
	k->nown++;
	return 0;
}

#define SMALL_ORDER                                                                                \
	"key ring: a mirror's public key of small order, which no exchange can use (a damaged "    \
	"or forged key file: ask the mirror for its key again)"

int svd_seal_keys_add_mirror(svd_seal_keys *k, const uint8_t pk[SVD_SEAL_KEY_LEN])
{
	size_t i;
	int error;

	for (i = 0; i < k->nmirrors; i++)
		if (!memcmp(k->mirrors[i], pk, SVD_SEAL_KEY_LEN))
			return 0;
	if (k->nmirrors == SVD_SEAL_MAX_MIRRORS)
		return svd_error_set(SVD_ETOOBIG,
		                     "key ring: more than %d mirrors (remove some with \"samvydav "
		                     "network remove\")",
		                     SVD_SEAL_MAX_MIRRORS);
	/* with own keys, their exchanges with it say so; without, one made for the check */
	if (k->nown == 0 && !pk_usable(pk))
		return svd_error_set(SVD_EINVALID, "%s", SMALL_ORDER);
	if (svd_grow(&k->mirrors, &k->cap_mirrors, k->nmirrors + 1, SVD_SEAL_KEY_LEN, 16) < 0)
		return SVD_ERROR;
	if ((error = pairs_reserve(k, k->nown)) < 0)
		return error;
	for (i = 0; i < k->nown; i++)
		if (pair_key(k->pairs[k->npairs + i], k->own[i].sk, pk, pk, k->own[i].pk) != 0)
			return svd_error_set(SVD_EINVALID, "%s", SMALL_ORDER);
	k->npairs += k->nown;
	memcpy(k->mirrors[k->nmirrors], pk, SVD_SEAL_KEY_LEN);
	k->nmirrors++;
	return 0;
}

int svd_seal_keys_add_passphrase(svd_seal_keys *k, const char *pass, size_t len)
{
	struct passphrase *p;

	if (len == 0 || len > SVD_SEAL_PASS_MAX)
		return svd_error_set(SVD_EINVALID,
		                     "passphrase: %zu bytes; a passphrase has 1 to %d bytes", len,
		                     SVD_SEAL_PASS_MAX);
	if (k->npass == PASSPHRASES_MAX)
		return svd_error_set(SVD_ETOOBIG, "key ring: more than %d passphrases to try",
		                     PASSPHRASES_MAX);
	if (!(p = sodium_malloc(sizeof(*p))))
		return svd_error_set(SVD_ERROR, "key ring: out of secure memory");
	p->len = len;
	memcpy(p->text, pass, len);
	k->pass[k->npass++] = p;
	return 0;
}

size_t svd_seal_keys_own_count(const svd_seal_keys *k)
{
	return k->nown;
}

size_t svd_seal_keys_mirror_count(const svd_seal_keys *k)
{
	return k->nmirrors;
}

size_t svd_seal_keys_passphrase_count(const svd_seal_keys *k)
{
	return k->npass;
}

int svd_seal_keys_current(const svd_seal_keys *k, uint8_t pk[SVD_SEAL_KEY_LEN])
{
	if (!k || k->nown == 0)
		return svd_error_set(SVD_ENOTFOUND,
		                     "key ring: no key of this mirror (make one with \"samvydav "
		                     "network key\")");
	memcpy(pk, k->own[0].pk, SVD_SEAL_KEY_LEN);
	return 0;
}

/*
 * Sealing
 */

/* pwrite all of it, retrying after signals; 0 or -1 with errno. */
static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int seal_write_at(svd_sealer *s, const uint8_t *p, size_t len, uint64_t off,
                         const char *what)
{
	if (pwrite_all(s->fd, p, len, off) == 0)
		return 0;
	s->failed = 1;
	return svd_error_set(SVD_ERROR, "sealed file: cannot write %s at offset %llu: %s", what,
	                     (unsigned long long)off, svd_ioerr(errno));
}

/*
 * Slot j's 88 bytes for the header at one end. A pair key's slot gets a
 * whole fresh nonce; the passphrase's keeps the salt its key was made
 * with as its first 16 bytes (the head's salt stays from new() to
 * finish(), the tail has its own) and gets 8 fresh bytes after it.
 */
static void slot_make(const svd_sealer *s, uint8_t out[SVD_SEAL_SLOT], unsigned j, int tail,
                      svd_seal_kind kind, uint64_t len)
{
	uint8_t plain[SLOT_PLAIN];
	const uint8_t *key = s->secret + S_SLOTKEY(j);

	if (j == 0 && s->has_pass) {
		memcpy(out, s->salt[tail], SALT_LEN);
		randombytes_buf(out + SALT_LEN, NONCE_LEN - SALT_LEN);
		if (tail)
			key = s->secret + S_TAILPASS;
	} else {
		randombytes_buf(out, NONCE_LEN);
	}
	memcpy(plain, s->secret + S_FILEKEY, SVD_SEAL_KEY_LEN);
	plain[32] = (uint8_t)kind;
	plain[33] = (uint8_t)s->n;
	memset(plain + 34, 0, 6);
	le64_store(plain + 40, len);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_LEN, NULL, plain, sizeof(plain),
	                                           NULL, 0, NULL, out, key);
	sodium_memzero(plain, sizeof(plain));
}

/* The n slots of the head (tail 0) or the tail (1), written where they go. */
static int slots_write(svd_sealer *s, int tail, svd_seal_kind kind, uint64_t len,
                       uint64_t file_size)
{
	uint8_t buf[HEADER_MAX];
	unsigned j;

	for (j = 0; j < s->n; j++) {
		/* the tail is reversed: slot j at T - (j+1)*88, slot 0 the very last */
		size_t at =
		    tail ? (size_t)(s->n - 1 - j) * SVD_SEAL_SLOT : (size_t)j * SVD_SEAL_SLOT;
		slot_make(s, buf + at, j, tail, kind, len);
	}
	return seal_write_at(s, buf, (size_t)s->n * SVD_SEAL_SLOT,
	                     tail ? file_size - (uint64_t)s->n * SVD_SEAL_SLOT : 0,
	                     tail ? "the header's copy at the end" : "the header");
}

/* Encrypt the chunk buffer as chunk s->chunks and write it in its place. */
static int chunk_flush(svd_sealer *s)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
	uint8_t *buf = s->secret + S_CHUNK;
	uint64_t off = (uint64_t)s->n * SVD_SEAL_SLOT + s->chunks * CHUNK_CIPHER;
	int error;

	le64_store(nonce, s->chunks);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
	    buf, buf + s->fill, NULL, buf, s->fill, NULL, 0, NULL, nonce, s->secret + S_FILEKEY);
	error = seal_write_at(s, buf, s->fill + SVD_SEAL_TAG, off, "a chunk");
	sodium_memzero(buf, CHUNK_CIPHER);
	if (error < 0)
		return error;
	s->chunks++;
	s->fill = 0;
	return 0;
}

/* Checks svd_sealer_new's arguments; the number of slots, or an error. */
static int seal_to_check(const svd_seal_to *to, svd_seal_kind kind)
{
	size_t n;

	if (kind != SVD_SEAL_BUNDLE && kind != SVD_SEAL_HAVE)
		return svd_error_set(SVD_EINVALID,
		                     "sealing: a file holds a bundle or a have-file (kind %d is "
		                     "neither)",
		                     (int)kind);
	if (!to || (!to->from && to->nmirrors == 0 && !to->passphrase))
		return svd_error_set(SVD_EINVALID,
		                     "sealing: no recipient (give mirrors' public keys, a "
		                     "passphrase, or both)");
	if (to->nmirrors > SVD_SEAL_MAX_TO)
		return svd_error_set(SVD_EINVALID,
		                     "sealing: %zu mirrors, but a file is sealed to at most %d "
		                     "(make one file for each group of mirrors)",
		                     to->nmirrors, SVD_SEAL_MAX_TO);
	if (to->nmirrors > 0 && !to->mirrors)
		return svd_error_set(SVD_EINVALID, "sealing: %zu mirrors, but no keys given",
		                     to->nmirrors);
	if (to->nmirrors > 0 && !to->from)
		return svd_error_set(SVD_EINVALID,
		                     "sealing: sealing to mirrors needs this mirror's own key as "
		                     "the sender");
	if (to->from && to->from->nown == 0)
		return svd_error_set(SVD_EINVALID,
		                     "sealing: the sender's key ring has no own key (make one with "
		                     "\"samvydav network key\")");
	if (to->passphrase && (to->passlen == 0 || to->passlen > SVD_SEAL_PASS_MAX))
		return svd_error_set(SVD_EINVALID,
		                     "sealing: a passphrase of %zu bytes; a passphrase has 1 to %d "
		                     "bytes",
		                     to->passlen, SVD_SEAL_PASS_MAX);
	n = (to->passphrase != NULL) + (to->from != NULL) + to->nmirrors;
	return (int)n;
}

int svd_sealer_new(svd_sealer **out, int fd, const svd_seal_to *to, svd_seal_kind kind)
{
	svd_sealer *s = NULL;
	unsigned order[SVD_SEAL_MAX_SLOTS], first, j;
	const struct own_key *me = NULL;
	struct stat st;
	int n, error = SVD_ERROR;

	*out = NULL;
	if ((n = seal_to_check(to, kind)) < 0)
		return n;
	if (fstat(fd, &st) < 0)
		return svd_error_set(SVD_ERROR, "sealed file: cannot stat: %s", svd_ioerr(errno));
	if (st.st_size != 0)
		return svd_error_set(SVD_EINVALID,
		                     "sealed file: the file to seal into is not empty (%lld bytes)",
		                     (long long)st.st_size);
	if (!(s = calloc(1, sizeof(*s))))
		return svd_error_set(SVD_ERROR, "sealing: out of memory");
	if (!(s->secret = sodium_malloc(S_SIZE))) {
		svd_error_set(SVD_ERROR, "sealing: out of secure memory");
		goto cleanup;
	}
	s->fd = fd;
	s->kind = kind;
	s->n = (unsigned)n;
	s->has_pass = to->passphrase != NULL;
	randombytes_buf(s->secret + S_FILEKEY, SVD_SEAL_KEY_LEN);

	if (s->has_pass) {
		randombytes_buf(s->salt, sizeof(s->salt));
		if ((error = pass_key(s->secret + S_SLOTKEY(0), to->passphrase, to->passlen,
		                      s->salt[0])) < 0 ||
		    (error = pass_key(s->secret + S_TAILPASS, to->passphrase, to->passlen,
		                      s->salt[1])) < 0)
			goto cleanup;
	}
	/* the sender's own slot and the mirrors' follow the passphrase's in random order */
	first = (unsigned)s->has_pass;
	for (j = first; j < s->n; j++) {
		unsigned r = first + randombytes_uniform(j - first + 1);
		if (r != j)
			order[j] = order[r];
		order[r] = j;
	}
	if (to->from)
		me = &to->from->own[0];
	for (j = first; j < s->n; j++) {
		/* order[j] - first: 0 .. nmirrors-1 a mirror, nmirrors the sender itself */
		size_t m = order[j] - first;
		const uint8_t *r = m < to->nmirrors ? to->mirrors[m] : me->pk;
		if (pair_key(s->secret + S_SLOTKEY(j), me->sk, r, me->pk, r) != 0) {
			char fp[2 * 8 + 1];
			svd_hex_encode(fp, r, 8);
			error =
			    svd_error_set(SVD_EINVALID,
			                  "sealing: mirror %zu's public key (%s...) is of small "
			                  "order, which no exchange can use (a damaged or forged "
			                  "key file: ask the mirror for its key again)",
			                  m + 1, fp);
			goto cleanup;
		}
	}
	/* an interrupted write leaves a header that says "partial", and no plaintext */
	if ((error = slots_write(s, 0, SVD_SEAL_PARTIAL, 0, 0)) < 0)
		goto cleanup;
	*out = s;
	s = NULL;
	error = 0;
cleanup:
	svd_sealer_free(s);
	return error;
}

int svd_sealer_write(svd_sealer *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	int error;

	if (s->failed)
		return svd_error_set(SVD_ERROR, "sealed file: %s",
		                     s->finished ? "already finished" : "an earlier write failed");
	if (len > PLAIN_MAX - s->len)
		return svd_error_set(SVD_ETOOBIG, "sealed file: over %llu bytes of plaintext",
		                     (unsigned long long)PLAIN_MAX);
	while (len > 0) {
		size_t take = SVD_SEAL_CHUNK - s->fill;
		if (take > len)
			take = len;
		memcpy(s->secret + S_CHUNK + s->fill, p, take);
		s->fill += take;
		s->len += take;
		p += take;
		len -= take;
		/* a full chunk is 65536 bytes whether it is the last or not: write it now */
		if (s->fill == SVD_SEAL_CHUNK && (error = chunk_flush(s)) < 0)
			return error;
	}
	return 0;
}

uint64_t svd_sealer_size(const svd_sealer *s)
{
	return s->len;
}

int svd_sealer_finish(svd_sealer *s, uint64_t *size)
{
	uint64_t slots = (uint64_t)s->n * SVD_SEAL_SLOT, end, file_size;
	uint8_t *buf = s->secret + S_CHUNK;
	int error;

	if (s->failed)
		return svd_error_set(SVD_ERROR, "sealed file: %s",
		                     s->finished ? "already finished" : "an earlier write failed");
	if (s->fill > 0 && (error = chunk_flush(s)) < 0)
		return error;
	end = slots + s->len + s->chunks * SVD_SEAL_TAG;
	file_size = padme(end + slots);
	/* random padding between the last chunk and the tail */
	while (end < file_size - slots) {
		uint64_t left = file_size - slots - end;
		size_t take = left < CHUNK_CIPHER ? (size_t)left : CHUNK_CIPHER;
		randombytes_buf(buf, take);
		if ((error = seal_write_at(s, buf, take, end, "the padding")) < 0)
			return error;
		end += take;
	}
	/* the tail first: until the head is rewritten, the file still says "partial" */
	if ((error = slots_write(s, 1, s->kind, s->len, file_size)) < 0 ||
	    (error = slots_write(s, 0, s->kind, s->len, file_size)) < 0)
		return error;
	s->failed = s->finished = 1;
	if (size)
		*size = file_size;
	return 0;
}

void svd_sealer_free(svd_sealer *s)
{
	if (!s)
		return;
	sodium_free(s->secret);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/*
 * Opening
 */

/* pread up to len bytes; the bytes read (short at the end of the file), or -1 with errno. */
static ssize_t pread_full(int fd, uint8_t *p, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Open the slot at p with key: 0 with its plaintext in plain, or -1 when
 * it is not this key's slot (it does not authenticate, or says what no
 * writer writes).
 */
static int slot_open(uint8_t plain[SLOT_PLAIN], const uint8_t p[SVD_SEAL_SLOT],
                     const uint8_t key[SVD_SEAL_KEY_LEN])
{
	static const uint8_t zero[6];

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        plain, NULL, NULL, p + NONCE_LEN, SLOT_PLAIN + SVD_SEAL_TAG, NULL, 0, p, key) != 0)
		return -1;
	if (plain[32] < SVD_SEAL_BUNDLE || plain[32] > SVD_SEAL_PARTIAL || plain[33] < 1 ||
	    plain[33] > SVD_SEAL_MAX_SLOTS || sodium_memcmp(plain + 34, zero, 6) != 0) {
		sodium_memzero(plain, SLOT_PLAIN);
		return -1;
	}
	return 0;
}

/*
 * Try every pair key at each slot position of one end (region: the
 * header bytes read there; at(j) its j-th slot), then each passphrase at
 * the one place its slot can be. 0 with the slot's plaintext, or -1.
 */
static int end_open(uint8_t plain[SLOT_PLAIN], const uint8_t *region, size_t region_len, int tail,
                    const svd_seal_keys *k, uint8_t *scratch, int *error)
{
	size_t places = region_len / SVD_SEAL_SLOT, j, i;

	for (j = 0; j < places; j++) {
		const uint8_t *p = tail ? region + region_len - (j + 1) * SVD_SEAL_SLOT
		                        : region + j * SVD_SEAL_SLOT;
		for (i = 0; i < k->npairs; i++)
			if (slot_open(plain, p, k->pairs[i]) == 0)
				return 0;
	}
	if (places == 0)
		return -1;
	for (i = 0; i < k->npass; i++) {
		const uint8_t *p = tail ? region + region_len - SVD_SEAL_SLOT : region;
		if ((*error = pass_key(scratch, k->pass[i]->text, k->pass[i]->len, p)) < 0)
			return -1;
		if (slot_open(plain, p, scratch) == 0)
			return 0;
	}
	return -1;
}

/*
 * Plaintext bytes that the chunks in [base, file_size) can hold: a header
 * that lies (or a file cut short) cannot make the reader present more
 * than the file has room for.
 */
static uint64_t capacity(uint64_t base, uint64_t file_size)
{
	uint64_t avail = file_size > base ? file_size - base : 0;
	uint64_t rem = avail % CHUNK_CIPHER;

	return avail / CHUNK_CIPHER * SVD_SEAL_CHUNK +
	       (rem > SVD_SEAL_TAG ? rem - SVD_SEAL_TAG : 0);
}

int svd_unseal_open(svd_unsealer **out, int fd, uint64_t size, const svd_seal_keys *k,
                    svd_seal_kind *kind)
{
	uint8_t head[HEADER_MAX], tail[HEADER_MAX];
	size_t nread = size < HEADER_MAX ? (size_t)size : HEADER_MAX;
	svd_unsealer *u = NULL;
	uint8_t *plain = NULL;
	ssize_t got;
	int error = SVD_ERROR, opened, from_tail = 0;
	uint64_t cap;

	*out = NULL;
	if ((got = pread_full(fd, head, nread, 0)) < 0 ||
	    (got == (ssize_t)nread && (got = pread_full(fd, tail, nread, size - nread)) < 0))
		return svd_error_set(SVD_ERROR, "sealed file: cannot read its header: %s",
		                     svd_ioerr(errno));
	if ((size_t)got != nread)
		return svd_error_set(SVD_ERROR,
		                     "sealed file: shorter than the %llu bytes it was said to have "
		                     "(it changed while it was read?)",
		                     (unsigned long long)size);
	/* the plaintext slot, then the pair or passphrase key being tried */
	if (!(plain = sodium_malloc(SLOT_PLAIN + SVD_SEAL_KEY_LEN)))
		return svd_error_set(SVD_ERROR, "sealed file: out of secure memory");
	error = 0;
	opened = end_open(plain, head, nread, 0, k, plain + SLOT_PLAIN, &error) == 0;
	if (!opened && error == 0) {
		opened = end_open(plain, tail, nread, 1, k, plain + SLOT_PLAIN, &error) == 0;
		from_tail = opened;
	}
	if (error < 0)
		goto cleanup;
	if (!opened) {
		error = svd_error_set(
		    SVD_ENOKEY,
		    "no key of this mirror opens it (it is not for this mirror, not a sealed file, "
		    "or both copies of its header are damaged)%s",
		    k->npass ? k->npass == 1 ? ", and the passphrase given does not open it either"
		                             : ", and no passphrase given opens it either"
		             : "");
		goto cleanup;
	}
	error = SVD_ERROR;
	if (!(u = calloc(1, sizeof(*u))) ||
	    !(u->secret = sodium_malloc(SVD_SEAL_KEY_LEN + CHUNK_CIPHER))) {
		svd_error_set(SVD_ERROR, "sealed file: out of memory");
		goto cleanup;
	}
	u->fd = fd;
	u->file_size = size;
	memcpy(u->secret + U_FILEKEY, plain, SVD_SEAL_KEY_LEN);
	u->kind = (svd_seal_kind)plain[32];
	u->base = (uint64_t)plain[33] * SVD_SEAL_SLOT;
	u->len = le64_load(plain + 40);
	cap = capacity(u->base, size);
	u->size = u->len < cap ? u->len : cap;
	u->head_damaged = from_tail;
	if (kind)
		*kind = u->kind;
	*out = u;
	u = NULL;
	error = 0;
cleanup:
	sodium_free(plain);
	svd_unseal_free(u);
	return error;
}

void svd_unseal_on_damage(svd_unsealer *u, svd_seal_damage_cb cb, void *payload)
{
	u->cb = cb;
	u->payload = payload;
}

uint64_t svd_unseal_size(const svd_unsealer *u)
{
	return u->size;
}

int svd_unseal_head_damaged(const svd_unsealer *u)
{
	return u->head_damaged;
}

uint64_t svd_unseal_damaged_chunks(const svd_unsealer *u)
{
	return u->damaged;
}

/* Chunk k is damaged: counted and reported the first time only. */
static int chunk_damaged(svd_unsealer *u, uint64_t k, uint64_t off, uint64_t clen, int short_read)
{
	char what[128];

	if (!u->reported) {
		uint64_t bits = chunk_count(u->size);
		if (!(u->reported = calloc((size_t)(bits / 8 + 1), 1)))
			return svd_error_set(SVD_ERROR, "sealed file: out of memory");
	}
	if (u->reported[k / 8] & (1u << (k % 8)))
		return 0;
	u->reported[k / 8] |= (uint8_t)(1u << (k % 8));
	u->damaged++;
	if (u->cb) {
		snprintf(what, sizeof(what),
		         short_read ? "chunk %llu is cut short (the file ends inside it): damaged"
		                    : "chunk %llu does not authenticate: damaged",
		         (unsigned long long)k);
		u->cb(off, clen, what, u->payload);
	}
	return 0;
}

/* Put chunk k's plaintext (zeros when it is damaged) in the buffer. */
static int chunk_load(svd_unsealer *u, uint64_t k)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {0};
	uint8_t *plain = u->secret + U_CHUNK;
	uint64_t off = u->base + k * CHUNK_CIPHER, left = u->len - k * SVD_SEAL_CHUNK;
	size_t plen = left < SVD_SEAL_CHUNK ? (size_t)left : SVD_SEAL_CHUNK;
	size_t clen = plen + SVD_SEAL_TAG;
	ssize_t got;
	int error;

	if (u->have_cached && u->cached == k)
		return 0;
	u->have_cached = 0;
	if ((got = pread_full(u->fd, plain, clen, off)) < 0)
		return svd_error_set(
		    SVD_ERROR, "sealed file: cannot read chunk %llu at offset %llu: %s",
		    (unsigned long long)k, (unsigned long long)off, svd_ioerr(errno));
	le64_store(nonce, k);
	if ((size_t)got != clen || crypto_aead_chacha20poly1305_ietf_decrypt_detached(
	                               plain, NULL, plain, plen, plain + plen, NULL, 0, nonce,
	                               u->secret + U_FILEKEY) != 0) {
		memset(plain, 0, SVD_SEAL_CHUNK);
		if ((error = chunk_damaged(u, k, off, clen, (size_t)got != clen)) < 0)
			return error;
	}
	u->cached = k;
	u->have_cached = 1;
	return 0;
}

ssize_t svd_unseal_pread(svd_unsealer *u, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;
	int error;

	if (u->head_damaged && !u->head_reported) {
		u->head_reported = 1;
		if (u->cb)
			u->cb(0, u->base,
			      "the header at the start does not open: damaged (the copy at the end "
			      "opened the file)",
			      u->payload);
	}
	if (off >= u->size)
		return 0;
	if (len > u->size - off)
		len = (size_t)(u->size - off);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	while (done < len) {
		uint64_t k = (off + done) / SVD_SEAL_CHUNK;
		size_t in = (size_t)((off + done) % SVD_SEAL_CHUNK), take = SVD_SEAL_CHUNK - in;
		if (take > len - done)
			take = len - done;
		if ((error = chunk_load(u, k)) < 0)
			return error;
		memcpy(p + done, u->secret + U_CHUNK + in, take);
		done += take;
	}
	return (ssize_t)done;
}

void svd_unseal_free(svd_unsealer *u)
{
	if (!u)
		return;
	sodium_free(u->secret);
	free(u->reported);
	free(u);
}
