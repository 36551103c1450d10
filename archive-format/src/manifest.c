/*
 * manifest.c: an item's manifest.json: the schema, the canonical bytes, the id.
 *
 * One function, check_json(), holds the whole schema. Parsing runs it over
 * what canonical JSON parsing produced and fills the manifest from it;
 * serializing builds the JSON value from the fields and runs it before the
 * dump. So what svd_manifest_serialize() writes is exactly what
 * svd_manifest_parse() accepts, and an item has one manifest form only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <utf8proc.h>

#include "samvydav/manifest.h"
#include "canon.h"
#include "sha256.h"
#include "util.h"

#define LANG_MAX   35   /* bytes of a language tag */
#define SOURCE_MAX 2048 /* bytes of a source URL */
#define SHOWN_MAX  80   /* bytes of a caller's value repeated in a message */

#define STR_(x) #x
#define STR(x)  STR_(x)

enum field {
	F_TITLE,
	F_LANG,
	F_CREATED,
	F_PUBLISHED,
	F_SOURCE,
	F_REGION,
	F_SUPERSEDES,
	F_RETRACTS,
	F_KEY,     /* format 2: a certificate's or revocation's */
	F_OUTSIDE, /* format 2: a revocation's */
	F_COUNT
};

struct svd_manifest {
	svd_kind kind;
	char *field[F_COUNT];
	char **authors;
	size_t nauthors;
	char **tags;
	size_t ntags;
	svd_manifest_file *files;
	char **keys; /* files[i]'s path_key(), NULL until files are listed */
	size_t nfiles;
	svd_pubkey *key; /* field[F_KEY], parsed */
	char (*items)[SVD_ID_HEX_LEN + 1];
	size_t nitems;
	int format;  /* of the bytes; 0 while there are none */
	char *bytes; /* canonical bytes, after parse or serialize */
	size_t len;
	int compact; /* svd_manifest_compact(): one block, no files, no bytes; read-only */
	char id[SVD_ID_HEX_LEN + 1];
};

static const char *const kind_names[] = {"article",     "testimony",  "correction", "retraction",
                                         "certificate", "revocation", "checkpoint"};

#define KIND_NAMES "article, testimony, correction, retraction, certificate, revocation, checkpoint"

/* The base64 line of a minisign public key: 42 bytes, no padding. */
#define KEY_LINE_LEN 56

/*
 * Each check returns NULL for a good value, or what is wrong with it. They
 * take a length because parsed strings come with one.
 */
typedef const char *(*check_fn)(const char *s, size_t n);

static const char *text_problem(const char *s, size_t n);
static const char *lang_problem(const char *s, size_t n);
static const char *datetime_problem(const char *s, size_t n);
static const char *date_problem(const char *s, size_t n);
static const char *source_problem(const char *s, size_t n);
static const char *id_problem(const char *s, size_t n);
static const char *key_problem(const char *s, size_t n);
static const char *outside_problem(const char *s, size_t n);

static const struct {
	const char *name;
	check_fn check;
	int required;
} fields[F_COUNT] = {
    [F_TITLE] = {"title", text_problem, 1},         /* required */
    [F_LANG] = {"lang", lang_problem, 1},           /* required */
    [F_CREATED] = {"created", datetime_problem, 1}, /* required */
    [F_PUBLISHED] = {"published", date_problem, 0}, /* optional */
    [F_SOURCE] = {"source", source_problem, 0},     /* optional */
    [F_REGION] = {"region", text_problem, 0},       /* optional */
    [F_SUPERSEDES] = {"supersedes", id_problem, 0}, /* required for a correction */
    [F_RETRACTS] = {"retracts", id_problem, 0},     /* a retraction's, and required */
    [F_KEY] = {"key", key_problem, 0},              /* a certificate's or revocation's */
    [F_OUTSIDE] = {"outside", outside_problem, 0},  /* a revocation's */
};

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A caller's value, safe to repeat in a message: printable, valid UTF-8, short. */
static const char *shown(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(s), i, o = 0;
	int utf8 = svd_utf8_valid(s, n);

	for (i = 0; i < n && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8) ||
		    (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] <= 0x9F)) {
			buf[o++] = '?';
			if (c == 0xC2 && utf8)
				i++;
			continue;
		}
		buf[o++] = (char)c;
	}
	if (i < n) {
		/* do not cut a UTF-8 sequence in two */
		while (o > 0 && ((unsigned char)buf[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && (unsigned char)buf[o - 1] >= 0xC0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *text_problem(const char *s, size_t n)
{
	if (n == 0)
		return "empty (leave an optional field out instead)";
	if (n > SVD_TEXT_MAX)
		return "longer than " STR(SVD_TEXT_MAX) " bytes";
	if (!svd_utf8_valid(s, n))
		return "not valid UTF-8";
	if (svd_utf8_control_at(s, n) >= 0)
		return "holds a control character (U+0000..U+001F, U+007F..U+009F)";
	return NULL;
}

/*
 * BCP 47 in the shape we accept: a primary subtag of 2-8 letters, then
 * subtags of 1-8 letters or digits, joined by '-'. Case is kept as given.
 */
static const char *lang_problem(const char *s, size_t n)
{
	static const char bad[] = "not a BCP 47 language tag (like uk, en-GB, crh-Latn)";
	size_t i = 0, start = 0;

	if (n == 0 || n > LANG_MAX)
		return n ? "longer than 35 bytes" : bad;
	for (i = 0; i <= n; i++) {
		size_t len;

		if (i < n && s[i] != '-') {
			if (!is_alpha(s[i]) && !(start > 0 && is_digit(s[i])))
				return bad;
			continue;
		}
		len = i - start;
		if (len < (start == 0 ? 2u : 1u) || len > 8)
			return bad;
		start = i + 1;
	}
	return NULL;
}

/* n digits from s as a number, or -1. */
static int number(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD, a day of the proleptic Gregorian calendar, years 0001-9999. */
static const char *date_problem(const char *s, size_t n)
{
	int y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return "not a date YYYY-MM-DD";
	y = number(s, 4);
	m = number(s + 5, 2);
	d = number(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return "not a date YYYY-MM-DD";
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return "no such date";
	return NULL;
}

/* YYYY-MM-DDTHH:MM:SSZ in UTC; no fractions, no offsets, no leap second. */
static const char *datetime_problem(const char *s, size_t n)
{
	static const char bad[] = "not a UTC time YYYY-MM-DDTHH:MM:SSZ";
	int h, m, sec;

	if (n != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return bad;
	if (date_problem(s, 10))
		return date_problem(s, 10);
	h = number(s + 11, 2);
	m = number(s + 14, 2);
	sec = number(s + 17, 2);
	if (h < 0 || m < 0 || sec < 0)
		return bad;
	if (h > 23 || m > 59 || sec > 59)
		return "no such time of day";
	return NULL;
}

static const char *source_problem(const char *s, size_t n)
{
	size_t skip;

	if (n > SOURCE_MAX)
		return "longer than " STR(SOURCE_MAX) " bytes";
	if (n >= 7 && memcmp(s, "http://", 7) == 0)
		skip = 7;
	else if (n >= 8 && memcmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return "not an http:// or https:// URL";
	if (n == skip || s[skip] == '/')
		return "a URL without a host";
	if (!svd_utf8_valid(s, n))
		return "not valid UTF-8";
	if (memchr(s, ' ', n) || svd_utf8_control_at(s, n) >= 0)
		return "holds a space or a control character (percent-encode it)";
	return NULL;
}

static const char *id_problem(const char *s, size_t n)
{
	if (n != SVD_ID_HEX_LEN || !svd_id_valid(s))
		return "not an item id (64 lowercase hex digits)";
	return NULL;
}

/*
 * The public key line of minisign's key file, checked as a key file is
 * (key.c): a key that could never verify anything is refused here too.
 */
static const char *key_problem(const char *s, size_t n)
{
	svd_pubkey *pk = NULL;
	size_t i;

	if (n != KEY_LINE_LEN)
		return "not the base64 line of a minisign public key (56 characters)";
	for (i = 0; i < n; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '/')
			return "not the base64 line of a minisign public key (56 characters)";
	if (svd_pubkey_parse(&pk, s, n) < 0) {
		svd_error_clear();
		return "not a usable minisign Ed25519 public key (algorithm \"Ed\", a valid, "
		       "not small-order point)";
	}
	svd_pubkey_free(pk);
	return NULL;
}

static const char *outside_problem(const char *s, size_t n)
{
	if ((n == 4 && !memcmp(s, "keep", 4)) || (n == 4 && !memcmp(s, "hide", 4)))
		return NULL;
	return "not \"keep\" or \"hide\"";
}

/* Each code point to its simple uppercase: how NTFS, exFAT and FAT compare names. */
static utf8proc_int32_t upper_cp(utf8proc_int32_t cp, void *data)
{
	(void)data;
	return utf8proc_toupper(cp);
}

/*
 * The key a payload file name collides on (SPEC.md 3.3.6): two names of
 * one item with the same key would be one file on some disk an item is
 * unpacked to. Canonical decomposition (APFS and HFS+ ignore the
 * normalization form), each code point to its simple uppercase (NTFS,
 * exFAT and FAT, which compare through an uppercase table: ı = I = i),
 * full case folding (ext4's casefold, Straße = STRASSE), default
 * ignorables dropped (HFS+ skips the zero-width ones), and NFC. All from
 * utf8proc's Unicode 15.0 data. An ASCII name's key is it in lower case.
 * *out is the caller's to free().
 */
static int path_key(char **out, const char *p, size_t n)
{
	utf8proc_uint8_t *nfd = NULL, *key = NULL;
	utf8proc_ssize_t len;
	size_t i;

	*out = NULL;
	for (i = 0; i < n && (unsigned char)p[i] < 0x80; i++)
		;
	if (i == n) {
		if (!(*out = malloc(n + 1)))
			return svd_error_set(SVD_ERROR, "out of memory");
		for (i = 0; i < n; i++)
			(*out)[i] = (char)ascii_lower((unsigned char)p[i]);
		(*out)[n] = '\0';
		return 0;
	}
	len = utf8proc_map((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)n, &nfd,
	                   UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
	if (len >= 0)
		len = utf8proc_map_custom(nfd, len, &key,
		                          UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
		                              UTF8PROC_IGNORE,
		                          upper_cp, NULL);
	free(nfd);
	if (len < 0)
		return svd_error_set(len == UTF8PROC_ERROR_NOMEM ? SVD_ERROR : SVD_EINVALID,
		                     "file name: %s", utf8proc_errmsg(len));
	*out = (char *)key;
	return 0;
}

/*
 * A Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, COM and LPT
 * with a superscript 1, 2 or 3, CONIN$, CONOUT$), in any case and with
 * any extension: the part before the first '.', spaces at its end aside.
 * Windows opens the device for any of these, whatever the folder.
 */
static int windows_device(const char *p, size_t n)
{
	static const char *const names[] = {"con", "prn", "aux", "nul", "conin$", "conout$"};
	char base[8];
	size_t len = 0, i;

	while (len < n && p[len] != '.')
		len++;
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len < 3 || len >= sizeof(base))
		return 0;
	for (i = 0; i < len; i++)
		base[i] = (char)ascii_lower((unsigned char)p[i]);
	base[len] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i]) == 0)
			return 1;
	if (strncmp(base, "com", 3) != 0 && strncmp(base, "lpt", 3) != 0)
		return 0;
	/* a digit, or ¹ ² ³ (U+00B9, U+00B2, U+00B3) */
	return (len == 4 && is_digit(base[3])) ||
	       (len == 5 && (unsigned char)base[3] == 0xC2 &&
	        ((unsigned char)base[4] == 0xB9 || (unsigned char)base[4] == 0xB2 ||
	         (unsigned char)base[4] == 0xB3));
}

/* Does the name hold a code point that Unicode 15.0 leaves unassigned (or a noncharacter)? */
static int unassigned(const char *p, size_t n)
{
	size_t i = 0, used;

	while (i < n) {
		if ((unsigned char)p[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8proc_category((utf8proc_int32_t)svd_utf8_next(p + i, n - i, &used)) ==
		    UTF8PROC_CATEGORY_CN)
			return 1;
		i += used;
	}
	return 0;
}

/*
 * What path_problem() returns when a name could not be judged for want of
 * memory: an error of the caller's, never a problem of the name (an item
 * is not refused because this machine ran out of memory).
 */
static const char NO_MEMORY[] = "out of memory";

/* A reserved name: manifest.json or sig, compared by key (so "ſig" is "sig" too). */
static const char *reserved_problem(const char *p, size_t n)
{
	static const char *const reserved[] = {"manifest.json", "sig"};
	const char *problem = NULL;
	char *key;
	size_t i;
	int error;

	if ((error = path_key(&key, p, n)) < 0)
		return error == SVD_ERROR ? NO_MEMORY : "cannot be case-folded (not valid Unicode)";
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(key, reserved[i]) == 0)
			problem = "a reserved name (manifest.json and sig belong to the item)";
	free(key);
	return problem;
}

static const char *path_problem(const char *p, size_t n)
{
	if (n == 0)
		return "empty";
	if (n > SVD_NAME_MAX)
		return "longer than " STR(SVD_NAME_MAX) " bytes";
	if (!svd_utf8_valid(p, n))
		return "not valid UTF-8";
	if (svd_utf8_control_at(p, n) >= 0)
		return "holds a control character";
	if (strcspn(p, "/\\") < n)
		return "holds '/' or '\\' (a payload file is a plain name in the item's folder)";
	if (strcspn(p, ":*?\"<>|") < n)
		return "holds one of : * ? \" < > | (not allowed on every file system)";
	if (p[0] == '.')
		return "starts with '.' (no hidden files)";
	if (p[n - 1] == '.' || p[n - 1] == ' ')
		return "ends with '.' or a space";
	if (unassigned(p, n))
		return "holds a code point that Unicode 15.0 does not assign (a name must compare "
		       "the same on every machine)";
	if (windows_device(p, n))
		return "a name Windows reserves for a device (CON, PRN, AUX, NUL, COM0-9, LPT0-9, "
		       "with any extension): rename it";
	return reserved_problem(p, n);
}

const char *svd_kind_name(svd_kind kind)
{
	if ((int)kind < 0 || (size_t)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return NULL;
	return kind_names[kind];
}

int svd_kind_parse(svd_kind *out, const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (svd_kind)i;
			return 0;
		}
	}
	return svd_error_set(SVD_EINVALID, "kind: not one of " KIND_NAMES);
}

int svd_kind_is_statement(svd_kind kind)
{
	return kind == SVD_KIND_CERTIFICATE || kind == SVD_KIND_REVOCATION ||
	       kind == SVD_KIND_CHECKPOINT;
}

/* Ids are checked for every item of every listing: branch-free, a byte at a time. */
int svd_id_valid(const char *s)
{
	unsigned bad = 0;
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < SVD_ID_HEX_LEN; i++) {
		unsigned char c = (unsigned char)s[i];
		/* 0-9 or a-f: (c - '0') < 10 or (c - 'a') < 6, as unsigned */
		bad |= ((unsigned)(c - '0') >= 10u) & ((unsigned)(c - 'a') >= 6u);
		if (!c)
			return 0;
	}
	return !bad && s[SVD_ID_HEX_LEN] == '\0';
}

int svd_manifest_check_path(const char *path)
{
	char buf[SHOWN_MAX];
	const char *problem;

	if (!path)
		return svd_error_set(SVD_EINVALID, "file name: none given");
	problem = path_problem(path, strlen(path));
	if (problem == NO_MEMORY)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (problem)
		return svd_error_set(SVD_EINVALID, "file name \"%s\": %s",
		                     shown(buf, sizeof(buf), path), problem);
	return 0;
}

int svd_manifest_path_key(char **out, const char *path)
{
	int error;

	*out = NULL;
	if ((error = svd_manifest_check_path(path)) < 0)
		return error;
	return path_key(out, path, strlen(path));
}

int svd_manifest_new(svd_manifest **out)
{
	svd_manifest *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return svd_error_set(SVD_ERROR, "out of memory");
	m->kind = SVD_KIND_ARTICLE;
	*out = m;
	return 0;
}

void svd_manifest_free(svd_manifest *m)
{
	size_t i;

	if (!m)
		return;
	if (m->compact) {
		free(m); /* its parts are in the same block */
		return;
	}
	for (i = 0; i < F_COUNT; i++)
		free(m->field[i]);
	for (i = 0; i < m->nauthors; i++)
		free(m->authors[i]);
	free(m->authors);
	for (i = 0; i < m->ntags; i++)
		free(m->tags[i]);
	free(m->tags);
	for (i = 0; i < m->nfiles; i++) {
		free((char *)m->files[i].path);
		if (m->keys)
			free(m->keys[i]);
	}
	free(m->files);
	free(m->keys);
	svd_pubkey_free(m->key);
	free(m->items);
	free(m->bytes);
	free(m);
}

/* A compact manifest is read-only: its parts share one block. */
static int read_only(void)
{
	return svd_error_set(SVD_EINVALID, "manifest: a compact copy cannot be changed");
}

/* A change to a manifest makes its bytes and id stale. */
static void forget_bytes(svd_manifest *m)
{
	free(m->bytes);
	m->bytes = NULL;
	m->len = 0;
	m->format = 0;
	m->id[0] = '\0';
}

/* The format a manifest is written in: the lowest that holds its kind. */
static int format_for(svd_kind kind)
{
	return svd_kind_is_statement(kind) ? 2 : 1;
}

static int field_index(const char *name)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strcmp(name, fields[i].name) == 0)
			return i;
	return -1;
}

/*
 * Make room for element n of an array that holds 8, 16, 32... elements.
 * Returns the array, perhaps moved, or NULL (out of memory; it is unchanged).
 * The callers cap n.
 */
static void *grow(void *array, size_t n, size_t size)
{
	void *p;

	if (n > 0 && (n < 8 || (n & (n - 1)) != 0))
		return array;
	p = realloc(array, (n < 8 ? 8 : 2 * n) * size);
	if (!p)
		svd_error_set(SVD_ERROR, "out of memory");
	return p;
}

/* Put a prefix before the message already set, keeping the code. */
static int prefixed(int code, const char *prefix)
{
	char why[1024];

	snprintf(why, sizeof(why), "%s", svd_error_last());
	return svd_error_set(code, "%s%s", prefix, why);
}

int svd_manifest_set(svd_manifest *m, const char *field, const char *value)
{
	char buf[SHOWN_MAX];
	const char *problem;
	char *copy;
	int i;

	if (!m || !field)
		return svd_error_set(SVD_EINVALID, "manifest: no manifest or no field given");
	if (m->compact)
		return read_only();
	if (strcmp(field, "kind") == 0) {
		svd_kind kind;
		int error = svd_kind_parse(&kind, value);

		if (error < 0)
			return prefixed(error, "manifest: ");
		return svd_manifest_set_kind(m, kind);
	}
	i = field_index(field);
	if (i < 0)
		return svd_error_set(SVD_EINVALID, "manifest: no field \"%s\" (see SPEC.md)",
		                     shown(buf, sizeof(buf), field));
	if (!value) {
		free(m->field[i]);
		m->field[i] = NULL;
		if (i == F_KEY) {
			svd_pubkey_free(m->key);
			m->key = NULL;
		}
		forget_bytes(m);
		return 0;
	}
	problem = fields[i].check(value, strlen(value));
	if (problem)
		return svd_error_set(SVD_EINVALID, "manifest: %s: %s", field, problem);
	if (i == F_KEY) {
		svd_pubkey *pk = NULL;
		int error = svd_pubkey_parse(&pk, value, strlen(value));

		if (error < 0)
			return error;
		svd_pubkey_free(m->key);
		m->key = pk;
	}
	copy = svd_strdup(value);
	if (!copy)
		return SVD_ERROR;
	free(m->field[i]);
	m->field[i] = copy;
	forget_bytes(m);
	return 0;
}

int svd_manifest_set_key(svd_manifest *m, const svd_pubkey *pk)
{
	uint8_t blob[2 + 8 + 32];
	char line[KEY_LINE_LEN + 1];

	if (!m)
		return svd_error_set(SVD_EINVALID, "manifest: no manifest given");
	if (!pk)
		return svd_manifest_set(m, "key", NULL);
	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, svd_pubkey_id_bytes(pk), 8);
	memcpy(blob + 10, svd_pubkey_bytes(pk), 32);
	sodium_bin2base64(line, sizeof(line), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	return svd_manifest_set(m, "key", line);
}

int svd_manifest_set_outside(svd_manifest *m, svd_outside outside)
{
	switch (outside) {
	case SVD_OUTSIDE_NONE:
		return svd_manifest_set(m, "outside", NULL);
	case SVD_OUTSIDE_KEEP:
		return svd_manifest_set(m, "outside", "keep");
	case SVD_OUTSIDE_HIDE:
		return svd_manifest_set(m, "outside", "hide");
	}
	return svd_error_set(SVD_EINVALID, "manifest: outside: %d is not a choice", (int)outside);
}

/* A checkpoint's ids are a set: kept sorted, and adding one that is there changes nothing. */
int svd_manifest_add_item(svd_manifest *m, const char *id)
{
	char(*list)[SVD_ID_HEX_LEN + 1];
	size_t lo = 0, hi;

	if (!m || !id)
		return svd_error_set(SVD_EINVALID, "manifest: items: no id given");
	if (m->compact)
		return read_only();
	if (!svd_id_valid(id))
		return svd_error_set(SVD_EINVALID, "manifest: items: %s",
		                     id_problem(id, strlen(id)));
	hi = m->nitems;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, m->items[mid]);

		if (c == 0)
			return 0;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (m->nitems >= SVD_CHECKPOINT_MAX)
		return svd_error_set(SVD_EINVALID,
		                     "manifest: items: more than %d (make several checkpoints)",
		                     SVD_CHECKPOINT_MAX);
	if (!(list = grow(m->items, m->nitems, sizeof(*list))))
		return SVD_ERROR;
	m->items = list;
	memmove(m->items + lo + 1, m->items + lo, (m->nitems - lo) * sizeof(*m->items));
	memcpy(m->items[lo], id, SVD_ID_HEX_LEN + 1);
	m->nitems++;
	forget_bytes(m);
	return 0;
}

int svd_manifest_set_kind(svd_manifest *m, svd_kind kind)
{
	if (!m || !svd_kind_name(kind))
		return svd_error_set(SVD_EINVALID, "manifest: kind: %d is not a kind", (int)kind);
	if (m->compact)
		return read_only();
	m->kind = kind;
	forget_bytes(m);
	return 0;
}

int svd_manifest_add_author(svd_manifest *m, const char *author)
{
	const char *problem;
	char *copy, **list;

	if (!m || !author)
		return svd_error_set(SVD_EINVALID, "manifest: authors: no author given");
	if (m->compact)
		return read_only();
	problem = text_problem(author, strlen(author));
	if (problem)
		return svd_error_set(SVD_EINVALID, "manifest: authors[%zu]: %s", m->nauthors,
		                     problem);
	if (m->nauthors >= SVD_LIST_MAX)
		return svd_error_set(SVD_EINVALID, "manifest: authors: more than %d", SVD_LIST_MAX);
	if (!(list = grow(m->authors, m->nauthors, sizeof(*list))))
		return SVD_ERROR;
	m->authors = list;
	if (!(copy = svd_strdup(author)))
		return SVD_ERROR;
	m->authors[m->nauthors++] = copy;
	forget_bytes(m);
	return 0;
}

/* Tags are a set: kept sorted by bytes, and adding one that is there changes nothing. */
int svd_manifest_add_tag(svd_manifest *m, const char *tag)
{
	const char *problem;
	char *copy, **list;
	size_t at;

	if (!m || !tag)
		return svd_error_set(SVD_EINVALID, "manifest: tags: no tag given");
	if (m->compact)
		return read_only();
	problem = text_problem(tag, strlen(tag));
	if (problem)
		return svd_error_set(SVD_EINVALID, "manifest: tag: %s", problem);
	for (at = 0; at < m->ntags; at++) {
		int c = strcmp(tag, m->tags[at]);

		if (c == 0)
			return 0;
		if (c < 0)
			break;
	}
	if (m->ntags >= SVD_LIST_MAX)
		return svd_error_set(SVD_EINVALID, "manifest: tags: more than %d", SVD_LIST_MAX);
	if (!(list = grow(m->tags, m->ntags, sizeof(*list))))
		return SVD_ERROR;
	m->tags = list;
	if (!(copy = svd_strdup(tag)))
		return SVD_ERROR;
	memmove(m->tags + at + 1, m->tags + at, (m->ntags - at) * sizeof(*m->tags));
	m->tags[at] = copy;
	m->ntags++;
	forget_bytes(m);
	return 0;
}

int svd_manifest_add_file(svd_manifest *m, const char *path, uint64_t size,
                          const uint8_t sha256[32])
{
	char buf[SHOWN_MAX], buf2[SHOWN_MAX];
	svd_manifest_file *f;
	size_t at = 0, i;
	char *copy = NULL, *key = NULL, **keys;
	int error;

	if (!m || !sha256)
		return svd_error_set(SVD_EINVALID, "manifest: files: no manifest or no SHA-256");
	if (m->compact)
		return read_only();
	if ((error = svd_manifest_check_path(path)) < 0)
		return prefixed(error, "manifest: files: ");
	if (size > SVD_FILE_MAX_SIZE)
		return svd_error_set(SVD_EINVALID,
		                     "manifest: files: \"%s\": %llu bytes, over the limit of "
		                     "%llu bytes",
		                     shown(buf, sizeof(buf), path), (unsigned long long)size,
		                     (unsigned long long)SVD_FILE_MAX_SIZE);
	if ((error = path_key(&key, path, strlen(path))) < 0)
		return prefixed(error, "manifest: files: ");
	for (i = 0; i < m->nfiles; i++) {
		if (strcmp(key, m->keys[i]) == 0) {
			if (strcmp(path, m->files[i].path) == 0)
				error = svd_error_set(SVD_EINVALID,
				                      "manifest: files: \"%s\" is already listed",
				                      shown(buf, sizeof(buf), path));
			else
				error = svd_error_set(SVD_EINVALID,
				                      "manifest: files: \"%s\" is the same name as "
				                      "\"%s\" on a disk that "
				                      "ignores case or Unicode normalization "
				                      "(FAT32, exFAT, NTFS, APFS): "
				                      "rename one",
				                      shown(buf, sizeof(buf), path),
				                      shown(buf2, sizeof(buf2), m->files[i].path));
			goto cleanup;
		}
		if (strcmp(path, m->files[i].path) > 0)
			at = i + 1;
	}
	if (m->nfiles >= SVD_ITEM_MAX_FILES) {
		error = svd_error_set(SVD_EINVALID, "manifest: files: more than %d",
		                      SVD_ITEM_MAX_FILES);
		goto cleanup;
	}
	error = SVD_ERROR;
	if (!(f = grow(m->files, m->nfiles, sizeof(*f))))
		goto cleanup;
	m->files = f;
	if (!(keys = grow(m->keys, m->nfiles, sizeof(*keys))))
		goto cleanup;
	m->keys = keys;
	if (!(copy = svd_strdup(path)))
		goto cleanup;
	error = 0;
	memmove(m->files + at + 1, m->files + at, (m->nfiles - at) * sizeof(*m->files));
	memmove(m->keys + at + 1, m->keys + at, (m->nfiles - at) * sizeof(*m->keys));
	m->keys[at] = key;
	key = NULL;
	f = &m->files[at];
	f->path = copy;
	f->size = size;
	memcpy(f->sha256, sha256, 32);
	m->nfiles++;
	forget_bytes(m);
cleanup:
	free(key);
	return error;
}

/* Append a new string to a list of a manifest being filled from JSON. */
static int list_push(char ***list, size_t *n, const char *s)
{
	char **p = grow(*list, *n, sizeof(*p));

	if (!p)
		return SVD_ERROR;
	*list = p;
	if (!(p[*n] = svd_strdup(s)))
		return SVD_ERROR;
	(*n)++;
	return 0;
}

/*
 * A JSON array of strings: authors (any order, repeats allowed) or tags
 * (sorted = 1: strictly increasing by bytes). Fills *list when into is set.
 */
static int check_list(const json_t *a, const char *key, int sorted, svd_manifest *into, int code,
                      const char *where)
{
	const char *prev = NULL, *problem;
	size_t i, n;
	int error;

	if (!json_is_array(a))
		return svd_error_set(code, "%s: %s: not an array", where, key);
	n = json_array_size(a);
	if (n == 0)
		return svd_error_set(code, "%s: %s: empty array (leave the key out instead)", where,
		                     key);
	if (n > SVD_LIST_MAX)
		return svd_error_set(code, "%s: %s: %zu entries, over the limit of %d", where, key,
		                     n, SVD_LIST_MAX);
	for (i = 0; i < n; i++) {
		const json_t *v = json_array_get(a, i);
		const char *s = json_string_value(v);

		if (!s)
			return svd_error_set(code, "%s: %s[%zu]: not a string", where, key, i);
		problem = text_problem(s, json_string_length(v));
		if (problem)
			return svd_error_set(code, "%s: %s[%zu]: %s", where, key, i, problem);
		if (sorted && prev && strcmp(prev, s) >= 0)
			return svd_error_set(code, "%s: %s[%zu]: %s", where, key, i,
			                     strcmp(prev, s) == 0
			                         ? "a repeat (each appears once)"
			                         : "out of order (sorted by bytes)");
		prev = s;
		if (into) {
			error = sorted ? list_push(&into->tags, &into->ntags, s)
			               : list_push(&into->authors, &into->nauthors, s);
			if (error < 0)
				return error;
		}
	}
	return 0;
}

static int check_file(const json_t *f, size_t i, const json_t *prev_path, svd_manifest *into,
                      int code, const char *where)
{
	const json_t *path = json_object_get(f, "path"), *sha = json_object_get(f, "sha256"),
	             *size = json_object_get(f, "size");
	const char *problem;
	svd_manifest_file *out;
	json_int_t n;

	if (!json_is_object(f))
		return svd_error_set(code, "%s: files[%zu]: not an object", where, i);
	if (!path || !sha || !size || json_object_size(f) != 3)
		return svd_error_set(code,
		                     "%s: files[%zu]: needs exactly the keys path, sha256 and "
		                     "size",
		                     where, i);
	if (!json_is_string(path))
		return svd_error_set(code, "%s: files[%zu].path: not a string", where, i);
	problem = path_problem(json_string_value(path), json_string_length(path));
	if (problem == NO_MEMORY)
		return svd_error_set(SVD_ERROR, "out of memory");
	if (problem)
		return svd_error_set(code, "%s: files[%zu].path: %s", where, i, problem);
	if (prev_path && strcmp(json_string_value(prev_path), json_string_value(path)) >= 0)
		return svd_error_set(
		    code, "%s: files[%zu].path: %s", where, i,
		    strcmp(json_string_value(prev_path), json_string_value(path)) == 0
		        ? "listed twice"
		        : "out of order (files are sorted by path bytes)");
	if (!json_is_string(sha) || id_problem(json_string_value(sha), json_string_length(sha)))
		return svd_error_set(code, "%s: files[%zu].sha256: not 64 lowercase hex digits",
		                     where, i);
	if (!json_is_integer(size))
		return svd_error_set(code, "%s: files[%zu].size: not an integer", where, i);
	n = json_integer_value(size);
	if (n < 0 || (unsigned long long)n > SVD_FILE_MAX_SIZE)
		return svd_error_set(code, "%s: files[%zu].size: %lld is out of range (0..%llu)",
		                     where, i, (long long)n, (unsigned long long)SVD_FILE_MAX_SIZE);
	if (!into)
		return 0;
	if (!(out = grow(into->files, into->nfiles, sizeof(*out))))
		return SVD_ERROR;
	into->files = out;
	out += into->nfiles;
	if (!(out->path = svd_strdup(json_string_value(path))))
		return SVD_ERROR;
	out->size = (uint64_t)n;
	svd_hex_decode(out->sha256, 32, json_string_value(sha));
	into->nfiles++;
	return 0;
}

typedef struct key_at {
	const char *key;
	size_t i;
} key_at;

static int key_at_cmp(const void *a, const void *b)
{
	const key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * No two of the n files' keys (path_key) are equal. Sorted by bytes, "A.txt"
 * and "a.txt" are not neighbours: the keys are sorted instead, and of the
 * colliding pairs the one the files list reaches first is named (files[i]
 * and the first earlier files[j] with its key).
 */
static int check_keys(char **keys, size_t n, int code, const char *where)
{
	key_at *s;
	size_t k, i = SIZE_MAX, j = 0;

	if (n < 2)
		return 0;
	if (!(s = malloc(n * sizeof(*s))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (k = 0; k < n; k++) {
		s[k].key = keys[k];
		s[k].i = k;
	}
	qsort(s, n, sizeof(*s), key_at_cmp);
	/* in a run of one key, sorted by index, the first two are the pair */
	for (k = 1; k < n; k++)
		if (!strcmp(s[k].key, s[k - 1].key) &&
		    (k == 1 || strcmp(s[k - 1].key, s[k - 2].key)) && s[k].i < i) {
			i = s[k].i;
			j = s[k - 1].i;
		}
	free(s);
	if (i == SIZE_MAX)
		return 0;
	return svd_error_set(
	    code,
	    "%s: files[%zu].path: the same name as files[%zu] on a disk that "
	    "ignores case or Unicode normalization (FAT32, exFAT, NTFS, APFS): rename "
	    "one",
	    where, i, j);
}

static int check_files(const json_t *a, svd_kind kind, svd_manifest *into, int code,
                       const char *where)
{
	char **keys = NULL, **list;
	size_t i, n, nkeys = 0;
	int error = 0;

	if (!a)
		return svd_error_set(code, "%s: files: missing (required)", where);
	if (!json_is_array(a))
		return svd_error_set(code, "%s: files: not an array", where);
	n = json_array_size(a);
	if (n > 0 && svd_kind_is_statement(kind))
		return svd_error_set(code,
		                     "%s: files: a %s lists no files (\"files\":[]): a statement "
		                     "is its manifest",
		                     where, svd_kind_name(kind));
	if (n == 0 && kind != SVD_KIND_RETRACTION && !svd_kind_is_statement(kind))
		return svd_error_set(code,
		                     "%s: files: empty; every item but a retraction or a statement "
		                     "lists at least one file",
		                     where);
	if (n > SVD_ITEM_MAX_FILES)
		return svd_error_set(code, "%s: files: %zu files, over the limit of %d", where, n,
		                     SVD_ITEM_MAX_FILES);
	for (i = 0; i < n; i++) {
		const json_t *f = json_array_get(a, i), *path;

		error =
		    check_file(f, i, i ? json_object_get(json_array_get(a, i - 1), "path") : NULL,
		               into, code, where);
		if (error < 0)
			goto cleanup;
		path = json_object_get(f, "path");
		error = SVD_ERROR;
		if (!(list = grow(keys, i, sizeof(*keys))))
			goto cleanup;
		keys = list;
		keys[i] = NULL;
		nkeys = i + 1;
		if ((error =
		         path_key(&keys[i], json_string_value(path), json_string_length(path))) < 0)
			goto cleanup;
	}
	if ((error = check_keys(keys, n, code, where)) < 0)
		goto cleanup;
	if (into && n > 0) {
		into->keys = keys; /* parallel to into->files, filled in the same order */
		keys = NULL;
	}
cleanup:
	for (i = 0; keys && i < nkeys; i++)
		free(keys[i]);
	free(keys);
	return error;
}

/*
 * A checkpoint's item ids: 1..SVD_CHECKPOINT_MAX, sorted by bytes, unique.
 * Fills into's list when into is set.
 */
static int check_items(const json_t *a, svd_manifest *into, int code, const char *where)
{
	const char *prev = NULL;
	size_t i, n;

	if (!json_is_array(a))
		return svd_error_set(code, "%s: items: not an array", where);
	n = json_array_size(a);
	if (n == 0)
		return svd_error_set(code, "%s: items: empty (a checkpoint lists 1 to %d item ids)",
		                     where, SVD_CHECKPOINT_MAX);
	if (n > SVD_CHECKPOINT_MAX)
		return svd_error_set(code,
		                     "%s: items: %zu ids, over the limit of %d (larger sets are "
		                     "several checkpoints)",
		                     where, n, SVD_CHECKPOINT_MAX);
	for (i = 0; i < n; i++) {
		const json_t *v = json_array_get(a, i);
		const char *s = json_string_value(v);

		if (!s)
			return svd_error_set(code, "%s: items[%zu]: not a string", where, i);
		if (id_problem(s, json_string_length(v)))
			return svd_error_set(code, "%s: items[%zu]: %s", where, i,
			                     id_problem(s, json_string_length(v)));
		if (prev && strcmp(prev, s) >= 0)
			return svd_error_set(code, "%s: items[%zu]: %s", where, i,
			                     strcmp(prev, s) == 0
			                         ? "a repeat (each id appears once)"
			                         : "out of order (sorted by bytes)");
		prev = s;
	}
	if (!into)
		return 0;
	if (!(into->items = malloc(n * sizeof(*into->items))))
		return svd_error_set(SVD_ERROR, "out of memory");
	for (i = 0; i < n; i++)
		memcpy(into->items[i], json_string_value(json_array_get(a, i)), SVD_ID_HEX_LEN + 1);
	into->nitems = n;
	return 0;
}

/*
 * What format 2 adds: the statement kinds, their members, and what a
 * statement may not have. Called once the fields are known to be well formed.
 */
static int check_statement(const json_t *v, svd_kind kind, int format, int code, const char *where)
{
	static const char *const members[] = {"key", "outside", "items"};
	static const char *const refused[] = {"supersedes", "retracts", "authors", "tags",
	                                      "published",  "source",   "region"};
	int statement = svd_kind_is_statement(kind);
	size_t i;

	if (format < 2) {
		if (statement)
			return svd_error_set(code,
			                     "%s: kind: \"%s\" needs format 2 (statements are "
			                     "format 2, which only a newer samvydav reads)",
			                     where, svd_kind_name(kind));
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (json_object_get(v, members[i]))
				return svd_error_set(
				    code,
				    "%s: %s: not in format 1 (a statement's member: "
				    "format 2, which only a newer samvydav reads)",
				    where, members[i]);
	}
	if (statement)
		for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			if (json_object_get(v, refused[i]))
				return svd_error_set(
				    code,
				    "%s: %s: a %s has none (a statement holds title, "
				    "lang, created and its own members)",
				    where, refused[i], svd_kind_name(kind));
	if (kind == SVD_KIND_CERTIFICATE || kind == SVD_KIND_REVOCATION) {
		if (!json_object_get(v, "key"))
			return svd_error_set(code, "%s: key: missing; a %s names the key it %s",
			                     where, svd_kind_name(kind),
			                     kind == SVD_KIND_CERTIFICATE ? "vouches for"
			                                                  : "revokes");
	} else if (json_object_get(v, "key")) {
		return svd_error_set(code,
		                     "%s: key: only a certificate or a revocation has it (kind is "
		                     "%s)",
		                     where, svd_kind_name(kind));
	}
	if (kind == SVD_KIND_REVOCATION) {
		if (!json_object_get(v, "outside"))
			return svd_error_set(
			    code,
			    "%s: outside: missing; a revocation says what happens to "
			    "the key's items outside every checkpoint (\"keep\" or "
			    "\"hide\")",
			    where);
	} else if (json_object_get(v, "outside")) {
		return svd_error_set(code, "%s: outside: only a revocation has it (kind is %s)",
		                     where, svd_kind_name(kind));
	}
	if (kind == SVD_KIND_CHECKPOINT) {
		if (!json_object_get(v, "items"))
			return svd_error_set(
			    code,
			    "%s: items: missing; a checkpoint lists the item ids it "
			    "vouches for",
			    where);
	} else if (json_object_get(v, "items")) {
		return svd_error_set(code, "%s: items: only a checkpoint has it (kind is %s)",
		                     where, svd_kind_name(kind));
	}
	return 0;
}

/*
 * The whole schema, in one place. where is "manifest.json" (parsed input,
 * code SVD_ECORRUPT) or "manifest" (a manifest being built, SVD_EINVALID).
 * With into set, the fields are copied into it (it must be empty).
 */
static int check_json(const json_t *v, svd_manifest *into, int code, const char *where)
{
	static const char *const keys[] = {
	    "authors", "created",   "files",  "format",   "items",  "key",        "kind", "lang",
	    "outside", "published", "region", "retracts", "source", "supersedes", "tags", "title"};
	const json_t *x;
	const char *problem;
	void *it;
	svd_kind kind = SVD_KIND_ARTICLE;
	json_int_t format;
	size_t k;
	int i, error;

	if (!json_is_object(v))
		return svd_error_set(code, "%s: not a JSON object", where);
	for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
		const char *key = json_object_iter_key(it);

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(key, keys[k]) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return svd_error_set(code, "%s: unknown key \"%s\"", where, key);
	}
	x = json_object_get(v, "format");
	if (!x)
		return svd_error_set(code, "%s: format: missing (required)", where);
	if (!json_is_integer(x) || json_integer_value(x) < 1)
		return svd_error_set(
		    code, "%s: format: not 1 or 2 (the formats this version reads)", where);
	format = json_integer_value(x);
	if (format > SVD_FORMAT_MAX)
		return svd_error_set(
		    code,
		    "%s: format: %lld is newer than this samvydav reads (1 or 2); a "
		    "newer samvydav is needed",
		    where, (long long)format);
	x = json_object_get(v, "kind");
	if (!x)
		return svd_error_set(code, "%s: kind: missing (required)", where);
	if (!json_is_string(x) || svd_kind_parse(&kind, json_string_value(x)) < 0)
		return svd_error_set(code, "%s: kind: not one of " KIND_NAMES, where);
	for (i = 0; i < F_COUNT; i++) {
		x = json_object_get(v, fields[i].name);
		if (!x) {
			if (fields[i].required)
				return svd_error_set(code, "%s: %s: missing (required)", where,
				                     fields[i].name);
			continue;
		}
		if (!json_is_string(x))
			return svd_error_set(code, "%s: %s: not a string", where, fields[i].name);
		problem = fields[i].check(json_string_value(x), json_string_length(x));
		if (problem)
			return svd_error_set(code, "%s: %s: %s", where, fields[i].name, problem);
		if (into && !(into->field[i] = svd_strdup(json_string_value(x))))
			return SVD_ERROR;
	}
	if ((error = check_statement(v, kind, (int)format, code, where)) < 0)
		return error;
	if (into && into->field[F_KEY] &&
	    (error = svd_pubkey_parse(&into->key, into->field[F_KEY], KEY_LINE_LEN)) < 0)
		return error;
	if ((x = json_object_get(v, "items")) && (error = check_items(x, into, code, where)) < 0)
		return error;
	if (kind == SVD_KIND_CORRECTION && !json_object_get(v, "supersedes"))
		return svd_error_set(code,
		                     "%s: supersedes: missing; a correction names the item it "
		                     "corrects",
		                     where);
	if (kind == SVD_KIND_RETRACTION && !json_object_get(v, "retracts"))
		return svd_error_set(code,
		                     "%s: retracts: missing; a retraction names the item it "
		                     "withdraws",
		                     where);
	if (kind != SVD_KIND_RETRACTION && json_object_get(v, "retracts"))
		return svd_error_set(code, "%s: retracts: only a retraction has it (kind is %s)",
		                     where, svd_kind_name(kind));
	if ((x = json_object_get(v, "authors")) &&
	    (error = check_list(x, "authors", 0, into, code, where)) < 0)
		return error;
	if ((x = json_object_get(v, "tags")) &&
	    (error = check_list(x, "tags", 1, into, code, where)) < 0)
		return error;
	if ((error = check_files(json_object_get(v, "files"), kind, into, code, where)) < 0)
		return error;
	if (into)
		into->kind = kind;
	return 0;
}

/* json_object_set_new() that also fails on a value that could not be made. */
static int put(json_t *obj, const char *key, json_t *value)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

static int append(json_t *array, json_t *value)
{
	if (json_array_append_new(array, value) < 0)
		return svd_error_set(SVD_ERROR, "out of memory");
	return 0;
}

static int build_json(json_t **out, const svd_manifest *m)
{
	json_t *v = json_object(), *a = NULL;
	char hex[SVD_ID_HEX_LEN + 1];
	size_t i;
	int error = 0;

	*out = NULL;
	if (!v)
		return svd_error_set(SVD_ERROR, "out of memory");
	if ((error = put(v, "format", json_integer(format_for(m->kind)))) < 0 ||
	    (error = put(v, "kind", json_string(svd_kind_name(m->kind)))) < 0)
		goto cleanup;
	for (i = 0; i < F_COUNT; i++)
		if (m->field[i] && (error = put(v, fields[i].name, json_string(m->field[i]))) < 0)
			goto cleanup;
	if (m->nauthors > 0) {
		if ((error = put(v, "authors", a = json_array())) < 0)
			goto cleanup;
		for (i = 0; i < m->nauthors; i++)
			if ((error = append(a, json_string(m->authors[i]))) < 0)
				goto cleanup;
	}
	if (m->ntags > 0) {
		if ((error = put(v, "tags", a = json_array())) < 0)
			goto cleanup;
		for (i = 0; i < m->ntags; i++)
			if ((error = append(a, json_string(m->tags[i]))) < 0)
				goto cleanup;
	}
	if (m->nitems > 0) {
		if ((error = put(v, "items", a = json_array())) < 0)
			goto cleanup;
		for (i = 0; i < m->nitems; i++)
			if ((error = append(a, json_string(m->items[i]))) < 0)
				goto cleanup;
	}
	if ((error = put(v, "files", a = json_array())) < 0)
		goto cleanup;
	for (i = 0; i < m->nfiles; i++) {
		json_t *f = json_object();

		if ((error = append(a, f)) < 0)
			goto cleanup;
		svd_hex_encode(hex, m->files[i].sha256, 32);
		if ((error = put(f, "path", json_string(m->files[i].path))) < 0 ||
		    (error = put(f, "sha256", json_string(hex))) < 0 ||
		    (error = put(f, "size", json_integer((json_int_t)m->files[i].size))) < 0)
			goto cleanup;
	}
	*out = v;
	v = NULL;
cleanup:
	json_decref(v);
	return error;
}

/* Take bytes (malloc'd, NUL-terminated) as the manifest's own, and hash them into the id. */
static void set_bytes(svd_manifest *m, char *bytes, size_t len)
{
	unsigned char hash[SVD_SHA256_BYTES];

	forget_bytes(m);
	svd_sha256_once(hash, bytes, len);
	svd_hex_encode(m->id, hash, sizeof(hash));
	m->bytes = bytes;
	m->len = len;
}

int svd_manifest_serialize(svd_manifest *m)
{
	json_t *v = NULL;
	char *bytes = NULL;
	size_t len;
	int error;

	if (!m)
		return svd_error_set(SVD_EINVALID, "manifest: none given");
	if (m->compact)
		return read_only();
	if ((error = build_json(&v, m)) < 0)
		goto cleanup;
	if ((error = check_json(v, NULL, SVD_EINVALID, "manifest")) < 0)
		goto cleanup;
	if ((error = svd_canon_dump(&bytes, &len, v)) < 0)
		goto cleanup;
	if (len > SVD_MANIFEST_MAX) {
		error = svd_error_set(SVD_EINVALID,
		                      "manifest: %zu bytes, over the limit of %d bytes (fewer "
		                      "or shorter tags, authors or file names)",
		                      len, SVD_MANIFEST_MAX);
		goto cleanup;
	}
	set_bytes(m, bytes, len);
	m->format = format_for(m->kind);
	bytes = NULL;
cleanup:
	free(bytes);
	json_decref(v);
	return error;
}

int svd_manifest_parse(svd_manifest **out, const char *buf, size_t len)
{
	svd_manifest *m = NULL;
	json_t *v = NULL;
	char *bytes = NULL;
	int error;

	*out = NULL;
	if (!buf)
		return svd_error_set(SVD_EINVALID, "manifest.json: no bytes given");
	if (len > SVD_MANIFEST_MAX)
		return svd_error_set(SVD_ETOOBIG,
		                     "manifest.json: %zu bytes, over the limit of %d bytes", len,
		                     SVD_MANIFEST_MAX);
	if ((error = svd_canon_parse(&v, buf, len)) < 0)
		return prefixed(error, "manifest.json: ");
	if ((error = svd_manifest_new(&m)) < 0)
		goto cleanup;
	if ((error = check_json(v, m, SVD_ECORRUPT, "manifest.json")) < 0)
		goto cleanup;
	if (!(bytes = malloc(len + 1))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	memcpy(bytes, buf, len);
	bytes[len] = '\0';
	set_bytes(m, bytes, len);
	m->format = (int)json_integer_value(json_object_get(v, "format"));
	*out = m;
	m = NULL;
cleanup:
	json_decref(v);
	svd_manifest_free(m);
	return error;
}

const char *svd_manifest_bytes(const svd_manifest *m, size_t *len)
{
	if (len)
		*len = m && m->bytes ? m->len : 0;
	return m ? m->bytes : NULL;
}

const char *svd_manifest_id(const svd_manifest *m)
{
	return m && (m->bytes || m->compact) ? m->id : NULL;
}

/* Bytes of s with its NUL; 0 for NULL. */
static size_t str_room(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* s copied to *at (moved on); NULL for NULL. */
static char *str_put(char **at, const char *s)
{
	size_t n = str_room(s);
	char *out;

	if (!n)
		return NULL;
	out = memcpy(*at, s, n);
	*at += n;
	return out;
}

int svd_manifest_compact(svd_manifest **mp)
{
	svd_manifest *m = mp ? *mp : NULL, *c;
	size_t need = sizeof(*c), i;
	char *at;

	if (!m || m->compact || !m->bytes || m->key)
		return 0; /* nothing to do; a statement with a key stays whole */
	need += (m->nauthors + m->ntags) * sizeof(char *) + m->nitems * sizeof(*m->items);
	for (i = 0; i < F_COUNT; i++)
		need += str_room(m->field[i]);
	for (i = 0; i < m->nauthors; i++)
		need += str_room(m->authors[i]);
	for (i = 0; i < m->ntags; i++)
		need += str_room(m->tags[i]);
	if (!(c = malloc(need)))
		return svd_error_set(SVD_ERROR, "out of memory");
	memset(c, 0, sizeof(*c));
	at = (char *)(c + 1);
	c->kind = m->kind;
	c->format = m->format;
	c->compact = 1;
	memcpy(c->id, m->id, sizeof(c->id));
	/* the arrays of pointers first, where the block's alignment holds */
	if (m->nauthors) {
		c->authors = (char **)(void *)at;
		at += m->nauthors * sizeof(char *);
	}
	if (m->ntags) {
		c->tags = (char **)(void *)at;
		at += m->ntags * sizeof(char *);
	}
	if (m->nitems) {
		c->items = (void *)at;
		memcpy(c->items, m->items, m->nitems * sizeof(*m->items));
		at += m->nitems * sizeof(*m->items);
	}
	c->nauthors = m->nauthors;
	c->ntags = m->ntags;
	c->nitems = m->nitems;
	for (i = 0; i < F_COUNT; i++)
		c->field[i] = str_put(&at, m->field[i]);
	for (i = 0; i < m->nauthors; i++)
		c->authors[i] = str_put(&at, m->authors[i]);
	for (i = 0; i < m->ntags; i++)
		c->tags[i] = str_put(&at, m->tags[i]);
	svd_manifest_free(m);
	*mp = c;
	return 0;
}

int svd_manifest_is_compact(const svd_manifest *m)
{
	return m && m->compact;
}

svd_kind svd_manifest_kind(const svd_manifest *m)
{
	return m ? m->kind : SVD_KIND_ARTICLE;
}

const char *svd_manifest_get(const svd_manifest *m, const char *field)
{
	int i;

	if (!m || !field)
		return NULL;
	if (strcmp(field, "kind") == 0)
		return svd_kind_name(m->kind);
	i = field_index(field);
	return i < 0 ? NULL : m->field[i];
}

size_t svd_manifest_author_count(const svd_manifest *m)
{
	return m ? m->nauthors : 0;
}

const char *svd_manifest_author(const svd_manifest *m, size_t i)
{
	return m && i < m->nauthors ? m->authors[i] : NULL;
}

size_t svd_manifest_tag_count(const svd_manifest *m)
{
	return m ? m->ntags : 0;
}

const char *svd_manifest_tag(const svd_manifest *m, size_t i)
{
	return m && i < m->ntags ? m->tags[i] : NULL;
}

size_t svd_manifest_file_count(const svd_manifest *m)
{
	return m ? m->nfiles : 0;
}

const svd_manifest_file *svd_manifest_file_at(const svd_manifest *m, size_t i)
{
	return m && i < m->nfiles ? &m->files[i] : NULL;
}

const char *svd_manifest_file_key(const svd_manifest *m, size_t i)
{
	return m && m->keys && i < m->nfiles ? m->keys[i] : NULL;
}

static int file_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const svd_manifest_file *)elem)->path);
}

const svd_manifest_file *svd_manifest_file_find(const svd_manifest *m, const char *path)
{
	if (!m || !path || m->nfiles == 0)
		return NULL;
	return bsearch(path, m->files, m->nfiles, sizeof(*m->files), file_cmp);
}

int svd_manifest_format(const svd_manifest *m)
{
	if (!m)
		return 0;
	return m->format ? m->format : format_for(m->kind);
}

const svd_pubkey *svd_manifest_key(const svd_manifest *m)
{
	return m ? m->key : NULL;
}

svd_outside svd_manifest_outside(const svd_manifest *m)
{
	const char *s = m ? m->field[F_OUTSIDE] : NULL;

	if (!s)
		return SVD_OUTSIDE_NONE;
	return strcmp(s, "keep") == 0 ? SVD_OUTSIDE_KEEP : SVD_OUTSIDE_HIDE;
}

size_t svd_manifest_item_count(const svd_manifest *m)
{
	return m ? m->nitems : 0;
}

const char *svd_manifest_item_at(const svd_manifest *m, size_t i)
{
	return m && i < m->nitems ? m->items[i] : NULL;
}
