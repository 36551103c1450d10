/*
 * cmd_sync.c: samvydav sync — take a peer mirror's items over git, through
 * the gate, in one commit.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav sync [--json] [-q] NAME URL\n"
	             "\n"
	             "Fetch the main branch of a peer mirror's store.git (file://, git://,\n"
	             "http://, https:// or a path) into refs/quarantine/NAME, never into main;\n"
	             "check every item this archive lacks (or holds with fewer signatures)\n"
	             "through the gate, and add those that pass in one commit. Refused items\n"
	             "are reported one per line (item, file, check). NAME is a short name for\n"
	             "the peer: letters, digits, '.', '_' and '-'.\n"
	             "\n"
	             "  --json        print the outcome as JSON\n"
	             "  -q, --quiet   no summary (refusals are still reported)\n"
	             "\n"
	             "Exit code 3 if anything was refused.\n");
}

typedef struct sstate {
	const char *name;
	json_t *refusals;
} sstate;

static int on_item(const svd_verdict *v, void *payload)
{
	sstate *s = payload;
	const char *id = svd_verdict_id(v);
	size_t i;

	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		fprintf(stderr, "samvydav: refused from peer %s: %s: %s: %s: %s\n",
		        cli_shown(s->name), id ? cli_shown(id) : "-", cli_shown(file), check,
		        cli_shown_msg(msg));
		json_array_append_new(s->refusals,
		                      json_pack("{s:o,s:o,s:s,s:o}", "id", cli_json_text(id),
		                                "file", cli_json_text(file), "check", check,
		                                "message", cli_json_text(msg)));
	}
	return 0;
}

int cmd_sync(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	sstate s = {0};
	svd_peer_opts po = {0};
	svd_peer_stats st = {0};
	svd_archive *a = NULL;
	svd_txn *txn = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	int c, json = 0, quiet = 0, error, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("sync", "unknown option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage("sync", "sync takes a peer's name and its URL");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	s.name = argv[optind];
	s.refusals = json_array();
	po.item = on_item;
	po.payload = &s;
	if ((error = svd_txn_begin(&txn, a)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	error = svd_peer_sync(txn, argv[optind], argv[optind + 1], &po, &st);
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	code = error == SVD_ECORRUPT ? EXIT_REFUSED : EXIT_OK;
	if ((error = svd_txn_commit(txn, NULL, commit)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (json) {
		int out = cli_print_json(
		    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:O}", "peer", s.name, "commit", commit,
		              "seen", (json_int_t)st.seen, "accepted", (json_int_t)st.accepted,
		              "refused", (json_int_t)st.refused, "bytes", (json_int_t)st.bytes,
		              "rewritten", st.rewritten, "refusals", s.refusals));
		if (out != EXIT_OK)
			code = out;
	} else if (!quiet) {
		if (st.rewritten)
			printf("peer %s: its main no longer holds the history it sent before (the "
			       "peer rewrote it); only its items are ever taken\n",
			       cli_shown(s.name));
		printf("peer %s: %zu new or changed items, %zu taken, %zu refused; commit %s\n",
		       cli_shown(s.name), st.seen, st.accepted, st.refused,
		       commit[0] ? commit : "(none)");
	}
cleanup:
	json_decref(s.refusals);
	svd_txn_free(txn);
	svd_archive_free(a);
	return code;
}
