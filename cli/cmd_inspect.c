/*
 * cmd_inspect.c: samvydav inspect — what a bundle holds and whether it
 * would pass the gate; imports nothing.
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
	fprintf(out, "usage: samvydav inspect [--json] [--trust KEY.pub]...\n"
	             "                        [--passphrase | --passphrase-file FILE] BUNDLE\n"
	             "\n"
	             "Read a bundle and check every item exactly as import would — sizes,\n"
	             "SHA-256, signatures, trust — without importing anything: one line per\n"
	             "item (id, language, signers, verdict, title), then the damage found and\n"
	             "a summary. Trust comes from the archive (-C, $SAMVYDAV_ARCHIVE or the\n"
	             "current folder) when there is one, and from --trust keys. A sealed\n"
	             "bundle (SPEC.md, 12) is opened with that archive's keys or the\n"
	             "passphrase given.\n"
	             "\n"
	             "  --trust FILE  also trust this public key (minisign format); "
	             "repeat\n" CLI_SEAL_READ_HELP
	             "  --json        one JSON object: items with verdicts, damage, counts\n"
	             "\n"
	             "Exit code 0 when every item would be accepted, 3 otherwise.\n");
}

typedef struct pstate {
	int json;
	json_t *items, *damage, *updates;
} pstate;

static int on_item(const svd_verdict *v, void *payload)
{
	pstate *s = payload;
	const svd_manifest *m = svd_verdict_manifest(v);
	const char *id = svd_verdict_id(v) ? svd_verdict_id(v) : "-";
	json_t *sigs = json_array(), *problems = json_array();
	char signers[256] = "";
	size_t i, used = 0;

	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const char *keyid;
		svd_sig_status st;
		svd_verdict_sig(v, i, &keyid, &st);
		json_array_append_new(sigs, json_pack("{s:o,s:s}", "keyid", cli_json_text(keyid),
		                                      "status",
		                                      st == SVD_SIG_VALID       ? "valid"
		                                      : st == SVD_SIG_UNTRUSTED ? "untrusted"
		                                      : st == SVD_SIG_UNCHECKED ? "unchecked"
		                                                                : "invalid"));
		if (used < sizeof(signers) - 24)
			used += (size_t)snprintf(signers + used, sizeof(signers) - used, "%s%s%s",
			                         i ? "," : "", cli_shown(keyid),
			                         st == SVD_SIG_VALID       ? ""
			                         : st == SVD_SIG_UNTRUSTED ? "?"
			                                                   : "!");
	}
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		json_array_append_new(problems,
		                      json_pack("{s:o,s:s,s:o}", "file", cli_json_text(file),
		                                "check", check, "message", cli_json_text(msg)));
	}
	if (s->json) {
		json_array_append_new(
		    s->items,
		    json_pack("{s:o,s:s?,s:s?,s:s?,s:b,s:o,s:o}", "id", cli_json_text(id), "title",
		              m ? svd_manifest_get(m, "title") : NULL, "lang",
		              m ? svd_manifest_get(m, "lang") : NULL, "kind",
		              m ? svd_kind_name(svd_manifest_kind(m)) : NULL, "ok",
		              svd_verdict_ok(v), "signatures", sigs, "problems", problems));
		return 0;
	}
	printf("%.12s  %-5s  %-10s  %-8s  %s\n", cli_shown(id),
	       m ? cli_shown(svd_manifest_get(m, "lang")) : "?",
	       svd_verdict_ok(v) ? "ok" : "REFUSED", signers[0] ? signers : "-",
	       m ? cli_shown(svd_manifest_get(m, "title")) : "");
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		printf("              %s: %s: %s\n", cli_shown(file), check, cli_shown_msg(msg));
	}
	json_decref(sigs);
	json_decref(problems);
	return 0;
}

/* A signature update: inspect has no item to check it with, and says so. */
static int on_update(const char *id, const svd_verdict *v, const char *why, void *payload)
{
	pstate *s = payload;

	if (v)
		return on_item(v, payload);
	if (s->json) {
		json_array_append_new(s->updates, json_pack("{s:o,s:o}", "id", cli_json_text(id),
		                                            "why", cli_json_text(why)));
		return 0;
	}
	printf("%.12s  %-5s  %-10s  %-8s  %s\n", cli_shown(id), "-", "update", "-",
	       cli_shown_msg(why));
	return 0;
}

static void on_damage(uint64_t offset, uint64_t length, const char *what, void *payload)
{
	pstate *s = payload;

	cli_damage(s->json ? s->damage : NULL, stdout, "", offset, length, what);
}

int cmd_inspect(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"trust", required_argument, NULL, 't'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_READ_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	cli_seal seal = {0};
	pstate s = {0};
	svd_archive *a = NULL;
	svd_trust *trust = NULL;
	svd_bundle_stats st;
	svd_bundle_cbs cbs = {on_item, on_damage, NULL, &s, on_update, NULL};
	size_t i;
	int c, error, code = EXIT_OK;

	if (svd_trust_new(&trust) < 0)
		return cli_fail(SVD_ERROR);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "inspect", c, optarg)) != 0) {
			if (code < 0) {
				code = -code;
				goto cleanup;
			}
			code = EXIT_OK;
			continue;
		}
		switch (c) {
		case 'j':
			s.json = 1;
			break;
		case 't':
			if ((code = cli_trust_file(trust, optarg)) != 0)
				goto cleanup;
			break;
		case 'h':
			help(stdout);
			code = EXIT_OK;
			goto cleanup;
		default:
			code = cli_usage("inspect", "unknown option");
			goto cleanup;
		}
	}
	if (optind + 1 != argc) {
		code = cli_usage("inspect", "inspect takes one bundle");
		goto cleanup;
	}
	if (cli_is_archive(ctx->archive_dir)) {
		if ((code = cli_open_archive(&a, ctx)) != 0)
			goto cleanup;
		for (i = 0; i < svd_trust_count(svd_archive_trust(a)); i++) {
			if ((error = svd_trust_insert_role(
			         trust, svd_trust_at(svd_archive_trust(a), i),
			         svd_trust_role(svd_archive_trust(a), i))) < 0) {
				code = cli_fail(error);
				goto cleanup;
			}
		}
	}
	if ((code = cli_seal_prepare(&seal, "inspect", a, 0)) != 0)
		goto cleanup;
	cbs.keys = seal.ring;
	s.items = json_array();
	s.damage = json_array();
	s.updates = json_array();
	error = svd_bundle_inspect(argv[optind], trust, &cbs, &st);
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	code = error == SVD_ECORRUPT ? EXIT_REFUSED : EXIT_OK;
	cli_bundle_listing_warn(argv[optind], &st);
	if (s.json) {
		int out = cli_print_json(json_pack(
		    "{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:O,s:O,s:O,s:b,s:I,s:s,s:I}",
		    "bundle", cli_json_text(argv[optind]), "mirror", cli_json_text(st.mirror),
		    "created", cli_json_text(st.created), "declared", (json_int_t)st.declared,
		    "read", (json_int_t)st.items, "accepted", (json_int_t)st.accepted, "refused",
		    (json_int_t)st.refused, "lost", (json_int_t)st.lost, "damaged_frames",
		    (json_int_t)st.damaged, "index", st.has_index, "items", s.items, "damage",
		    s.damage, "updates", s.updates, "sealed", st.sealed, "damaged_chunks",
		    (json_int_t)st.chunks_damaged, "bundle_json", cli_bundle_listing(&st),
		    "unlisted", (json_int_t)st.unlisted));
		if (out != EXIT_OK)
			code = out;
	} else {
		printf("%s: %sfrom mirror %s, written %s: %zu items declared, %zu read, %zu would "
		       "be accepted, %zu refused, %zu lost to damage",
		       cli_shown(argv[optind]), st.sealed ? "sealed, " : "",
		       st.mirror[0] ? cli_shown(st.mirror) : "?",
		       st.created[0] ? cli_shown(st.created) : "?", st.declared, st.items,
		       st.accepted, st.refused, st.lost);
		if (st.updates)
			printf("; of those read, %zu signature update%s (checked only by an "
			       "import into an archive that holds the item)",
			       st.updates, st.updates == 1 ? "" : "s");
		printf("\n");
	}
cleanup:
	cli_seal_free(&seal);
	json_decref(s.items);
	json_decref(s.damage);
	json_decref(s.updates);
	svd_trust_free(trust);
	svd_archive_free(a);
	return code;
}
