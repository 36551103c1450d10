/*
 * revoke.c: revocation certificates (NAME.revoke; SPEC.md, 4.6).
 *
 * The file is text that a person may have to type back from paper, so it
 * is line-based like minisign's own files and checked as strictly: a first
 * line that names the key, "#" lines of explanation, then three labelled
 * parts with exactly their own lines. Nothing else, and nothing after.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "samvydav/revoke.h"
#include "buf.h"
#include "key_internal.h"
#include "util.h"

#define FIRST_LINE   "# samvydav revocation certificate for key "
#define MANIFEST     "manifest.json"
#define NOTE_MAX     1024 /* bytes of one "#" line */
#define PARTS_LINES  10   /* labels and parts: 1 + 1, 1 + 4, 1 + 2 */
#define LINES_MAX    (1 + SVD_REVOKE_NOTES_MAX + PARTS_LINES)
#define WHAT_DEFAULT "revocation certificate"

struct svd_revoke_file {
	svd_manifest *m;
	svd_sig *sig;
	svd_pubkey *pk;
};

void svd_revoke_file_free(svd_revoke_file *r)
{
	if (!r)
		return;
	svd_manifest_free(r->m);
	svd_sig_free(r->sig);
	svd_pubkey_free(r->pk);
	free(r);
}

const svd_manifest *svd_revoke_file_manifest(const svd_revoke_file *r)
{
	return r ? r->m : NULL;
}

const svd_sig *svd_revoke_file_sig(const svd_revoke_file *r)
{
	return r ? r->sig : NULL;
}

const svd_pubkey *svd_revoke_file_pubkey(const svd_revoke_file *r)
{
	return r ? r->pk : NULL;
}

/* Are two public keys the same key: number and all 32 bytes? */
static int same_key(const svd_pubkey *a, const svd_pubkey *b)
{
	return !memcmp(svd_pubkey_id_bytes(a), svd_pubkey_id_bytes(b), 8) &&
	       !memcmp(svd_pubkey_bytes(a), svd_pubkey_bytes(b), 32);
}

/*
 * The parts belong together: a revocation of the file's key, signed by that
 * key, and the signature verifies. What make() builds and parse() reads.
 */
static int check_parts(const svd_revoke_file *r, const char *keyid, const char *what)
{
	const svd_pubkey *revoked = svd_manifest_key(r->m);
	const char *bytes;
	size_t len;
	int error;

	if (svd_manifest_kind(r->m) != SVD_KIND_REVOCATION)
		return svd_error_set(SVD_ECORRUPT, "%s: manifest.json: kind is %s, not revocation",
		                     what, svd_kind_name(svd_manifest_kind(r->m)));
	if (strcmp(svd_sig_keyid(r->sig), keyid) != 0)
		return svd_error_set(SVD_ECORRUPT, "%s: the signature is by key %s, not by key %s",
		                     what, svd_sig_keyid(r->sig), keyid);
	if (strcmp(svd_pubkey_id(r->pk), keyid) != 0)
		return svd_error_set(SVD_ECORRUPT, "%s: the public key is key %s, not key %s", what,
		                     svd_pubkey_id(r->pk), keyid);
	if (!same_key(revoked, r->pk))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: the revocation is of key %s, not of the key %s that the "
		                     "file holds",
		                     what, svd_pubkey_id(revoked), keyid);
	bytes = svd_manifest_bytes(r->m, &len);
	if ((error = svd_sig_verify(r->sig, r->pk, bytes, len)) < 0) {
		char why[512];
		snprintf(why, sizeof(why), "%s", svd_error_last());
		return svd_error_set(error, "%s: the signature does not verify: %s", what, why);
	}
	return 0;
}

int svd_revoke_file_make(svd_revoke_file **out, const svd_seckey *sk, svd_outside outside,
                         const char *created)
{
	svd_revoke_file *r = NULL;
	char title[64], now[32], comment[256];
	const char *bytes;
	size_t len;
	int error;

	*out = NULL;
	if (outside != SVD_OUTSIDE_KEEP && outside != SVD_OUTSIDE_HIDE)
		return svd_error_set(SVD_EINVALID,
		                     "a revocation says \"keep\" or \"hide\" for the key's items "
		                     "outside every checkpoint");
	if (!created) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		created = now;
	}
	if (!(r = calloc(1, sizeof(*r))))
		return svd_error_set(SVD_ERROR, "out of memory");
	snprintf(title, sizeof(title), "Revocation of key %s", svd_seckey_id(sk));
	if ((error = svd_seckey_pubkey(&r->pk, sk)) < 0 || (error = svd_manifest_new(&r->m)) < 0 ||
	    (error = svd_manifest_set_kind(r->m, SVD_KIND_REVOCATION)) < 0 ||
	    (error = svd_manifest_set(r->m, "title", title)) < 0 ||
	    (error = svd_manifest_set(r->m, "lang", "en")) < 0 ||
	    (error = svd_manifest_set(r->m, "created", created)) < 0 ||
	    (error = svd_manifest_set_key(r->m, r->pk)) < 0 ||
	    (error = svd_manifest_set_outside(r->m, outside)) < 0 ||
	    (error = svd_manifest_serialize(r->m)) < 0)
		goto cleanup;
	bytes = svd_manifest_bytes(r->m, &len);
	snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:%s\titem:%s\thashed",
	         (long long)time(NULL), MANIFEST, svd_manifest_id(r->m));
	if ((error = svd_sig_create(&r->sig, sk, bytes, len, comment, NULL)) < 0 ||
	    (error = check_parts(r, svd_seckey_id(sk), WHAT_DEFAULT)) < 0)
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	svd_revoke_file_free(r);
	return error;
}

/* Is this line exactly the text s? */
static int line_is(const struct svd_line *l, const char *s)
{
	return l->len == strlen(s) && !memcmp(l->s, s, l->len);
}

/* Lines [from, from + n) joined again with "\n" after each, for minisign's parsers. */
static char *join(const struct svd_line *lines, size_t from, size_t n, size_t *len)
{
	size_t i, size = 1, o = 0;
	char *buf;

	for (i = 0; i < n; i++)
		size += lines[from + i].len + 1;
	if (!(buf = malloc(size))) {
		svd_error_set(SVD_ERROR, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		memcpy(buf + o, lines[from + i].s, lines[from + i].len);
		o += lines[from + i].len;
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	*len = o;
	return buf;
}

static int parse_as(svd_revoke_file **out, const char *buf, size_t len, const char *what)
{
	struct svd_line lines[LINES_MAX];
	char keyid[SVD_KEYID_HEX_LEN + 1], label[64], *part = NULL;
	svd_revoke_file *r = NULL;
	size_t at, plen, partlen;
	int n, error;

	*out = NULL;
	if (len > SVD_REVOKE_FILE_MAX)
		return svd_error_set(SVD_ETOOBIG, "%s: %zu bytes, over the limit of %d bytes", what,
		                     len, SVD_REVOKE_FILE_MAX);
	if ((n = svd_lines_split(lines, LINES_MAX, buf, len, what)) < 0)
		return n;
	plen = strlen(FIRST_LINE);
	if (n == 0 || lines[0].len != plen + SVD_KEYID_HEX_LEN ||
	    memcmp(lines[0].s, FIRST_LINE, plen) != 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 1 is not \"" FIRST_LINE
		                     "KEYID\" (not a samvydav revocation certificate)",
		                     what);
	memcpy(keyid, lines[0].s + plen, SVD_KEYID_HEX_LEN);
	keyid[SVD_KEYID_HEX_LEN] = '\0';
	if (!svd_keyid_valid(keyid))
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: line 1: the key id is not 16 uppercase hex digits", what);
	for (at = 1; at < (size_t)n && lines[at].len > 0 && lines[at].s[0] == '#'; at++) {
		if (lines[at].len > NOTE_MAX)
			return svd_error_set(
			    SVD_ETOOBIG, "%s: line %zu: a note of %zu bytes, over the limit of %d",
			    what, at + 1, lines[at].len, NOTE_MAX);
		if (!svd_utf8_valid(lines[at].s, lines[at].len) ||
		    svd_utf8_control_at(lines[at].s, lines[at].len) >= 0)
			return svd_error_set(SVD_ECORRUPT,
			                     "%s: line %zu: a note that is not UTF-8 text without "
			                     "control characters",
			                     what, at + 1);
	}
	if (at - 1 > SVD_REVOKE_NOTES_MAX)
		return svd_error_set(SVD_ECORRUPT, "%s: more than %d lines of notes", what,
		                     SVD_REVOKE_NOTES_MAX);
	if ((size_t)n - at != PARTS_LINES)
		return svd_error_set(SVD_ECORRUPT,
		                     "%s: %zu lines after the notes, not %d (manifest.json and "
		                     "its line, the signature's name and its 4 lines, the public "
		                     "key's name and its 2 lines)",
		                     what, (size_t)n - at, PARTS_LINES);
	if (!(r = calloc(1, sizeof(*r))))
		return svd_error_set(SVD_ERROR, "out of memory");

	if (!line_is(&lines[at], MANIFEST)) {
		error = svd_error_set(SVD_ECORRUPT, "%s: line %zu is not \"" MANIFEST "\"", what,
		                      at + 1);
		goto cleanup;
	}
	if ((error = svd_manifest_parse(&r->m, lines[at + 1].s, lines[at + 1].len)) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", svd_error_last());
		error = svd_error_set(error == SVD_ETOOBIG ? SVD_ETOOBIG : SVD_ECORRUPT,
		                      "%s: line %zu: %s", what, at + 2, why);
		goto cleanup;
	}

	snprintf(label, sizeof(label), "sig/%s.minisig", keyid);
	if (!line_is(&lines[at + 2], label)) {
		error =
		    svd_error_set(SVD_ECORRUPT, "%s: line %zu is not \"%s\"", what, at + 3, label);
		goto cleanup;
	}
	if (!(part = join(lines, at + 3, 4, &partlen))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = svd_sig_parse(&r->sig, part, partlen)) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", svd_error_last());
		error =
		    svd_error_set(SVD_ECORRUPT, "%s: lines %zu-%zu: %s", what, at + 4, at + 7, why);
		goto cleanup;
	}
	free(part);
	part = NULL;

	snprintf(label, sizeof(label), "%s.pub", keyid);
	if (!line_is(&lines[at + 7], label)) {
		error =
		    svd_error_set(SVD_ECORRUPT, "%s: line %zu is not \"%s\"", what, at + 8, label);
		goto cleanup;
	}
	if (!(part = join(lines, at + 8, 2, &partlen))) {
		error = SVD_ERROR;
		goto cleanup;
	}
	if ((error = svd_pubkey_parse(&r->pk, part, partlen)) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", svd_error_last());
		error = svd_error_set(SVD_ECORRUPT, "%s: lines %zu-%zu: %s", what, at + 9, at + 10,
		                      why);
		goto cleanup;
	}
	if ((error = check_parts(r, keyid, what)) < 0)
		goto cleanup;
	*out = r;
	r = NULL;
cleanup:
	free(part);
	svd_revoke_file_free(r);
	return error;
}

int svd_revoke_file_parse(svd_revoke_file **out, const char *buf, size_t len)
{
	return parse_as(out, buf, len, WHAT_DEFAULT);
}

int svd_revoke_file_read(svd_revoke_file **out, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	int error;

	*out = NULL;
	if ((error = svd_file_read(&buf, &len, path, SVD_REVOKE_FILE_MAX)) < 0)
		return error;
	error = parse_as(out, buf, len, path);
	free(buf);
	return error;
}

/*
 * The notes say, for whoever finds the file (on paper, years later), what it
 * is and what to do with it, before anything technical.
 */
int svd_revoke_file_format(char **out, size_t *len, const svd_revoke_file *r)
{
	const char *id = svd_pubkey_id(r->pk), *bytes;
	char *sig = NULL, *pub = NULL;
	size_t mlen, slen, plen;
	svd_buf b;
	int error;

	*out = NULL;
	*len = 0;
	bytes = svd_manifest_bytes(r->m, &mlen);
	if ((error = svd_sig_format(&sig, &slen, r->sig)) < 0 ||
	    (error = svd_pubkey_format(&pub, &plen, r->pk)) < 0)
		goto cleanup;
	svd_buf_init(&b, SVD_REVOKE_FILE_MAX);
	svd_buf_puts(&b, FIRST_LINE);
	svd_buf_puts(&b, id);
	svd_buf_puts(&b, "\n#\n# This file revokes the samvydav editor's key ");
	svd_buf_puts(&b, id);
	svd_buf_puts(&b, ".\n"
	                 "# Keep it apart from the key: give it to a colleague you trust, or\n"
	                 "# print it and keep the paper in a safe place.\n"
	                 "#\n"
	                 "# If the key is lost or taken, or its holder is, publish this file:\n"
	                 "#     samvydav revoke --publish FILE.revoke\n"
	                 "# or give it to any editor or mirror operator who can. Every mirror\n"
	                 "# it reaches then stops trusting the key. ");
	svd_buf_puts(&b, svd_manifest_outside(r->m) == SVD_OUTSIDE_KEEP
	                     ? "What it signed before stays\n# shown.\n"
	                     : "What it signed is hidden,\n"
	                       "# except the items a checkpoint vouched for before.\n");
	svd_buf_puts(&b, "#\n"
	                 "# Whoever holds this file can revoke the key, but cannot sign with it.\n"
	                 "# The lines below are the revocation itself: its manifest.json, its\n"
	                 "# signature by the key, and the key's public key file. Keep them\n"
	                 "# exactly as they are.\n"
	                 "#\n" MANIFEST "\n");
	svd_buf_put(&b, bytes, mlen);
	svd_buf_puts(&b, "\nsig/");
	svd_buf_puts(&b, id);
	svd_buf_puts(&b, ".minisig\n");
	svd_buf_put(&b, sig, slen);
	svd_buf_puts(&b, id);
	svd_buf_puts(&b, ".pub\n");
	svd_buf_put(&b, pub, plen);
	if (b.error) {
		error = svd_error_set(b.error, "revocation certificate of key %s: %s", id,
		                      b.error == SVD_ETOOBIG ? "too long" : "out of memory");
		svd_buf_clear(&b);
		goto cleanup;
	}
	*out = b.data;
	*len = b.len;
cleanup:
	free(sig);
	free(pub);
	return error;
}

int svd_revoke_file_write(const svd_revoke_file *r, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int error;

	if ((error = svd_revoke_file_format(&text, &len, r)) < 0)
		return error;
	error = svd_file_write_atomic(path, text, len, 0600, 1);
	free(text);
	return error;
}
