/*
 * cmd_unpack.c: samvydav unpack — a bundle or an archive made into a static
 * HTML library for reading offline (SPEC.md, 11).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav unpack [--trust KEY.pub]... [-j N] [--json] [-q] SRC -o DIR\n"
	             "\n"
	             "Make a library to read offline: DIR/index.html lists every item (search,\n"
	             "filters by language, kind, region and year), one page per item with its\n"
	             "text, attachments and verification, and the items' own files under\n"
	             "DIR/items/. Open DIR/index.html in any browser; no server is needed.\n"
	             "\n"
	             "SRC is a bundle (FILE.tar.zst, read frame by frame, never imported) or an\n"
	             "archive folder. Every item is checked as import checks it — sizes,\n"
	             "SHA-256, signatures, trust — and only accepted items are written; each\n"
	             "refused one is reported with the reason. Retracted items are left out.\n"
	             "A signature file the gate leaves out of an accepted item (misnamed, one\n"
	             "that does not verify) is not written, and is reported as import does.\n"
	             "Trust comes from the archive (-C, $SAMVYDAV_ARCHIVE or the current folder)\n"
	             "when there is one, from SRC when it is an archive, and from --trust keys.\n"
	             "\n"
	             "The library is built in DIR.tmp-XXXXXX, synced, then renamed to DIR: a\n"
	             "crash leaves the old DIR or the new one. An earlier library at DIR is\n"
	             "replaced; a DIR that holds anything else is left alone (an error).\n"
	             "\n"
	             "  -o, --output DIR   the library folder to write\n"
	             "  --trust FILE       also trust this public key (minisign format); repeat\n"
	             "  -j, --threads N    pages rendered at once, 1 to 16 (default: one per core\n"
	             "                     but one while the items are read, one per core after)\n"
	             "  --json             one JSON object: counts, refused items, damage\n"
	             "  -q, --quiet        no progress, no summary (refusals are still printed)\n"
	             "\n"
	             "Exit codes: 0 every item accepted; 3 some were refused or lost to damage\n"
	             "(the library holds the rest; none is written when nothing was accepted);\n"
	             "2 wrong usage or no trusted key; 4 no such SRC; 1 DIR is not a library,\n"
	             "or the library could not be written.\n");
}

typedef struct ustate {
	int json, quiet, progress;
	json_t *refused, *damage, *left_out;
} ustate;

static int on_item(const svd_verdict *v, void *payload)
{
	ustate *s = payload;
	const char *id = svd_verdict_id(v) ? svd_verdict_id(v) : "-";
	size_t i;

	/* an accepted item's entries the gate left out (a bad signature file), as import says */
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file, *msg;
		svd_verdict_dropped(v, i, &file, &msg);
		if (s->json)
			json_array_append_new(
			    s->left_out,
			    json_pack("{s:o,s:o,s:s,s:o}", "id", cli_json_text(id), "file",
			              cli_json_text(file), "check", svd_verdict_dropped_check(v, i),
			              "message", cli_json_text(msg)));
		else
			fprintf(stderr, "%sleft out: %s: %s: %s: %s\n", s->progress ? "\n" : "",
			        cli_shown(id), cli_shown(file), svd_verdict_dropped_check(v, i),
			        cli_shown_msg(msg));
	}
	if (svd_verdict_ok(v))
		return 0;
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		if (s->json)
			json_array_append_new(
			    s->refused, json_pack("{s:o,s:o,s:s,s:o,s:o}", "id", cli_json_text(id),
			                          "file", cli_json_text(file), "check", check,
			                          "message", cli_json_text(msg), "source",
			                          cli_json_text(svd_verdict_source(v))));
		else
			fprintf(stderr, "%srefused: %s: %s: %s: %s\n", s->progress ? "\n" : "",
			        cli_shown(id), cli_shown(file), check, cli_shown_msg(msg));
	}
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	ustate *s = payload;

	cli_damage(s->json ? s->damage : NULL, stderr, s->progress ? "\n" : "", offset, length,
	           what);
}

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	(void)payload;
	cli_progress("unpack", (size_t)items, (unsigned long long)bytes, 0);
}

/* Add an archive's trusted keys to a trust list; prints its own errors. */
static int trust_archive(svd_trust *trust, const char *dir)
{
	svd_archive *a = NULL;
	size_t i;
	int error;

	if ((error = svd_archive_open(&a, dir)) < 0)
		return cli_fail(error);
	for (i = 0; i < svd_trust_count(svd_archive_trust(a)); i++) {
		if ((error = svd_trust_insert_role(trust, svd_trust_at(svd_archive_trust(a), i),
		                                   svd_trust_role(svd_archive_trust(a), i))) < 0) {
			svd_archive_free(a);
			return cli_fail(error);
		}
	}
	svd_trust_copy_thresholds(trust, svd_archive_trust(a));
	svd_archive_free(a);
	return 0;
}

int cmd_unpack(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"trust", required_argument, NULL, 't'},
	                                     {"threads", required_argument, NULL, 'j'},
	                                     {"json", no_argument, NULL, 'J'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	ustate s = {0};
	svd_trust *trust = NULL;
	svd_unpack_opts uo = {0};
	svd_unpack_stats st;
	const char *out = NULL, *src;
	struct stat sb;
	int c, error, code = EXIT_OK;

	if (svd_trust_new(&trust) < 0)
		return cli_fail(SVD_ERROR);
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:j:q", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 't':
			if ((code = cli_trust_file(trust, optarg)) != 0)
				goto cleanup;
			break;
		case 'j':
			if ((code = cli_threads("unpack", optarg, SVD_THREADS_MAX, &uo.threads)) !=
			    0)
				goto cleanup;
			break;
		case 'J':
			s.json = 1;
			break;
		case 'q':
			s.quiet = 1;
			break;
		case 'h':
			help(stdout);
			code = EXIT_OK;
			goto cleanup;
		default:
			code = cli_usage("unpack", "unknown option");
			goto cleanup;
		}
	}
	if (optind + 1 != argc) {
		code = cli_usage("unpack", optind >= argc ? "unpack needs a bundle or an archive"
		                                          : "unpack takes one bundle or archive");
		goto cleanup;
	}
	src = argv[optind];
	if (!out || !*out) {
		code = cli_usage("unpack", "give the library folder to write with -o DIR");
		goto cleanup;
	}
	if (stat(src, &sb) < 0) {
		cli_error("%s: no such bundle or archive", src);
		code = EXIT_NOTFOUND;
		goto cleanup;
	}
	if (S_ISDIR(sb.st_mode) && !cli_is_archive(src)) {
		code = cli_usage("unpack", "%s is a folder but not an archive (no mirror-id)", src);
		goto cleanup;
	}
	if (cli_is_archive(ctx->archive_dir) &&
	    (code = trust_archive(trust, ctx->archive_dir)) != 0)
		goto cleanup;
	if (S_ISDIR(sb.st_mode) && (code = trust_archive(trust, src)) != 0)
		goto cleanup;
	if (svd_trust_count(trust) == 0) {
		code = cli_usage(
		    "unpack", "no key is trusted, so no item could be accepted: give --trust "
		              "KEY.pub, or run it in an archive (-C DIR) that trusts its editors");
		goto cleanup;
	}
	s.progress = cli_progress_wanted(s.quiet || s.json);
	s.refused = json_array();
	s.damage = json_array();
	s.left_out = json_array();
	uo.trust = trust;
	uo.item = on_item;
	uo.damage = on_damage;
	uo.progress = s.progress ? on_progress : NULL;
	uo.payload = &s;
	error = svd_unpack(src, out, &uo, &st);
	if (s.progress)
		cli_progress("unpack", st.checked, 0, 1);
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (error == SVD_ECORRUPT) {
		code = EXIT_REFUSED;
		if (st.accepted == 0 && !s.json)
			cli_error("%s", svd_error_last());
	}
	if (s.json) {
		int o = cli_print_json(json_pack(
		    "{s:s,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:O,s:O,s:O}", "source", src,
		    "output", out, "written", error == 0 || st.accepted > 0, "checked",
		    (json_int_t)st.checked, "accepted", (json_int_t)st.accepted, "refused",
		    (json_int_t)st.refused, "lost", (json_int_t)st.lost, "retracted",
		    (json_int_t)st.retracted, "shown", (json_int_t)st.shown, "damaged_frames",
		    (json_int_t)st.damaged, "bytes", (json_int_t)st.bytes, "refusals", s.refused,
		    "damage", s.damage, "left_out", s.left_out));
		if (o != EXIT_OK)
			code = o;
	} else if (!s.quiet && (error == 0 || st.accepted > 0)) {
		printf("%s: %zu items shown (%zu accepted, %zu refused, %zu lost to damage, %zu "
		       "retracted); open %s/index.html\n",
		       out, st.shown, st.accepted, st.refused, st.lost, st.retracted, out);
	}
cleanup:
	json_decref(s.refused);
	json_decref(s.damage);
	json_decref(s.left_out);
	svd_trust_free(trust);
	return code;
}
