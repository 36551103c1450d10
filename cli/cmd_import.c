/*
 * cmd_import.c: samvydav import — bundles through the gate, one commit each.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav import [--passphrase | --passphrase-file FILE] [--json]\n"
	             "                       [-q] BUNDLE...\n"
	             "\n"
	             "Import bundles (NAME.tar.zst) into the archive, one commit per bundle.\n"
	             "Every item passes the gate: decompression limits, only regular files in\n"
	             "the item layout, canonical manifests, every size and SHA-256, signatures,\n"
	             "and a signature by a key this archive trusts. What passes is imported;\n"
	             "what does not is reported one line per problem (item, file, check) and\n"
	             "recorded in ARCHIVE/refused/. A damaged bundle (a bad stick, a cut copy)\n"
	             "still gives every intact item; the damaged places are reported. The\n"
	             "bundle file is never changed. Importing a bundle twice changes nothing.\n"
	             "A signature update (a co-signature sent for an item this archive holds)\n"
	             "is checked with the item held here and counted as co-signed; one for an\n"
	             "item not held here is skipped and reported, and is no error.\n"
	             "A sealed bundle (SPEC.md, 12) is opened with this archive's keys or the\n"
	             "passphrase given; one that none opens is not for this mirror (exit 1).\n"
	             "\n" CLI_SEAL_READ_HELP
	             "  --json        one JSON object per bundle: counts, refusals, damage\n"
	             "  -q, --quiet   no progress, no summary (problems are still reported)\n"
	             "\n"
	             "Exit code 3 if anything was refused or lost to damage.\n");
}

typedef struct istate {
	const char *bundle;
	const svd_seal_keys *keys;
	int json, progress, quiet;
	json_t *refusals, *damage, *skips;
	size_t items;
} istate;

static int on_item(const svd_verdict *v, void *payload)
{
	istate *s = payload;
	const char *id = svd_verdict_id(v);
	size_t i;

	s->items++;
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file, *msg;
		svd_verdict_dropped(v, i, &file, &msg);
		fprintf(stderr, "%ssamvydav: %s: %s: left out %s: %s: %s\n",
		        s->progress ? "\n" : "", cli_shown(s->bundle), cli_shown(id),
		        cli_shown(file), svd_verdict_dropped_check(v, i), cli_shown_msg(msg));
	}
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		fprintf(stderr, "%ssamvydav: refused %s: %s: %s: %s: %s%s\n",
		        s->progress ? "\n" : "", cli_shown(s->bundle), id ? cli_shown(id) : "-",
		        cli_shown(file), check, cli_shown_msg(msg),
		        id && !svd_verdict_id_verified(v)
		            ? " (the id its folder names, not verified)"
		            : "");
		if (s->json)
			json_array_append_new(
			    s->refusals, json_pack("{s:o,s:b,s:o,s:s,s:o}", "id", cli_json_text(id),
			                           "id_verified", svd_verdict_id_verified(v),
			                           "file", cli_json_text(file), "check", check,
			                           "message", cli_json_text(msg)));
	}
	return 0;
}

/* A signature update: applied or refused like an item, or skipped (not held here). */
static int on_update(const char *id, const svd_verdict *v, const char *why, void *payload)
{
	istate *s = payload;

	if (v)
		return on_item(v, payload);
	s->items++;
	if (!s->quiet)
		fprintf(stderr, "%ssamvydav: %s: %s: skipped: %s\n", s->progress ? "\n" : "",
		        cli_shown(s->bundle), cli_shown(id), cli_shown_msg(why));
	if (s->json)
		json_array_append_new(s->skips, json_pack("{s:o,s:o}", "id", cli_json_text(id),
		                                          "why", cli_json_text(why)));
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	istate *s = payload;

	fprintf(stderr, "%ssamvydav: %s: damaged at byte %llu (%llu bytes): %s\n",
	        s->progress ? "\n" : "", cli_shown(s->bundle), (unsigned long long)offset,
	        (unsigned long long)length, cli_shown_msg(what));
	if (s->json)
		json_array_append_new(
		    s->damage, json_pack("{s:I,s:I,s:o}", "offset", (json_int_t)offset, "length",
		                         (json_int_t)length, "what", cli_json_text(what)));
}

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	istate *s = payload;

	(void)items;
	if (s->progress)
		cli_progress("Importing", s->items, bytes, 0);
}

static int import_one(svd_archive *a, const char *bundle, istate *s)
{
	svd_bundle_cbs cbs = {on_item, on_damage, on_progress, s, on_update, s->keys};
	svd_bundle_stats st;
	svd_txn *txn = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	int error, code;

	s->bundle = bundle;
	s->items = 0;
	if ((error = svd_txn_begin(&txn, a)) < 0)
		return cli_fail(error);
	error = svd_bundle_import(txn, bundle, &cbs, &st);
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	code = error == SVD_ECORRUPT ? EXIT_REFUSED : EXIT_OK;
	if ((error = svd_txn_commit(txn, NULL, commit)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (s->progress)
		cli_progress("Importing", s->items, st.bytes, 1);
	cli_bundle_listing_warn(bundle, &st);
	{
		const svd_txn_stats *ts = svd_txn_stats_get(txn);
		if (s->json) {
			int out = cli_print_json(json_pack(
			    "{s:o,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:O,s:O,"
			    "s:O,s:b,s:I,s:s,s:I}",
			    "bundle", cli_json_text(bundle), "commit", commit, "mirror",
			    cli_json_text(st.mirror), "created", cli_json_text(st.created),
			    "declared", (json_int_t)st.declared, "read", (json_int_t)st.items,
			    "added", (json_int_t)ts->added, "cosigned", (json_int_t)ts->cosigned,
			    "unchanged", (json_int_t)ts->unchanged, "refused",
			    (json_int_t)st.refused, "lost", (json_int_t)st.lost, "updates",
			    (json_int_t)st.updates, "skipped", (json_int_t)st.skipped,
			    "damaged_frames", (json_int_t)st.damaged, "index", st.has_index,
			    "refusals", s->refusals, "damage", s->damage, "skips", s->skips,
			    "sealed", st.sealed, "damaged_chunks", (json_int_t)st.chunks_damaged,
			    "bundle_json", cli_bundle_listing(&st), "unlisted",
			    (json_int_t)st.unlisted));
			if (out != EXIT_OK)
				code = out;
			json_array_clear(s->refusals);
			json_array_clear(s->damage);
			json_array_clear(s->skips);
		} else if (!s->quiet) {
			char skipped[96] = "";
			if (st.skipped)
				snprintf(skipped, sizeof(skipped),
				         ", %zu signature update%s skipped (not held here)",
				         st.skipped, st.skipped == 1 ? "" : "s");
			fprintf(stderr,
			        "%s: %s%zu items: %zu added, %zu co-signed, %zu already here, %zu "
			        "refused, "
			        "%zu lost to damage%s%s%s\n",
			        cli_shown(bundle), st.sealed ? "sealed, " : "",
			        st.declared ? st.declared : st.items, ts->added, ts->cosigned,
			        ts->unchanged, st.refused, st.lost, skipped,
			        *commit ? "; commit " : "", commit);
		}
	}
cleanup:
	svd_txn_free(txn);
	return code;
}

int cmd_import(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_READ_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	cli_seal seal = {0};
	istate s = {0};
	svd_archive *a = NULL;
	int c, i, quiet = 0, code = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "import", c, optarg)) != 0) {
			if (code < 0)
				return -code;
			continue;
		}
		switch (c) {
		case 'j':
			s.json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("import", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage("import", "name at least one bundle");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = cli_seal_prepare(&seal, "import", a, 0)) != 0) {
		cli_seal_free(&seal);
		svd_archive_free(a);
		return code;
	}
	s.keys = seal.ring;
	s.quiet = quiet;
	s.progress = cli_progress_wanted(quiet) && !s.json;
	s.refusals = json_array();
	s.damage = json_array();
	s.skips = json_array();
	for (i = optind; i < argc; i++) {
		int r = import_one(a, argv[i], &s);
		/* the worst outcome decides: a failure over a refusal over success */
		if (r != EXIT_OK && (code == EXIT_OK || code == EXIT_REFUSED))
			code = r;
	}
	json_decref(s.refusals);
	json_decref(s.damage);
	json_decref(s.skips);
	cli_seal_free(&seal);
	svd_archive_free(a);
	return code;
}
