/*
 * cmd_add.c: samvydav add — make, sign and add items; one commit per run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav add --kind KIND --title TEXT --lang TAG --body FILE --key FILE\n"
	        "                    [--author NAME]... [--published YYYY-MM-DD] [--source URL]\n"
	        "                    [--region TEXT] [--tag TEXT]... [--supersedes ID]\n"
	        "                    [--retracts ID] [--attach FILE]... [--created TIME]\n"
	        "       samvydav add --from PATH [--key FILE]\n"
	        "\n"
	        "Sign items and add them to the archive, all in one commit. Every item\n"
	        "goes through the same gate as a bundle: canonical manifest, sizes and\n"
	        "SHA-256 of every file, signatures, and at least one trusted signer.\n"
	        "\n"
	        "One item from options:\n"
	        "  --kind KIND        article, testimony, correction or retraction\n"
	        "  --title TEXT       the title, in any script\n"
	        "  --lang TAG         the language, a BCP 47 tag (uk, ru, en, fr, crh-Latn...)\n"
	        "  --author NAME      an author; repeat for several\n"
	        "  --published DATE   the date of publication, YYYY-MM-DD\n"
	        "  --source URL       where it was first published (http or https)\n"
	        "  --region TEXT      the region it concerns (e.g. Kherson)\n"
	        "  --tag TEXT         a tag; repeat for several\n"
	        "  --supersedes ID    the item this one corrects or replaces (its id, or the\n"
	        "                     first digits of an item in this archive)\n"
	        "  --retracts ID      the item this retraction withdraws (likewise)\n"
	        "  --body FILE        the text, in Markdown; stored as body.md\n"
	        "  --attach FILE      an attachment (photo, audio, PDF); repeat for several\n"
	        "  --created TIME     creation time, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
	        "\n"
	        "Many items:\n"
	        "  --from PATH        (also --from-dir) one of:\n"
	        "                     - a folder of item folders, or one item folder; an item\n"
	        "                       folder holds either meta.json (the fields above as\n"
	        "                       JSON; every other file is a payload, body.md the\n"
	        "                       text) or manifest.json with its payload files and\n"
	        "                       signatures (sig/KEYID.minisig, or manifest.json.minisig\n"
	        "                       as stock minisign writes it), taken byte for byte\n"
	        "                     - a JSON lines file: one object per line with the\n"
	        "                       fields above, \"body\" and \"attachments\" naming files\n"
	        "                       relative to the JSON lines file\n"
	        "\n"
	        "Common:\n"
	        "  --key FILE         the editor's secret key (minisign format); asks for\n"
	        "                     its passphrase (or reads the first line of stdin)\n"
	        "  -m, --message TEXT the commit message (default: what was added, by whom)\n"
	        "  --json             print the outcome as JSON\n"
	        "  -q, --quiet        no progress, no summary\n"
	        "\n"
	        "Items that fail a check are refused, each named on stderr with the file\n"
	        "and the check; the rest are added and the exit code is 3.\n");
}

enum {
	OPT_KIND = 256,
	OPT_TITLE,
	OPT_LANG,
	OPT_AUTHOR,
	OPT_PUBLISHED,
	OPT_SOURCE,
	OPT_REGION,
	OPT_TAG,
	OPT_SUPERSEDES,
	OPT_RETRACTS,
	OPT_BODY,
	OPT_ATTACH,
	OPT_CREATED,
	OPT_KEY,
	OPT_FROM,
	OPT_JSON,
};

typedef struct report {
	int json, quiet, progress;
	json_t *added, *refused;
	size_t seen;
	const svd_txn *txn;
} report;

/* Told about each item: progress, refusals on stderr, and the JSON report. */
static int on_item(const svd_verdict *v, void *payload)
{
	report *r = payload;
	const char *id = svd_verdict_id(v), *src = svd_verdict_source(v);
	size_t i;

	r->seen++;
	for (i = 0; i < svd_verdict_dropped_count(v); i++) {
		const char *file, *msg;
		svd_verdict_dropped(v, i, &file, &msg);
		if (r->progress)
			fputc('\n', stderr);
		fprintf(stderr,
		        "samvydav: left out %s%s%s: %s: %s: %s (the item is added on its valid "
		        "signatures)\n",
		        src ? src : "", src ? ": " : "", id, file, svd_verdict_dropped_check(v, i),
		        msg);
	}
	if (svd_verdict_ok(v)) {
		if (r->json)
			json_array_append_new(r->added, json_string(id));
	} else {
		json_t *problems = json_array();
		if (r->progress)
			fputc('\n', stderr);
		for (i = 0; i < svd_verdict_problem_count(v); i++) {
			const char *file, *check, *msg;
			svd_verdict_problem(v, i, &file, &check, &msg);
			fprintf(stderr, "samvydav: refused %s%s%s: %s%s%s: %s\n",
			        src ? cli_shown(src) : "", src && id ? ": " : "",
			        id ? cli_shown(id) : "", cli_shown(file), *file ? ": " : "", check,
			        cli_shown_msg(msg));
			json_array_append_new(
			    problems, json_pack("{s:o,s:s,s:o}", "file", cli_json_text(file),
			                        "check", check, "message", cli_json_text(msg)));
		}
		if (r->json)
			json_array_append_new(r->refused,
			                      json_pack("{s:s?,s:s?,s:o}", "source", src, "id", id,
			                                "problems", problems));
		else
			json_decref(problems);
	}
	if (r->progress)
		cli_progress("Adding", r->seen, svd_txn_stats_get(r->txn)->bytes, 0);
	return 0;
}

/*
 * --supersedes and --retracts: a full id may name an item this archive has
 * not seen; a shorter one must be unambiguous here, like everywhere else.
 */
static int set_ref(svd_manifest *m, svd_archive *a, const char *field, const char *value)
{
	char id[SVD_ID_HEX_LEN + 1];
	int error;

	if (!value)
		return 0;
	if (strlen(value) < SVD_ID_HEX_LEN) {
		if ((error = svd_store_resolve(id, a, value)) < 0)
			return cli_fail(error);
		value = id;
	}
	if (svd_manifest_set(m, field, value) < 0)
		return cli_usage("add", "%s", svd_error_last());
	return 0;
}

int cmd_add(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"title", required_argument, NULL, OPT_TITLE},
	    {"lang", required_argument, NULL, OPT_LANG},
	    {"author", required_argument, NULL, OPT_AUTHOR},
	    {"published", required_argument, NULL, OPT_PUBLISHED},
	    {"source", required_argument, NULL, OPT_SOURCE},
	    {"region", required_argument, NULL, OPT_REGION},
	    {"tag", required_argument, NULL, OPT_TAG},
	    {"supersedes", required_argument, NULL, OPT_SUPERSEDES},
	    {"retracts", required_argument, NULL, OPT_RETRACTS},
	    {"body", required_argument, NULL, OPT_BODY},
	    {"attach", required_argument, NULL, OPT_ATTACH},
	    {"created", required_argument, NULL, OPT_CREATED},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"from-dir", required_argument, NULL, OPT_FROM},
	    {"message", required_argument, NULL, 'm'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	svd_source_file *files = NULL;
	size_t nfiles = 0;
	const char *key = NULL, *from = NULL, *message = NULL, *body = NULL;
	const char *supersedes = NULL, *retracts = NULL;
	svd_manifest *m = NULL;
	svd_archive *a = NULL;
	svd_seckey *sk = NULL;
	svd_txn *txn = NULL;
	svd_verdict *v = NULL;
	report rep = {0};
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	int c, error = 0, code = EXIT_FAIL, fields = 0, kind_set = 0;

	if (svd_manifest_new(&m) < 0)
		return cli_fail(SVD_ERROR);
	if (!(files = calloc((size_t)argc + 1, sizeof(*files)))) {
		svd_manifest_free(m);
		return cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:qh", opts, NULL)) != -1) {
		svd_kind kind;
		const char *slash;

		error = 0;
		switch (c) {
		case OPT_KIND:
			if (svd_kind_parse(&kind, optarg) == 0 && svd_kind_is_statement(kind)) {
				code = cli_usage("add",
				                 "a %s is a statement: make it with 'samvydav "
				                 "certify', 'revoke' or 'checkpoint'",
				                 optarg);
				goto cleanup;
			}
			if (svd_kind_parse(&kind, optarg) < 0) {
				code = cli_usage("add",
				                 "--kind is article, testimony, correction or "
				                 "retraction, not '%s'",
				                 optarg);
				goto cleanup;
			}
			error = svd_manifest_set_kind(m, kind);
			kind_set = 1;
			fields++;
			break;
		case OPT_TITLE:
			error = svd_manifest_set(m, "title", optarg);
			fields++;
			break;
		case OPT_LANG:
			error = svd_manifest_set(m, "lang", optarg);
			fields++;
			break;
		case OPT_PUBLISHED:
			error = svd_manifest_set(m, "published", optarg);
			fields++;
			break;
		case OPT_SOURCE:
			error = svd_manifest_set(m, "source", optarg);
			fields++;
			break;
		case OPT_REGION:
			error = svd_manifest_set(m, "region", optarg);
			fields++;
			break;
		case OPT_SUPERSEDES:
			supersedes = optarg;
			fields++;
			break;
		case OPT_RETRACTS:
			retracts = optarg;
			fields++;
			break;
		case OPT_CREATED:
			error = svd_manifest_set(m, "created", optarg);
			fields++;
			break;
		case OPT_AUTHOR:
			error = svd_manifest_add_author(m, optarg);
			fields++;
			break;
		case OPT_TAG:
			error = svd_manifest_add_tag(m, optarg);
			fields++;
			break;
		case OPT_BODY:
			if (body) {
				code = cli_usage("add", "one --body per item");
				goto cleanup;
			}
			body = optarg;
			files[nfiles].name = "body.md";
			files[nfiles++].path = optarg;
			fields++;
			break;
		case OPT_ATTACH:
			slash = strrchr(optarg, '/');
			files[nfiles].name = slash ? slash + 1 : optarg;
			files[nfiles++].path = optarg;
			fields++;
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_FROM:
			from = optarg;
			break;
		case 'm':
			message = optarg;
			break;
		case OPT_JSON:
			rep.json = 1;
			break;
		case 'q':
			rep.quiet = 1;
			break;
		case 'h':
			help(stdout);
			code = EXIT_OK;
			goto cleanup;
		default:
			code = cli_usage("add", "unknown option");
			goto cleanup;
		}
		if (error < 0) {
			code = cli_usage("add", "%s", svd_error_last());
			goto cleanup;
		}
	}
	if (optind != argc) {
		code = cli_usage("add", "unexpected argument '%s'", argv[optind]);
		goto cleanup;
	}
	if (from && fields) {
		code = cli_usage("add", "give either --from or the fields of one item, not both");
		goto cleanup;
	}
	if (!from && !kind_set) {
		code = cli_usage("add", "say what to add: --kind and the other fields, or --from");
		goto cleanup;
	}
	if (!from && !key) {
		code = cli_usage("add", "a new item must be signed: give --key");
		goto cleanup;
	}
	if ((code = cli_open_archive(&a, ctx)) != 0)
		goto cleanup;
	if ((code = set_ref(m, a, "supersedes", supersedes)) != 0 ||
	    (code = set_ref(m, a, "retracts", retracts)) != 0)
		goto cleanup;
	if (key && (code = cli_read_seckey(&sk, key)) != 0)
		goto cleanup;
	if ((error = svd_txn_begin(&txn, a)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	rep.txn = txn;
	rep.progress = from && cli_progress_wanted(rep.quiet);
	if (rep.json) {
		rep.added = json_array();
		rep.refused = json_array();
	}
	if (from) {
		error = svd_txn_add_path(txn, from, sk, on_item, &rep);
	} else {
		error = svd_txn_add_new(txn, m, files, nfiles, sk, &v);
		if (v)
			on_item(v, &rep);
	}
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	code = error == SVD_ECORRUPT ? EXIT_REFUSED : EXIT_OK;
	if ((error = svd_txn_commit(txn, message, commit)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (rep.progress)
		cli_progress("Adding", rep.seen, svd_txn_stats_get(txn)->bytes, 1);
	{
		const svd_txn_stats *st = svd_txn_stats_get(txn);
		if (st->refused || st->dropped)
			code = EXIT_REFUSED;
		if (rep.json) {
			int out = cli_print_json(json_pack(
			    "{s:s,s:I,s:I,s:I,s:I,s:I,s:O,s:O}", "commit", commit, "added",
			    (json_int_t)st->added, "cosigned", (json_int_t)st->cosigned,
			    "unchanged", (json_int_t)st->unchanged, "refused",
			    (json_int_t)st->refused, "dropped_signatures", (json_int_t)st->dropped,
			    "items", rep.added, "refusals", rep.refused));
			if (out != EXIT_OK)
				code = out;
		} else if (!from && v && svd_verdict_ok(v) && !rep.quiet) {
			printf("%s %s\n",
			       st->added ? "Added" : "Already in the archive:", svd_verdict_id(v));
		} else if (!rep.quiet) {
			printf("Added %zu item%s", st->added, st->added == 1 ? "" : "s");
			if (st->cosigned)
				printf(", co-signed %zu", st->cosigned);
			if (st->unchanged)
				printf(", %zu already present", st->unchanged);
			if (st->refused)
				printf(", refused %zu", st->refused);
			if (st->dropped)
				printf(", left out %zu bad signature%s", st->dropped,
				       st->dropped == 1 ? "" : "s");
			printf("%s%s\n", *commit ? " in commit " : "", commit);
		}
	}
cleanup:
	json_decref(rep.added);
	json_decref(rep.refused);
	svd_verdict_free(v);
	svd_txn_free(txn);
	svd_seckey_free(sk);
	svd_archive_free(a);
	svd_manifest_free(m);
	free(files);
	return code;
}
