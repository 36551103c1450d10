/*
 * test_bundle_sink.c: what the bundle reader tells its sink
 * (bundle_sink.h), in what order: an item begins, each file's bytes in
 * pieces from the reader's own buffer, the gate, the verdict before the
 * caller's item callback; a sink's failure stops the read with its code
 * and drops the item; damage drops the item it cuts short and is told to
 * the caller, then to the sink. A signature update (BUNDLE.json format 2)
 * goes to the sink's update gate, or is dropped as skipped without one,
 * and the caller hears of it through its update callback; one that carries
 * a payload file is refused before any gate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "bundle_sink.h"
#include "bundle_write.h"
#include "helpers.h"

#define MIRROR "0123456789abcdef0123456789abcdef"
#define ID0    "00aa000000000000000000000000000000000000000000000000000000000000"
#define ID1    "01bb000000000000000000000000000000000000000000000000000000000000"
/* more than a frame's worth of tar (SVD_BUNDLE_FRAME_TARGET), so each item has its own frame */
#define BODY (1100 * 1024)

static const char *const ids[2] = {ID0, ID1};

/* What the sink and the caller were told, an event a phrase ending in "; ". */
typedef struct recorder {
	char log[2048];
	const void *buf;       /* where the pieces came from */
	int one_buffer;        /* every piece came from that one place */
	size_t max_piece;      /* the largest piece */
	uint64_t got;          /* bytes of the file being read */
	const char *fail_path; /* file_write fails in this file ... */
	int fail_item;         /* ... of the item with this ordinal (from 1) */
	int failing;           /* the file being read is that one */
	int items;             /* items begun */
} recorder;

static void say(recorder *rc, const char *fmt, ...) SVD_PRINTF(2, 3);

static void say(recorder *rc, const char *fmt, ...)
{
	size_t len = strlen(rc->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rc->log + len, sizeof(rc->log) - len, fmt, ap);
	va_end(ap);
}

static int rec_item_begin(void *ctx, const char *id)
{
	recorder *rc = ctx;

	rc->items++;
	say(rc, "begin %.4s; ", id);
	return 0;
}

static int rec_file_begin(void *ctx, const char *path, uint64_t size)
{
	recorder *rc = ctx;

	rc->got = 0;
	rc->failing = rc->fail_path && rc->items == rc->fail_item && !strcmp(path, rc->fail_path);
	say(rc, "file %s %llu; ", path, (unsigned long long)size);
	return 0;
}

static int rec_file_write(void *ctx, const void *data, size_t len)
{
	recorder *rc = ctx;

	if (!rc->buf)
		rc->buf = data;
	rc->one_buffer &= data == rc->buf;
	if (len > rc->max_piece)
		rc->max_piece = len;
	rc->got += len;
	if (rc->failing)
		return svd_error_set(SVD_ERROR, "the sink's disk is full");
	return 0;
}

static int rec_file_end(void *ctx, int whole)
{
	recorder *rc = ctx;

	say(rc, "end %d %llu; ", whole, (unsigned long long)rc->got);
	return 0;
}

/* Refuses everything: the stand-in manifests would not pass a real gate anyway. */
static int rec_item_gate(void *ctx, const svd_entry *entries, size_t n, const char *source,
                         svd_verdict **out)
{
	recorder *rc = ctx;

	(void)entries;
	say(rc, "gate %zu %.8s; ", n, source); /* "frame at" */
	if (svd_verdict_new(out) < 0 ||
	    svd_verdict_add_problem(*out, "manifest.json", "canonical", "a stand-in") < 0)
		return SVD_ERROR;
	return 0;
}

static int rec_item_verdict(void *ctx, const svd_verdict *v)
{
	recorder *rc = ctx;

	say(rc, "verdict %d; ", svd_verdict_ok(v));
	return 0;
}

static int rec_item_drop(void *ctx, svd_bundle_drop why)
{
	recorder *rc = ctx;

	say(rc, "drop %s; ",
	    why == SVD_BUNDLE_DROP_LOST      ? "lost"
	    : why == SVD_BUNDLE_DROP_SKIPPED ? "skipped"
	                                     : "refused");
	return 0;
}

static void rec_damage(void *ctx, uint64_t offset, uint64_t length, const char *what)
{
	recorder *rc = ctx;

	(void)offset;
	(void)length;
	(void)what;
	say(rc, "damage; ");
}

static int on_item(const svd_verdict *v, void *payload)
{
	(void)v;
	say(payload, "told; ");
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	(void)offset;
	(void)length;
	(void)what;
	say(payload, "told damage; ");
}

/*
 * A bundle at th_tmp/NAME.tar.zst (its path in out) of two items,
 * manifest.json ("{}") and body.md of BODY bytes each, that zstd cannot
 * shrink.
 */
static void write_bundle(char out[300], const char *name)
{
	svd_bundle_writer_opts o = {MIRROR, ids, 2, 0, 3, 1, NULL, NULL, NULL, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f[2];
	char paths[2][128], **files = NULL;
	char *body = malloc(BODY);
	size_t nfiles = 0, i, k;
	uint64_t bytes = 0;
	uint32_t seed = 1;

	assert_non_null(body);
	th_path(out, 300, "%s/%s.tar.zst", th_tmp, name);
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < BODY; k++) {
			seed = seed * 1103515245u + 12345u;
			body[k] = (char)(seed >> 24);
		}
		th_path(paths[0], sizeof(paths[0]), "items/%.2s/%s/manifest.json", ids[i], ids[i]);
		th_path(paths[1], sizeof(paths[1]), "items/%.2s/%s/body.md", ids[i], ids[i]);
		f[0] = (svd_bundle_file){paths[0], "{}", 2};
		f[1] = (svd_bundle_file){paths[1], body, BODY};
		assert_int_equal(svd_bundle_writer_item(w, f, 2), 0);
	}
	assert_int_equal(svd_bundle_writer_finish(w, &files, &nfiles, &bytes), 0);
	svd_bundle_writer_free(w);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(body);
}

static void rec_init(recorder *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->one_buffer = 1;
}

/* Read the bundle at path into rc's sink; the caller's callbacks record in rc too. */
static int read_into(const char *path, recorder *rc, svd_bundle_stats *st)
{
	svd_bundle_sink sk = {
	    rec_item_begin,   rec_file_begin, rec_file_write, rec_file_end, rec_item_gate,
	    rec_item_verdict, rec_item_drop,  rec_damage,     rc,           NULL};
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, rc, NULL, NULL};

	return svd_bundle_read(path, NULL, &sk, &cbs, st);
}

/* The log goes on, at from, with what: where it goes on after that. */
static const char *then(const char *from, const char *what)
{
	if (strncmp(from, what, strlen(what)))
		fail_msg("the log goes on with \"%.80s\", not \"%s\"", from, what);
	return from + strlen(what);
}

/* An item read whole: both files, in order, each ended whole. */
static const char *item_read(const char *from, const char *id)
{
	char want[256];

	snprintf(want, sizeof(want),
	         "begin %.4s; file manifest.json 2; end 1 2; file body.md %d; end 1 %d; ", id, BODY,
	         BODY);
	return then(from, want);
}

static void test_order(void **state)
{
	char out[300];
	recorder rc;
	svd_bundle_stats st;
	const char *at;

	(void)state;
	write_bundle(out, "order");
	rec_init(&rc);
	/* every item refused by the sink's gate: the read says so */
	assert_int_equal(read_into(out, &rc, &st), SVD_ECORRUPT);
	assert_int_equal(st.items, 2);
	assert_int_equal(st.refused, 2);
	assert_int_equal(st.lost, 0);
	/* each item whole, then its gate, then its verdict before the caller hears it */
	at = item_read(rc.log, ID0);
	at = then(at, "gate 2 frame at; verdict 0; told; ");
	at = item_read(at, ID1);
	assert_string_equal(at, "gate 2 frame at; verdict 0; told; ");
	/* the bytes came in pieces of the reader's one buffer, not copied for the sink */
	assert_true(rc.one_buffer);
	assert_true(rc.max_piece > 0 && rc.max_piece < BODY);
}

static void test_sink_fails(void **state)
{
	char out[300], want[64];
	recorder rc;
	svd_bundle_stats st;
	const char *at;

	(void)state;
	write_bundle(out, "fails");
	rec_init(&rc);
	rc.fail_path = "body.md";
	rc.fail_item = 2;
	/* the sink's code and message, not damage */
	assert_int_equal(read_into(out, &rc, &st), SVD_ERROR);
	assert_string_equal(svd_error_last(), "the sink's disk is full");
	/* the file ends, not whole, after its first piece; the item is dropped; nothing follows */
	at = then(item_read(rc.log, ID0), "gate 2 frame at; verdict 0; told; ");
	at = then(at, "begin 01bb; file manifest.json 2; end 1 2; ");
	snprintf(want, sizeof(want), "file body.md %d; end 0 %llu; ", BODY,
	         (unsigned long long)rc.got);
	assert_true(rc.got > 0 && rc.got <= rc.max_piece);
	at = then(at, want);
	assert_string_equal(at, "drop lost; ");
}

static void test_damage(void **state)
{
	char out[300];
	recorder rc;
	svd_bundle_stats st;
	struct stat sb;
	const char *at;
	FILE *f;

	(void)state;
	write_bundle(out, "damage");
	/* bytes changed inside the second item's frame: zstd's checksum fails at its end */
	assert_int_equal(stat(out, &sb), 0);
	assert_non_null(f = fopen(out, "r+"));
	assert_int_equal(fseek(f, (long)(sb.st_size * 3 / 4), SEEK_SET), 0);
	assert_int_equal(fwrite("damaged!", 1, 8, f), 8);
	assert_int_equal(fclose(f), 0);
	rec_init(&rc);
	assert_int_equal(read_into(out, &rc, &st), SVD_ECORRUPT);
	assert_int_equal(st.items, 1);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.damaged, 1);
	/* the first item as ever; the second is lost, never gated; the caller hears of
	 * the damage first, then the sink (twice: the frame, then the items lost) */
	at = then(item_read(rc.log, ID0), "gate 2 frame at; verdict 0; told; begin 01bb; ");
	assert_null(strstr(at, "gate"));
	assert_non_null(at = strstr(at, "drop lost; "));
	assert_string_equal(at, "drop lost; told damage; damage; told damage; damage; ");
}

/* The update gate: the item is not held here (NULL), or held and refused (a stand-in). */
static int rec_update_gate(void *ctx, const char *id, const svd_entry *entries, size_t n,
                           const char *source, svd_verdict **out)
{
	recorder *rc = ctx;
	size_t i;

	(void)source;
	say(rc, "update gate %.4s", id);
	for (i = 0; i < n; i++)
		say(rc, " %s", entries[i].path);
	say(rc, "; ");
	*out = NULL;
	if (rc->fail_item) /* "held": a verdict */
		return rec_item_gate(ctx, entries, n, "held", out);
	return 0;
}

static int on_update(const char *id, const svd_verdict *v, const char *why, void *payload)
{
	say(payload, "told update %.4s %s; ", id, v ? "verdict" : why ? "skipped" : "?");
	return 0;
}

/* A bundle of ID0 whole and ID1 as a signature update (with body.md too when bad). */
static void write_update_bundle(char out[300], const char *name, int bad)
{
	static const uint8_t updates[2] = {0, 1};
	svd_bundle_writer_opts o = {MIRROR, ids, 2, 0, 3, 1, NULL, NULL, updates, NULL};
	svd_bundle_writer *w = NULL;
	svd_bundle_file f[3];
	char paths[3][128], **files = NULL;
	size_t nfiles = 0, i;
	uint64_t bytes = 0;

	th_path(out, 300, "%s/%s.tar.zst", th_tmp, name);
	assert_int_equal(svd_bundle_writer_new(&w, out, &o), 0);
	for (i = 0; i < 2; i++) {
		th_path(paths[0], sizeof(paths[0]), "items/%.2s/%s/manifest.json", ids[i], ids[i]);
		th_path(paths[1], sizeof(paths[1]), "items/%.2s/%s/%s", ids[i], ids[i],
		        i ? "sig/AAAAAAAAAAAAAAAA.minisig" : "body.md");
		th_path(paths[2], sizeof(paths[2]), "items/%.2s/%s/body.md", ids[i], ids[i]);
		f[0] = (svd_bundle_file){paths[0], "{}", 2};
		f[1] = (svd_bundle_file){paths[1], "x", 1};
		f[2] = (svd_bundle_file){paths[2], "y", 1};
		assert_int_equal(svd_bundle_writer_item(w, f, i && bad ? 3 : 2), 0);
	}
	assert_int_equal(svd_bundle_writer_finish(w, &files, &nfiles, &bytes), 0);
	svd_bundle_writer_free(w);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
}

static int read_updates(const char *path, recorder *rc, svd_bundle_stats *st, int gate)
{
	svd_bundle_sink sk = {rec_item_begin,
	                      rec_file_begin,
	                      rec_file_write,
	                      rec_file_end,
	                      rec_item_gate,
	                      rec_item_verdict,
	                      rec_item_drop,
	                      rec_damage,
	                      rc,
	                      gate ? rec_update_gate : NULL};
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, rc, on_update, NULL};

	return svd_bundle_read(path, NULL, &sk, &cbs, st);
}

static void test_updates(void **state)
{
	/* files under sig/ reach the sink only when their item goes to a gate */
	static const char whole[] = "begin 00aa; file manifest.json 2; end 1 2; file body.md 1; "
	                            "end 1 1; gate 2 frame at; verdict 0; told; begin 01bb; "
	                            "file manifest.json 2; end 1 2; ";
	static const char sigs[] = "file sig/AAAAAAAAAAAAAAAA.minisig 1; end 1 1; ";
	char out[300];
	recorder rc;
	svd_bundle_stats st;

	(void)state;
	write_update_bundle(out, "updates", 0);
	/* no update gate (inspect, extract): dropped as skipped, the caller told */
	rec_init(&rc);
	assert_int_equal(read_updates(out, &rc, &st, 0), SVD_ECORRUPT); /* ID0 refused */
	assert_string_equal(then(rc.log, whole), "drop skipped; told update 01bb skipped; ");
	assert_int_equal(st.declared, 2);
	assert_int_equal(st.items, 2);
	assert_int_equal(st.updates, 1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.lost, 0);
	/* an update gate that does not hold the item: skipped too, after it */
	rec_init(&rc);
	assert_int_equal(read_updates(out, &rc, &st, 1), SVD_ECORRUPT);
	assert_string_equal(then(then(rc.log, whole), sigs),
	                    "update gate 01bb manifest.json sig/AAAAAAAAAAAAAAAA.minisig; told "
	                    "update 01bb skipped; ");
	assert_int_equal(st.skipped, 1);
	/* one that holds it: its verdict goes to the sink, then to the update callback */
	rec_init(&rc);
	rc.fail_item = 99;
	assert_int_equal(read_updates(out, &rc, &st, 1), SVD_ECORRUPT);
	assert_string_equal(then(then(rc.log, whole), sigs),
	                    "update gate 01bb manifest.json sig/AAAAAAAAAAAAAAAA.minisig; gate 2 "
	                    "held; verdict 0; told update 01bb verdict; ");
	assert_int_equal(st.skipped, 0);
	assert_int_equal(st.refused, 2);
	/* an update that carries a payload file: refused before any gate */
	write_update_bundle(out, "bad-update", 1);
	rec_init(&rc);
	assert_int_equal(read_updates(out, &rc, &st, 1), SVD_ECORRUPT);
	assert_non_null(strstr(rc.log, "drop refused; verdict 0; told update 01bb verdict; "));
	assert_null(strstr(rc.log, "update gate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_sink_fails),
	    cmocka_unit_test(test_damage),
	    cmocka_unit_test(test_updates),
	};

	return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
