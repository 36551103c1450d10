/*
 * import.c: taking a bundle into an archive (svd_bundle_import, import.h):
 * the bundle reader's items (bundle_sink.h) staged into an operation of the
 * store's by the one staging sequence (stage.h), and the record of what
 * was refused or damaged, in ARCHIVE/refused/.
 *
 * The reader owns the format and everything it refuses; this file owns
 * what an item becomes in the archive. Each file of an item streams into
 * the operation's pack as it is read, so an item is never held whole in
 * memory; the gate is the stage's, and what it refuses, or what damage
 * cuts short, is taken back out of the pack. Nothing is committed here:
 * the caller's svd_txn_commit() does that. A signature update (SPEC.md,
 * 9.2) is completed with the payload of the item held in main
 * (svd_stage_finish_update) and merged as any co-signature is; one for an
 * item not held is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "samvydav/import.h"
#include "samvydav/pause.h"
#include "bundle_sink.h"
#include "stage.h"
#include "util.h"

typedef struct importer {
	svd_txn *txn;
	svd_stage *stage;            /* the item being read; NULL between items */
	char id[SVD_ID_HEX_LEN + 1]; /* the folder it is filed under in the bundle */
	const char *path;            /* the bundle, named in the record */
	FILE *record;                /* the refusal record, opened on first use */
	char record_path[4096];      /* "" when there is none, or it could not be made */
} importer;

static int on_item_begin(void *ctx, const char *id)
{
	importer *im = ctx;

	/* the gate refuses it unless its manifest's SHA-256 is this id */
	snprintf(im->id, sizeof(im->id), "%s", id);
	return svd_stage_begin(&im->stage, im->txn);
}

static int on_file_begin(void *ctx, const char *path, uint64_t size)
{
	importer *im = ctx;

	return svd_stage_file_begin(im->stage, path, size);
}

static int on_file_write(void *ctx, const void *data, size_t len)
{
	importer *im = ctx;

	return svd_stage_file_write(im->stage, data, len);
}

/* A file cut short is left open: the item is lost, and abandoning it takes the blob back. */
static int on_file_end(void *ctx, int whole)
{
	importer *im = ctx;

	return whole ? svd_stage_file_end(im->stage) : 0;
}

/* The item whole: staged, or refused and its blobs taken back. */
static int on_item_gate(void *ctx, const svd_entry *entries, size_t n, const char *source,
                        svd_verdict **out)
{
	importer *im = ctx;
	int error;

	error =
	    svd_stage_finish(im->stage, im->id, entries, n, source, SVD_CHECK_DROP_BAD_SIGS, out);
	svd_stage_free(im->stage);
	im->stage = NULL;
	/* a refusal is a verdict, not a failure of the import */
	return error == SVD_ECORRUPT ? 0 : error;
}

/*
 * A signature update: the item held in main completes it, and the update's
 * signatures go through the gate with it. One for an item main does not
 * hold is skipped (no verdict), not refused: the sender thought this
 * archive held it, and nothing is wrong with the update.
 */
static int on_update_gate(void *ctx, const char *id, const svd_entry *entries, size_t n,
                          const char *source, svd_verdict **out)
{
	importer *im = ctx;
	int error;

	error = svd_stage_finish_update(im->stage, id, entries, n, source, SVD_CHECK_DROP_BAD_SIGS,
	                                out);
	svd_stage_free(im->stage);
	im->stage = NULL;
	if (error == SVD_ENOTFOUND) {
		svd_error_clear();
		return 0;
	}
	return error == SVD_ECORRUPT ? 0 : error;
}

/*
 * The item ends before the gate: its blobs are taken back. A refusal with
 * no item begun (a stray entry) is counted in the operation all the same.
 */
static int on_item_drop(void *ctx, svd_bundle_drop why)
{
	importer *im = ctx;
	int error = 0;

	if (im->stage) {
		error = svd_stage_abandon(
		    im->stage, why == SVD_BUNDLE_DROP_REFUSED ? SVD_STAGE_REFUSED : SVD_STAGE_LOST);
		svd_stage_free(im->stage);
		im->stage = NULL;
	} else if (why == SVD_BUNDLE_DROP_REFUSED) {
		svd_txn_note_refused(im->txn);
	}
	return error;
}

/*
 * A line of the record: what, then the n fields, each after a tab (a space
 * after "#"). Every field is escaped (SPEC.md, 13), so that a name from
 * the bundle holds no tab or newline that would forge a field or a line;
 * the last one, a message, keeps its backslashes (its names were escaped
 * where it was made). A field that cannot be escaped for want of memory
 * is "?".
 */
static void record_line(FILE *f, const char *what, const char *const *field, size_t n)
{
	size_t i;

	fputs(what, f);
	for (i = 0; i < n; i++) {
		char *shown = svd_text_dup(field[i], i + 1 == n ? SVD_TEXT_KEEP_BACKSLASH : 0);
		fprintf(f, "%c%s", what[0] == '#' ? ' ' : '\t', shown ? shown : "?");
		free(shown);
	}
	fputc('\n', f);
}

/*
 * The record, opened when there is first something to say, so that a
 * clean import leaves no file behind. A record that cannot be made is
 * tried once: what it would hold is on the caller's callbacks (stderr) too.
 */
static FILE *record_file(importer *im)
{
	if (!im->record && im->record_path[0]) {
		im->record = fopen(im->record_path, "w");
		if (im->record)
			record_line(im->record, "# samvydav import of", &im->path, 1);
		else
			im->record_path[0] = '\0';
	}
	return im->record;
}

static int on_item_verdict(void *ctx, const svd_verdict *v)
{
	importer *im = ctx;
	size_t i;

	if (svd_verdict_ok(v) || !record_file(im))
		return 0;
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *line[4]; /* id, file, check, message */
		line[0] = svd_verdict_id(v) ? svd_verdict_id(v) : "-";
		svd_verdict_problem(v, i, &line[1], &line[2], &line[3]);
		record_line(im->record, "refused", line, 4);
	}
	return 0;
}

static void on_damage(void *ctx, uint64_t offset, uint64_t length, const char *what)
{
	importer *im = ctx;

	char at[24], len[24];
	const char *line[] = {at, len, what};

	snprintf(at, sizeof(at), "%llu", (unsigned long long)offset);
	snprintf(len, sizeof(len), "%llu", (unsigned long long)length);
	if (record_file(im))
		record_line(im->record, "damage", line, 3);
}

int svd_bundle_import(svd_txn *t, const char *path, const svd_bundle_cbs *cbs,
                      svd_bundle_stats *stats)
{
	importer im;
	svd_bundle_sink sk = {
	    .item_begin = on_item_begin,
	    .file_begin = on_file_begin,
	    .file_write = on_file_write,
	    .file_end = on_file_end,
	    .item_gate = on_item_gate,
	    .item_verdict = on_item_verdict,
	    .item_drop = on_item_drop,
	    .damage = on_damage,
	    .ctx = &im,
	    .update_gate = on_update_gate,
	};
	char *dir = svd_txn_refused_dir(t);
	char stamp[32];
	const char *base = strrchr(path, '/');
	time_t now = time(NULL);
	struct tm tm;
	int error;

	if (!dir)
		return SVD_ERROR;
	memset(&im, 0, sizeof(im));
	im.txn = t;
	im.path = path;
	/* one record per import: when it began, and of which bundle */
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(im.record_path, sizeof(im.record_path), "%s/%s-%.200s.txt", dir, stamp,
	         base ? base + 1 : path);
	free(dir);
	error = svd_bundle_read(path, NULL, &sk, cbs, stats);
	/* a read stopped by a failure (out of memory, say) inside an item: abandoned, as lost */
	svd_stage_free(im.stage);
	im.stage = NULL;
	if (im.record) {
		fflush(im.record);
		fsync(fileno(im.record));
		fclose(im.record);
	}
	/* read through, the refusals on disk, nothing committed yet */
	if (error == 0 || error == SVD_ECORRUPT)
		svd_pause_point("bundle.read");
	return error;
}
