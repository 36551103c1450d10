/*
 * test_network.c: mirrors' key files (seal_key.c) and an archive's network
 * (network.c): the two key-file parsers and every way their input can lie,
 * fingerprints, the key pair made at init and on first need, rotation and
 * forgetting, the network's mirrors and what is refused, the folder's
 * modes, links and FIFOs in its place, and the key ring that opens what a
 * mirror of the network sealed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "helpers.h"
#include "samvydav/samvydav.h"

#define PUB_HEAD "samvydav mirror key 1\n"
#define SEC_HEAD "samvydav mirror secret key 1\n"
#define HEX64    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int parse_pub(const char *text, size_t len)
{
	uint8_t pk[SVD_SEAL_KEY_LEN];

	return svd_seal_public_parse(pk, text, len);
}

static int parse_sec(const char *text, size_t len)
{
	uint8_t sk[SVD_SEAL_KEY_LEN];

	return svd_seal_secret_parse(sk, text, len);
}

static void test_key_files(void **state)
{
	uint8_t pk[SVD_SEAL_KEY_LEN], sk[SVD_SEAL_KEY_LEN], pk2[SVD_SEAL_KEY_LEN],
	    sk2[SVD_SEAL_KEY_LEN], h[32];
	char *pub, *sec, fp[20], want[20];

	(void)state;
	svd_seal_keypair(pk, sk);
	assert_int_equal(svd_seal_public(pk2, sk), 0);
	assert_memory_equal(pk, pk2, sizeof(pk));
	pub = svd_seal_public_format(pk);
	sec = svd_seal_secret_format(sk);
	assert_non_null(pub);
	assert_non_null(sec);
	assert_int_equal(strlen(pub), strlen(PUB_HEAD) + 65);
	assert_int_equal(strlen(sec), strlen(SEC_HEAD) + 65);
	assert_memory_equal(pub, PUB_HEAD, strlen(PUB_HEAD));
	assert_memory_equal(sec, SEC_HEAD, strlen(SEC_HEAD));
	assert_int_equal(svd_seal_public_parse(pk2, pub, strlen(pub)), 0);
	assert_memory_equal(pk, pk2, sizeof(pk));
	assert_int_equal(svd_seal_secret_parse(sk2, sec, strlen(sec)), 0);
	assert_memory_equal(sk, sk2, sizeof(sk));
	/* one kind is never taken for the other, and the message says which it is */
	assert_int_equal(svd_seal_public_parse(pk2, sec, strlen(sec)), SVD_ECORRUPT);
	th_expect_msg("secret key file, not a public key file");
	assert_int_equal(svd_seal_secret_parse(sk2, pub, strlen(pub)), SVD_ECORRUPT);
	th_expect_msg("public key file, not a secret key file");
	assert_true(sodium_is_zero(sk2, sizeof(sk2))); /* a failed parse leaves no key */
	/* a failure never quotes the key */
	assert_null(strstr(svd_error_last(), pub + strlen(PUB_HEAD) + 10));
	free(pub);
	svd_seal_secret_free(sec);
	svd_seal_secret_free(NULL);

	/* the fingerprint: the first 8 bytes of BLAKE2b-256, four groups of uppercase hex */
	svd_seal_fingerprint(fp, pk);
	crypto_generichash(h, sizeof(h), pk, sizeof(pk), NULL, 0);
	snprintf(want, sizeof(want), "%02X%02X-%02X%02X-%02X%02X-%02X%02X", h[0], h[1], h[2], h[3],
	         h[4], h[5], h[6], h[7]);
	assert_string_equal(fp, want);
	assert_int_equal(strlen(fp), 19);
}

/* Every way a key file can differ from what the writer writes, for both parsers. */
static void test_key_files_must_fail(void **state)
{
	static const struct {
		const char *body; /* after the header; NULL: the whole text is in head */
		const char *head;
		size_t extra_nul; /* a NUL at this offset of the text, 0: none */
		const char *msg;
	} bad[] = {
	    {HEX64 "\n", "samvydav mirror key 2\n", 0, "line 1 is not"},
	    {HEX64 "\n", "samvydav  mirror key 1\n", 0, "line 1 is not"},
	    {HEX64 "\n", "Samvydav mirror key 1\n", 0, "line 1 is not"},
	    {HEX64 "\n", "untrusted comment: minisign public key\n", 0, "minisign"},
	    {HEX64 "\n", "\n", 0, "line 1 is not"},
	    {"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n", NULL, 0,
	     "uppercase"},
	    {HEX64 "\n", "samvydav mirror key 1\r\n", 0, "CR LF"},
	    {HEX64 "\r\n", NULL, 0, "CR LF"},
	    {"0011223344556677889 9aabbccddeeff00112233445566778899aabbccddeeff\n", NULL, 0,
	     "not a hex digit"},
	    {"0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", NULL, 0,
	     "not a hex digit"},
	    {"0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", NULL, 0,
	     "63 hex digits"},
	    {HEX64 "0\n", NULL, 0, "65 hex digits"},
	    {"\n", NULL, 0, "0 hex digits"},
	    {HEX64, NULL, 0, "does not end with a newline"},
	    {HEX64 "\n\n", NULL, 0, "after line 2"},
	    {HEX64 "\nsamvydav mirror key 1\n", NULL, 0, "after line 2"},
	    {HEX64 "\n" HEX64 "\n", NULL, 0, "after line 2"},
	    {"", NULL, 0, "cut short"},
	    {HEX64 "\n", NULL, 30, "NUL"},
	    {HEX64 "\n", NULL, 1000, "NUL"}, /* a NUL at the end, past line 2 */
	};
	char text[512];
	size_t i, k, len;

	(void)state;
	assert_int_equal(parse_pub("", 0), SVD_ECORRUPT);
	th_expect_msg("empty");
	assert_int_equal(parse_sec(NULL, 0), SVD_ECORRUPT);
	assert_int_equal(parse_pub("samvydav mirror key 1", 21), SVD_ECORRUPT);
	th_expect_msg("cut short");
	for (k = 0; k < 2; k++) {
		const char *own = k ? SEC_HEAD : PUB_HEAD;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *head = bad[i].head ? bad[i].head : own;
			int error;

			/* the public tests' "mirror key" header, as the secret's where it stands for it */
			if (k && bad[i].head && !strcmp(bad[i].head, "samvydav mirror key 2\n"))
				head = "samvydav mirror secret key 2\n";
			if (k && bad[i].head && !strcmp(bad[i].head, "samvydav mirror key 1\r\n"))
				head = "samvydav mirror secret key 1\r\n";
			len = (size_t)snprintf(text, sizeof(text), "%s%s", head, bad[i].body);
			if (bad[i].extra_nul == 1000)
				text[len++] = '\0';
			else if (bad[i].extra_nul)
				text[bad[i].extra_nul] = '\0';
			error = k ? parse_sec(text, len) : parse_pub(text, len);
			if (error != SVD_ECORRUPT)
				fail_msg("%s parser, case %zu: got %d, not SVD_ECORRUPT",
				         k ? "secret" : "public", i, error);
			if (!strstr(svd_error_last(), bad[i].msg))
				fail_msg("%s parser, case %zu: \"%s\" does not say \"%s\"",
				         k ? "secret" : "public", i, svd_error_last(), bad[i].msg);
		}
	}
	/* and the good one, for contrast */
	len = (size_t)snprintf(text, sizeof(text), "%s%s\n", PUB_HEAD, HEX64);
	assert_int_equal(parse_pub(text, len), 0);
	len = (size_t)snprintf(text, sizeof(text), "%s%s\n", SEC_HEAD, HEX64);
	assert_int_equal(parse_sec(text, len), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		fail_msg("%s: no such file", path);
	return st.st_mode & 07777;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The key pair init makes, the one an old archive gets on first need, rotation, forgetting. */
static void test_own_keys(void **state)
{
	svd_archive *a = th_archive_new(th_tmp, "own");
	uint8_t pk[SVD_SEAL_KEY_LEN], pk2[SVD_SEAL_KEY_LEN], pk3[SVD_SEAL_KEY_LEN];
	svd_network_retired *r = NULL;
	char p[4096], stamp[SVD_NETWORK_STAMP_LEN + 1];
	size_t n = 0, forgotten = 9;
	int made = 9;

	(void)state;
	th_path(p, sizeof(p), "%s/own/network", th_tmp);
	assert_int_equal(mode_of(p), 0700);
	th_path(p, sizeof(p), "%s/own/network/secret", th_tmp);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(svd_network_key_public(pk, a), 0);
	assert_int_equal(svd_network_key_ensure(a, &made), 0);
	assert_int_equal(made, 0);
	assert_int_equal(svd_network_key_public(pk2, a), 0);
	assert_memory_equal(pk, pk2, sizeof(pk));
	assert_int_equal(svd_network_retired_list(&r, &n, a), 0);
	assert_int_equal(n, 0);
	assert_null(r);

	/* rotate: a new current key, the old one retired under the time, 0600 */
	assert_int_equal(svd_network_rotate(pk2, stamp, a), 0);
	assert_memory_not_equal(pk, pk2, sizeof(pk));
	assert_int_equal(strlen(stamp), SVD_NETWORK_STAMP_LEN);
	assert_int_equal(svd_network_key_public(pk3, a), 0);
	assert_memory_equal(pk2, pk3, sizeof(pk));
	th_path(p, sizeof(p), "%s/own/network/retired/%s.secret", th_tmp, stamp);
	assert_int_equal(mode_of(p), 0600);
	th_path(p, sizeof(p), "%s/own/network/retired", th_tmp);
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(svd_network_retired_list(&r, &n, a), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].stamp, stamp);
	assert_memory_equal(r[0].pk, pk, sizeof(pk));
	free(r);

	/* forget: none is older than a day; then all, and the file is gone */
	assert_int_equal(svd_network_forget(a, 1, &forgotten), 0);
	assert_int_equal(forgotten, 0);
	assert_int_equal(svd_network_forget(a, -1, &forgotten), 0);
	assert_int_equal(forgotten, 1);
	th_path(p, sizeof(p), "%s/own/network/retired/%s.secret", th_tmp, stamp);
	assert_false(exists(p));
	assert_int_equal(svd_network_retired_list(&r, &n, a), 0);
	assert_int_equal(n, 0);

	/* a retired key of long ago goes with --older-than; a leftover temporary goes too */
	th_path(p, sizeof(p), "%s/own/network/retired/20200101T000000Z.secret", th_tmp);
	th_write_text(p, SEC_HEAD HEX64 "\n");
	th_path(p, sizeof(p), "%s/own/network/retired/20250101T000000Z.secret.tmp-0badcafe",
	        th_tmp);
	th_write_text(p, SEC_HEAD HEX64 "\n");
	assert_int_equal(svd_network_forget(a, 30, &forgotten), 0);
	assert_int_equal(forgotten, 1);
	assert_false(exists(p));

	/* an archive made before sealed files: no key until the first need */
	th_path(p, sizeof(p), "%s/own/network/secret", th_tmp);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(svd_network_key_public(pk, a), SVD_ENOTFOUND);
	th_expect_msg("samvydav network key");
	assert_int_equal(svd_network_rotate(pk, stamp, a), 0); /* nothing to retire */
	assert_string_equal(stamp, "");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(svd_network_key_ensure(a, &made), 0);
	assert_int_equal(made, 1);
	assert_int_equal(mode_of(p), 0600);

	/* a damaged key is never replaced, and says so */
	th_write_text(p, SEC_HEAD "00\n");
	assert_int_equal(svd_network_key_ensure(a, &made), SVD_ECORRUPT);
	th_expect_msg("network/secret: secret key file: line 2: 2 hex digits");
	assert_int_equal(made, 0);
	/* a link in its place is not followed */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(svd_network_key_public(pk, a), SVD_ECORRUPT);
	th_expect_msg("a link");
	assert_int_equal(unlink(p), 0);
	/* a FIFO neither hangs the reader nor is read */
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(svd_network_key_public(pk, a), SVD_ECORRUPT);
	th_expect_msg("not a regular file");
	assert_int_equal(unlink(p), 0);
	svd_archive_free(a);
}

static void test_mirrors(void **state)
{
	svd_archive *a = th_archive_new(th_tmp, "mirrors");
	uint8_t own[SVD_SEAL_KEY_LEN], old[SVD_SEAL_KEY_LEN], k1[SVD_SEAL_KEY_LEN],
	    k2[SVD_SEAL_KEY_LEN], sk[SVD_SEAL_KEY_LEN], zero[SVD_SEAL_KEY_LEN] = {0};
	uint8_t(*to)[SVD_SEAL_KEY_LEN] = NULL;
	svd_network_mirror *m = NULL;
	svd_network_retired *r = NULL;
	char p[4096], name[80];
	size_t n = 0;

	(void)state;
	svd_seal_keypair(k1, sk);
	svd_seal_keypair(k2, sk);
	assert_int_equal(svd_network_mirrors(&m, &n, a), 0);
	assert_int_equal(n, 0);
	assert_int_equal(svd_network_mirror_add(a, "lviv", k1), 0);
	assert_int_equal(svd_network_mirror_add(a, "Kyiv-2_old.x", k2), 0);
	assert_int_equal(svd_network_mirrors(&m, &n, a), 0);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].name, "Kyiv-2_old.x"); /* by name, bytewise */
	assert_string_equal(m[1].name, "lviv");
	assert_memory_equal(m[1].pk, k1, sizeof(k1));
	assert_int_equal(strlen(m[1].fingerprint), 19);
	free(m);
	assert_int_equal(svd_network_recipients(&to, &n, a), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(to[0], k2, sizeof(k2));
	assert_memory_equal(to[1], k1, sizeof(k1));
	free(to);

	/* refused: bad names, a taken name, one key under two names, our own keys, small order */
	assert_int_equal(svd_network_name_valid("a"), 1);
	memset(name, 'x', 64);
	name[64] = '\0';
	assert_int_equal(svd_network_name_valid(name), 1);
	name[64] = 'x';
	name[65] = '\0';
	assert_int_equal(svd_network_name_valid(name), 0);
	assert_int_equal(svd_network_mirror_add(a, name, k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, "", k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, ".hidden", k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, "a/b", k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, "..", k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, "a b", k1), SVD_EINVALID);
	assert_int_equal(svd_network_mirror_add(a, "bad\033[2J", k1), SVD_EINVALID);
	th_expect_msg("bad\\x1b[2J"); /* escaped: never sent to a terminal as it is */
	assert_int_equal(svd_network_mirror_add(a, "lviv", k2), SVD_EEXISTS);
	th_expect_msg("remove it first");
	assert_int_equal(svd_network_mirror_add(a, "lviv", k1), SVD_EEXISTS);
	th_expect_msg("nothing changed");
	assert_int_equal(svd_network_mirror_add(a, "lviv2", k1), SVD_EEXISTS);
	th_expect_msg("as mirror lviv");
	assert_int_equal(svd_network_key_public(own, a), 0);
	assert_int_equal(svd_network_mirror_add(a, "me", own), SVD_EINVALID);
	th_expect_msg("own public key");
	assert_int_equal(svd_network_rotate(own, NULL, a), 0);
	assert_int_equal(svd_network_retired_list(&r, &n, a), 0);
	assert_int_equal(n, 1);
	memcpy(old, r[0].pk, sizeof(old));
	free(r);
	assert_int_equal(svd_network_mirror_add(a, "me", old), SVD_EINVALID);
	th_expect_msg("retired");
	assert_int_equal(svd_network_mirror_add(a, "zero", zero), SVD_ECORRUPT);
	th_expect_msg("small order");
	th_path(p, sizeof(p), "%s/mirrors/network/mirrors/zero.pub", th_tmp);
	assert_false(exists(p));

	/* remove */
	assert_int_equal(svd_network_mirror_remove(a, "lviv"), 0);
	assert_int_equal(svd_network_mirror_remove(a, "lviv"), SVD_ENOTFOUND);
	assert_int_equal(svd_network_mirror_remove(a, "../secret"), SVD_EINVALID);
	th_path(p, sizeof(p), "%s/mirrors/network/secret", th_tmp);
	assert_true(exists(p));
	assert_int_equal(svd_network_mirrors(&m, &n, a), 0);
	assert_int_equal(n, 1);
	free(m);

	/* what is found in mirrors/ is read as untrusted: named, exact, no links, no FIFOs */
	th_path(p, sizeof(p), "%s/mirrors/network/mirrors/bad.pub", th_tmp);
	th_write_text(p, PUB_HEAD HEX64);
	assert_int_equal(svd_network_mirrors(&m, &n, a), SVD_ECORRUPT);
	th_expect_msg("bad.pub: public key file: line 2 does not end with a newline");
	assert_null(m);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(svd_network_mirrors(&m, &n, a), SVD_ECORRUPT);
	th_expect_msg("not a regular file");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("../secret", p), 0);
	assert_int_equal(svd_network_mirrors(&m, &n, a), SVD_ECORRUPT);
	th_expect_msg("a link");
	assert_int_equal(unlink(p), 0);
	th_path(p, sizeof(p), "%s/mirrors/network/mirrors/no good.pub", th_tmp);
	th_write_text(p, PUB_HEAD HEX64 "\n");
	assert_int_equal(svd_network_mirrors(&m, &n, a), SVD_ECORRUPT);
	th_expect_msg("not a mirror's name");
	assert_int_equal(unlink(p), 0);
	/* an interrupted write's temporary is no mirror */
	th_path(p, sizeof(p), "%s/mirrors/network/mirrors/x.pub.tmp-12345678", th_tmp);
	th_write_text(p, "half");
	assert_int_equal(svd_network_mirrors(&m, &n, a), 0);
	assert_int_equal(n, 1);
	free(m);

	/* a public key file read from anywhere: the same rules, and a size cap */
	th_path(p, sizeof(p), "%s/big.pub", th_tmp);
	{
		char big[SVD_NETWORK_KEYFILE_MAX + 10];
		memset(big, 'a', sizeof(big));
		th_write_file(p, big, sizeof(big));
	}
	assert_int_equal(svd_network_public_read(k1, p), SVD_ETOOBIG);
	th_path(p, sizeof(p), "%s/nope.pub", th_tmp);
	assert_int_equal(svd_network_public_read(k1, p), SVD_ENOTFOUND);
	th_path(p, sizeof(p), "%s/k2.pub", th_tmp);
	assert_int_equal(svd_network_public_write(k2, p), 0);
	assert_int_equal(svd_network_public_read(k1, p), 0);
	assert_memory_equal(k1, k2, sizeof(k1));
	assert_int_equal(mode_of(p), 0644);
	svd_archive_free(a);
}

/* Seal in one archive for another, open with the other's ring (and the sender's own). */
static void test_ring(void **state)
{
	svd_archive *a = th_archive_new(th_tmp, "ring-a"), *b = th_archive_new(th_tmp, "ring-b");
	uint8_t pa[SVD_SEAL_KEY_LEN], pb[SVD_SEAL_KEY_LEN], cur[SVD_SEAL_KEY_LEN];
	uint8_t(*to)[SVD_SEAL_KEY_LEN] = NULL;
	svd_seal_keys *ka = NULL, *kb = NULL;
	svd_seal_to st;
	svd_sealer *s = NULL;
	svd_unsealer *u = NULL;
	svd_seal_kind kind = 0;
	char p[4096], stamp[SVD_NETWORK_STAMP_LEN + 1], buf[64];
	uint64_t size = 0;
	size_t n = 0;
	int fd;

	(void)state;
	assert_int_equal(svd_network_key_public(pa, a), 0);
	assert_int_equal(svd_network_key_public(pb, b), 0);
	assert_int_equal(svd_network_mirror_add(a, "b", pb), 0);
	assert_int_equal(svd_network_mirror_add(b, "a", pa), 0);
	assert_int_equal(svd_archive_seal_keys(a, &ka), 0);
	assert_int_equal(svd_seal_keys_own_count(ka), 1);
	assert_int_equal(svd_seal_keys_mirror_count(ka), 1);
	assert_int_equal(svd_seal_keys_current(ka, cur), 0);
	assert_memory_equal(cur, pa, sizeof(pa));

	assert_int_equal(svd_network_recipients(&to, &n, a), 0);
	memset(&st, 0, sizeof(st));
	st.from = ka;
	st.mirrors = (const uint8_t(*)[SVD_SEAL_KEY_LEN])to;
	st.nmirrors = n;
	th_path(p, sizeof(p), "%s/for-b.sealed", th_tmp);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(svd_sealer_new(&s, fd, &st, SVD_SEAL_HAVE), 0);
	assert_int_equal(svd_sealer_write(s, "for b", 5), 0);
	assert_int_equal(svd_sealer_finish(s, &size), 0);
	svd_sealer_free(s);
	free(to);

	/* b rotates: the file sealed to its old key still opens, through the retired key */
	assert_int_equal(svd_network_rotate(pb, stamp, b), 0);
	assert_int_equal(svd_archive_seal_keys(b, &kb), 0);
	assert_int_equal(svd_seal_keys_own_count(kb), 2);
	assert_int_equal(svd_seal_keys_current(kb, cur), 0);
	assert_memory_equal(cur, pb, sizeof(pb));
	assert_int_equal(svd_unseal_open(&u, fd, size, kb, &kind), 0);
	assert_int_equal(kind, SVD_SEAL_HAVE);
	assert_int_equal(svd_unseal_pread(u, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "for b", 5);
	svd_unseal_free(u);
	svd_seal_keys_free(kb);

	/* and once b forgets the old key, nothing here opens it */
	assert_int_equal(svd_network_forget(b, -1, NULL), 0);
	assert_int_equal(svd_archive_seal_keys(b, &kb), 0);
	assert_int_equal(svd_seal_keys_own_count(kb), 1);
	assert_int_equal(svd_unseal_open(&u, fd, size, kb, &kind), SVD_ENOKEY);
	svd_seal_keys_free(kb);

	/* a rotation cut short leaves the current key retired too: one key in the ring */
	th_path(p, sizeof(p), "%s/ring-b/network/secret", th_tmp);
	{
		char *text = th_read_file(p, NULL), q[4096];
		th_path(q, sizeof(q), "%s/ring-b/network/retired/20240101T000000Z.secret", th_tmp);
		th_write_text(q, text);
		free(text);
	}
	assert_int_equal(svd_archive_seal_keys(b, &kb), 0);
	assert_int_equal(svd_seal_keys_own_count(kb), 1);
	svd_seal_keys_free(kb);

	/* a damaged mirror's file keeps the ring from loading, and names the file */
	th_path(p, sizeof(p), "%s/ring-b/network/mirrors/a.pub", th_tmp);
	th_write_text(p, PUB_HEAD HEX64 "\r\n");
	assert_int_equal(svd_archive_seal_keys(b, &kb), SVD_ECORRUPT);
	th_expect_msg("mirrors/a.pub: public key file: line 2 ends in CR LF");
	assert_null(kb);
	/* a key of small order placed by hand */
	th_write_text(p, PUB_HEAD
	              "0000000000000000000000000000000000000000000000000000000000000000\n");
	assert_int_equal(svd_archive_seal_keys(b, &kb), SVD_ECORRUPT);
	th_expect_msg("a.pub");

	close(fd);
	svd_seal_keys_free(ka);
	svd_archive_free(a);
	svd_archive_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_files), cmocka_unit_test(test_key_files_must_fail),
	    cmocka_unit_test(test_own_keys),  cmocka_unit_test(test_mirrors),
	    cmocka_unit_test(test_ring),
	};
	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
