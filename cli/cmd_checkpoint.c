/*
 * cmd_checkpoint.c: samvydav checkpoint — vouch for the items the archive
 * holds now, so that they stay valid if a key that signed them is revoked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav checkpoint --key SECRET.key [--by KEYID]... [--title TEXT]\n"
	        "                           [--lang TAG] [--created TIME] [-m TEXT] [--json]\n"
	        "\n"
	        "Vouch for the items this archive accepts now (shown or withdrawn, not\n"
	        "refused), or for those signed by the given keys: make checkpoints that\n"
	        "list their ids, sign them and add them, in one commit. A checkpoint is an\n"
	        "item (a statement, manifest format 2, with no files) that travels in every\n"
	        "bundle, peer sync and stick. Items it lists stay valid after a key that\n"
	        "signed them is revoked. A checkpoint lists at most 3500 ids; more make\n"
	        "several checkpoints.\n"
	        "\n"
	        "  --key FILE         the signing secret key, a root's or an editor's (asks\n"
	        "                     for its passphrase)\n"
	        "  --by KEYID         only items signed by this key (repeat for several)\n"
	        "  --title TEXT       the title (default: Checkpoint of N items)\n"
	        "  --lang TAG         the title's language (default: en)\n"
	        "  --created TIME     creation time, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
	        "  -m, --message TEXT the commit message\n"
	        "  --json             print the outcome as JSON\n"
	        "\n"
	        "The signing key must be trusted in this archive. Exit codes: 0 done, 1\n"
	        "failed, 2 wrong usage, 3 refused (the signing key is not trusted here), 4\n"
	        "no items to vouch for, no such key file or archive, 5 the archive is busy.\n");
}

enum { OPT_BY = CLI_OPT_MORE };

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is one of the keys among an item's signers ("K1 K2 ...")? */
static int signed_by(const char *signers, char **by, size_t nby)
{
	size_t i, n = strlen(signers);
	const char *p;

	for (i = 0; i < nby; i++)
		for (p = strstr(signers, by[i]); p; p = strstr(p + 1, by[i]))
			if ((p == signers || p[-1] == ' ') &&
			    (p + SVD_KEYID_HEX_LEN == signers + n || p[SVD_KEYID_HEX_LEN] == ' '))
				return 1;
	return 0;
}

int cmd_checkpoint(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    CLI_STATEMENT_OPTIONS, {"by", required_argument, NULL, OPT_BY}, {NULL, 0, NULL, 0}};
	cli_statement_opts so = {.lang = "en"};
	char commit[SVD_COMMIT_HEX_LEN + 1] = "", now[32], text[SVD_TEXT_MAX + 64];
	char **by = NULL;
	const char **ids = NULL;
	char *idtext = NULL; /* the ids' text, SVD_ID_HEX_LEN + 1 bytes each */
	svd_manifest **ms = NULL;
	size_t nby = 0, nids = 0, nparts = 0, i, k;
	svd_archive *a = NULL;
	svd_seckey *sk = NULL;
	svd_view *view = NULL;
	int c, error, code = EXIT_FAIL;

	if (!(by = calloc((size_t)argc + 1, sizeof(*by))))
		return cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (cli_statement_option(&so, c, optarg))
			continue;
		switch (c) {
		case OPT_BY:
			if (!svd_keyid_valid(optarg)) {
				code = cli_usage("checkpoint",
				                 "--by %s: not a key id (16 uppercase hex digits)",
				                 optarg);
				goto cleanup;
			}
			by[nby++] = optarg;
			break;
		case 'h':
			help(stdout);
			code = EXIT_OK;
			goto cleanup;
		default:
			code = cli_usage("checkpoint", "unknown option");
			goto cleanup;
		}
	}
	if (optind != argc) {
		code = cli_usage("checkpoint", "unexpected argument '%s'", argv[optind]);
		goto cleanup;
	}
	if (!so.key) {
		code = cli_usage("checkpoint", "a checkpoint must be signed: give --key");
		goto cleanup;
	}
	if (!so.created) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		so.created = now;
	}
	if ((code = cli_open_archive(&a, ctx)) != 0 || (code = cli_read_seckey(&sk, so.key)) != 0)
		goto cleanup;
	if (!(view = cli_view_open(a, &code)))
		goto cleanup;
	if (!(ids = calloc(svd_view_size(view) + 1, sizeof(*ids))) ||
	    !(idtext = malloc((svd_view_size(view) + 1) * (SVD_ID_HEX_LEN + 1)))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	for (i = 0; i < svd_view_size(view); i++) {
		svd_view_item buf;
		const svd_view_item *it = svd_view_at(&buf, view, i);
		if (it->state != SVD_VIEW_SHOWN && it->state != SVD_VIEW_RETRACTED)
			continue;
		if (nby && !signed_by(it->signers, by, nby))
			continue;
		memcpy(idtext + nids * (SVD_ID_HEX_LEN + 1), it->id, SVD_ID_HEX_LEN + 1);
		ids[nids] = idtext + nids * (SVD_ID_HEX_LEN + 1);
		nids++;
	}
	if (nids == 0) {
		cli_error("no items to vouch for%s", nby ? " signed by those keys" : "");
		code = EXIT_NOTFOUND;
		goto cleanup;
	}
	qsort(ids, nids, sizeof(*ids), cmp_id);
	nparts = (nids + SVD_CHECKPOINT_MAX - 1) / SVD_CHECKPOINT_MAX;
	if (!(ms = calloc(nparts, sizeof(*ms)))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	for (k = 0; k < nparts; k++) {
		size_t from = k * SVD_CHECKPOINT_MAX;
		size_t n = nids - from < SVD_CHECKPOINT_MAX ? nids - from : SVD_CHECKPOINT_MAX;

		if (so.title && nparts == 1)
			snprintf(text, sizeof(text), "%s", so.title);
		else if (so.title)
			snprintf(text, sizeof(text), "%s (part %zu of %zu)", so.title, k + 1,
			         nparts);
		else if (nparts == 1)
			snprintf(text, sizeof(text), "Checkpoint of %zu item%s", n,
			         n == 1 ? "" : "s");
		else
			snprintf(text, sizeof(text), "Checkpoint of %zu items (part %zu of %zu)", n,
			         k + 1, nparts);
		if ((error = svd_manifest_new(&ms[k])) < 0) {
			code = cli_fail(error);
			goto cleanup;
		}
		if ((code = cli_statement_fields(ms[k], "checkpoint", SVD_KIND_CHECKPOINT, text,
		                                 so.lang, so.created)) != 0)
			goto cleanup;
		for (i = from; i < from + n; i++)
			if ((error = svd_manifest_add_item(ms[k], ids[i])) < 0) {
				code = cli_fail(error);
				goto cleanup;
			}
	}
	if ((code = cli_add_statements(a, ms, nparts, sk, so.message, commit)) != EXIT_OK)
		goto cleanup;
	if (so.json) {
		json_t *parts = json_array();
		for (k = 0; k < nparts; k++)
			json_array_append_new(
			    parts, json_pack("{s:s,s:I}", "id", svd_manifest_id(ms[k]), "items",
			                     (json_int_t)svd_manifest_item_count(ms[k])));
		code = cli_print_json(json_pack("{s:s,s:s,s:I,s:o,s:s}", "commit", commit, "kind",
		                                "checkpoint", "items", (json_int_t)nids,
		                                "checkpoints", parts, "signer", svd_seckey_id(sk)));
	} else {
		for (k = 0; k < nparts; k++)
			printf("Checkpoint %s: %zu items\n", svd_manifest_id(ms[k]),
			       svd_manifest_item_count(ms[k]));
		printf(
		    "Vouched for %zu item%s in %zu checkpoint%s, signed by key %s, in commit %s\n",
		    nids, nids == 1 ? "" : "s", nparts, nparts == 1 ? "" : "s", svd_seckey_id(sk),
		    commit);
	}
cleanup:
	for (k = 0; ms && k < nparts; k++)
		svd_manifest_free(ms[k]);
	free(ms);
	free(ids);
	free(idtext);
	free(by);
	svd_view_free(view);
	svd_seckey_free(sk);
	svd_archive_free(a);
	return code;
}
