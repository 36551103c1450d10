/*
 * canon.c: canonical JSON (RFC 8785 restricted to ASCII keys, integers and
 * strings without control characters).
 *
 * jansson parses; the canonical bytes come from our own serializer, so that
 * what we accept never depends on how a jansson version formats numbers or
 * escapes strings. Parsing is: jansson (UTF-8, syntax, duplicate keys), then
 * our serializer over the result (the restriction, key order), then a byte
 * comparison with the input (white space, escapes, anything else).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samvydav/common.h"
#include "canon.h"
#include "util.h"

#define INT_LIMIT    9007199254740991LL /* 2^53 - 1, exact in an IEEE double */
#define DUMP_MAX     (64 * 1024 * 1024) /* bytes of one canonical dump */
#define PATH_MAX_LEN 256                /* bytes of a key path in a message */

/* A growing output buffer with a hard cap. */
struct out {
	char *p;
	size_t len, cap;
};

/* Where we are in the value, for messages: "files[2].sha256". */
struct where {
	char s[PATH_MAX_LEN];
	size_t len;
};

/*
 * How a dump runs: code is the error code to return (SVD_EINVALID for a
 * caller's value, SVD_ECORRUPT for parsed input), and with check_order keys
 * must already come in byte order (jansson keeps the input's order).
 */
struct dump {
	struct out out;
	int code;
	int check_order;
};

static int out_append(struct dump *d, const char *s, size_t n)
{
	struct out *o = &d->out;

	if (n > DUMP_MAX - o->len)
		return svd_error_set(SVD_ETOOBIG, "canonical JSON over the limit of %d bytes",
		                     DUMP_MAX);
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;

		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->p, cap);
		if (!p)
			return svd_error_set(SVD_ERROR, "out of memory");
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
	return 0;
}

/* Append to a key path, truncating quietly; bytes a terminal may choke on become '?'. */
static void where_push(struct where *w, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && w->len + 1 < sizeof(w->s); i++) {
		unsigned char c = (unsigned char)s[i];

		w->s[w->len++] = (c < 0x20 || c >= 0x7F) ? '?' : (char)c;
	}
	w->s[w->len] = '\0';
}

static void where_key(struct where *w, const char *key, size_t n)
{
	if (w->len > 0)
		where_push(w, ".", 1);
	where_push(w, key, n);
}

static void where_index(struct where *w, size_t i)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "[%zu]", i);

	where_push(w, tmp, (size_t)n);
}

static const char *where_name(const struct where *w)
{
	return w->len ? w->s : "the top level";
}

static int check_string(struct dump *d, const struct where *w, const char *what, const char *s,
                        size_t n)
{
	long at;

	if (!svd_utf8_valid(s, n))
		return svd_error_set(d->code, "%s: %s is not valid UTF-8", where_name(w), what);
	at = svd_utf8_control_at(s, n);
	if (at >= 0)
		return svd_error_set(d->code,
		                     "%s: %s holds a control character (byte %ld of the string); "
		                     "control characters are not allowed",
		                     where_name(w), what, at);
	return 0;
}

/* Only '"' and '\\' are escaped; everything else is copied as it is. */
static int dump_string(struct dump *d, const char *s, size_t n)
{
	size_t i, start = 0;
	int error;

	if ((error = out_append(d, "\"", 1)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		if ((error = out_append(d, s + start, i - start)) < 0 ||
		    (error = out_append(d, "\\", 1)) < 0)
			return error;
		start = i;
	}
	if ((error = out_append(d, s + start, n - start)) < 0)
		return error;
	return out_append(d, "\"", 1);
}

struct key {
	const char *s;
	size_t len;
	json_t *value;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static int dump_value(struct dump *d, const json_t *v, int depth, struct where *w);

static int check_key(struct dump *d, const struct where *w, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c >= 0x80) {
			struct where k = {{0}, 0};

			where_push(&k, key, n);
			return svd_error_set(d->code,
			                     "%s: key \"%s\" is not ASCII (shown with '?'); keys "
			                     "must be ASCII",
			                     where_name(w), k.s);
		}
		if (c < 0x20 || c == 0x7F)
			return svd_error_set(d->code,
			                     "%s: a key holds a control character; "
			                     "control characters are not allowed",
			                     where_name(w));
	}
	return 0;
}

/* Keys sorted by their bytes (for ASCII keys the same as RFC 8785's UTF-16 order). */
static int dump_object(struct dump *d, const json_t *v, int depth, struct where *w)
{
	size_t n = json_object_size(v), i = 0, mark = w->len;
	struct key *keys = NULL;
	void *it;
	int error = 0;

	if (n == 0)
		return out_append(d, "{}", 2);
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return svd_error_set(SVD_ERROR, "out of memory");
	for (it = json_object_iter((json_t *)v); it && i < n;
	     it = json_object_iter_next((json_t *)v, it)) {
		const char *k = json_object_iter_key(it);

		keys[i].s = k;
#if JANSSON_VERSION_HEX >= 0x020e00
		keys[i].len = json_object_iter_key_len(it); /* a key may hold U+0000 */
#else
		keys[i].len = strlen(k);
#endif
		keys[i].value = json_object_iter_value(it);
		if ((error = check_key(d, w, k, keys[i].len)) < 0)
			goto cleanup;
		if (d->check_order && i > 0 && key_cmp(&keys[i - 1], &keys[i]) >= 0) {
			error = svd_error_set(d->code,
			                      "%s: key \"%s\" comes after \"%s\"; keys must be in "
			                      "byte order",
			                      where_name(w), k, keys[i - 1].s);
			goto cleanup;
		}
		i++;
	}
	n = i;
	qsort(keys, n, sizeof(*keys), key_cmp);
	if ((error = out_append(d, "{", 1)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++) {
		if ((i > 0 && (error = out_append(d, ",", 1)) < 0) ||
		    (error = dump_string(d, keys[i].s, keys[i].len)) < 0 ||
		    (error = out_append(d, ":", 1)) < 0)
			goto cleanup;
		where_key(w, keys[i].s, keys[i].len);
		error = dump_value(d, keys[i].value, depth + 1, w);
		w->len = mark;
		w->s[mark] = '\0';
		if (error < 0)
			goto cleanup;
	}
	error = out_append(d, "}", 1);
cleanup:
	free(keys);
	return error;
}

static int dump_array(struct dump *d, const json_t *v, int depth, struct where *w)
{
	size_t i, n = json_array_size(v), mark = w->len;
	int error;

	if ((error = out_append(d, "[", 1)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (i > 0 && (error = out_append(d, ",", 1)) < 0)
			return error;
		where_index(w, i);
		error = dump_value(d, json_array_get(v, i), depth + 1, w);
		w->len = mark;
		w->s[mark] = '\0';
		if (error < 0)
			return error;
	}
	return out_append(d, "]", 1);
}

/* depth counts the arrays and objects around v. */
static int dump_value(struct dump *d, const json_t *v, int depth, struct where *w)
{
	char num[32];
	json_int_t i;
	int error;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth >= SVD_CANON_MAX_DEPTH)
			return svd_error_set(d->code,
			                     "%s: nested deeper than %d arrays and objects",
			                     where_name(w), SVD_CANON_MAX_DEPTH);
		if (json_is_object(v))
			return dump_object(d, v, depth, w);
		return dump_array(d, v, depth, w);
	case JSON_STRING:
		if ((error = check_string(d, w, "the string", json_string_value(v),
		                          json_string_length(v))) < 0)
			return error;
		return dump_string(d, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		i = json_integer_value(v);
		if (i > INT_LIMIT || i < -INT_LIMIT)
			return svd_error_set(d->code,
			                     "%s: integer %lld is out of range (at most 2^53-1 "
			                     "either side of 0)",
			                     where_name(w), (long long)i);
		snprintf(num, sizeof(num), "%lld", (long long)i);
		return out_append(d, num, strlen(num));
	case JSON_REAL:
		return svd_error_set(d->code, "%s: a real number; only integers are allowed",
		                     where_name(w));
	case JSON_TRUE:
		return out_append(d, "true", 4);
	case JSON_FALSE:
		return out_append(d, "false", 5);
	case JSON_NULL:
		return out_append(d, "null", 4);
	}
	return svd_error_set(d->code, "%s: a value of unknown type", where_name(w));
}

static int dump_all(char **out, size_t *len, const json_t *value, int code, int check_order)
{
	struct dump d = {{NULL, 0, 0}, code, check_order};
	struct where w = {{0}, 0};
	int error;

	*out = NULL;
	*len = 0;
	if (!value)
		return svd_error_set(SVD_EINVALID, "canonical JSON: no value");
	error = dump_value(&d, value, 0, &w);
	if (error < 0) {
		free(d.out.p);
		return error;
	}
	*out = d.out.p;
	*len = d.out.len;
	return 0;
}

int svd_canon_dump(char **out, size_t *len, const json_t *value)
{
	return dump_all(out, len, value, SVD_EINVALID, 0);
}

/* jansson quotes the input near an error; keep the message printable and valid UTF-8. */
static void sanitize(char *s)
{
	int utf8 = svd_utf8_valid(s, strlen(s));

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8))
			*s = '?';
	}
}

/* Say why input that parsed is not its own canonical form, at the first differing byte. */
static int not_canonical(const char *buf, size_t len, const char *canon, size_t clen)
{
	size_t i = 0;
	char c;

	while (i < len && i < clen && buf[i] == canon[i])
		i++;
	if (i == clen)
		return svd_error_set(SVD_ECORRUPT,
		                     "not canonical JSON: %zu extra bytes after the value at byte "
		                     "%zu (a trailing newline?)",
		                     len - i, i);
	if (i == len)
		return svd_error_set(SVD_ECORRUPT, "not canonical JSON: ends early at byte %zu", i);
	c = buf[i];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		return svd_error_set(SVD_ECORRUPT,
		                     "not canonical JSON: white space at byte %zu; the canonical "
		                     "form has none",
		                     i);
	if (c == '\\')
		return svd_error_set(SVD_ECORRUPT,
		                     "not canonical JSON: escape \"\\%c\" at byte %zu; only '\"' "
		                     "and '\\\\' are escaped, all else is raw UTF-8",
		                     i + 1 < len ? buf[i + 1] : '?', i);
	if (c == '-' && canon[i] == '0')
		return svd_error_set(SVD_ECORRUPT,
		                     "not canonical JSON: -0 at byte %zu; zero is written 0", i);
	return svd_error_set(SVD_ECORRUPT,
	                     "not canonical JSON: differs from its canonical form "
	                     "at byte %zu",
	                     i);
}

int svd_canon_parse(json_t **out, const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *v = NULL;
	char *canon = NULL;
	size_t clen;
	int error;

	*out = NULL;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		return svd_error_set(SVD_ECORRUPT,
		                     "not canonical JSON: starts with a byte order mark (U+FEFF)");
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!v) {
		sanitize(jerr.text);
		return svd_error_set(SVD_ECORRUPT, "not valid JSON: %s at byte %d", jerr.text,
		                     jerr.position);
	}
	error = dump_all(&canon, &clen, v, SVD_ECORRUPT, 1);
	if (error < 0)
		goto cleanup;
	if (clen != len || memcmp(canon, buf, len) != 0) {
		error = not_canonical(buf, len, canon, clen);
		goto cleanup;
	}
	*out = v;
	v = NULL;
cleanup:
	free(canon);
	json_decref(v);
	return error;
}
