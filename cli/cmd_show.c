/*
 * cmd_show.c: samvydav show — one item: its fields, files and signatures,
 * checked through the gate as it is shown.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav show ID [--json]\n"
	             "\n"
	             "Show an item: its manifest's fields, its files with size and SHA-256,\n"
	             "and each signature with its verdict (valid and trusted, untrusted key,\n"
	             "invalid). The item is verified as it is shown; the exit code is 3 if\n"
	             "it does not pass. It also says whether the archive shows the item: an\n"
	             "item withdrawn by a retraction is still in the store, and show names\n"
	             "the retraction, when it was made and who signed it. ID may be\n"
	             "shortened when unambiguous.\n"
	             "\n"
	             "  --json   the manifest as JSON, with \"id\", \"verified\", \"signatures\",\n"
	             "           \"problems\" and \"state\" added (and \"superseded_by\",\n"
	             "           \"withdrawn\", \"why\" when set)\n");
}

static const char *status_name(svd_sig_status s)
{
	switch (s) {
	case SVD_SIG_VALID:
		return "valid";
	case SVD_SIG_UNTRUSTED:
		return "untrusted";
	case SVD_SIG_UNCHECKED:
		return "unchecked";
	default:
		return "invalid";
	}
}

typedef struct show_state {
	int json;
	int ok;
	int code;
	const svd_view_item *it, *r; /* the item as the view has it, or NULL; its retraction */
	const char *trust_date;
} show_state;

static void print_text(const svd_verdict *v, const show_state *s)
{
	const svd_view_item *it = s->it;
	char why[512];
	const svd_manifest *m = svd_verdict_manifest(v);
	static const char *fields[] = {"title",  "lang",       "published", "source",
	                               "region", "supersedes", "retracts",  "created"};
	size_t i;

	printf("item      %s\n", svd_verdict_id(v));
	if (m) {
		printf("kind      %s\n", svd_kind_name(svd_manifest_kind(m)));
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (svd_manifest_get(m, fields[i]))
				printf("%-9s %s\n", fields[i],
				       cli_shown(svd_manifest_get(m, fields[i])));
		for (i = 0; i < svd_manifest_author_count(m); i++)
			printf("author    %s\n", cli_shown(svd_manifest_author(m, i)));
		for (i = 0; i < svd_manifest_tag_count(m); i++)
			printf("tag       %s\n", cli_shown(svd_manifest_tag(m, i)));
		if (svd_manifest_key(m))
			printf("key       %s  %s\n", svd_pubkey_id(svd_manifest_key(m)),
			       cli_shown(svd_manifest_get(m, "key")));
		if (svd_manifest_get(m, "outside"))
			printf("outside   %s\n", cli_shown(svd_manifest_get(m, "outside")));
		if (svd_manifest_item_count(m))
			printf("items     %zu item ids, %s to %s\n", svd_manifest_item_count(m),
			       cli_shown(svd_manifest_item_at(m, 0)),
			       cli_shown(svd_manifest_item_at(m, svd_manifest_item_count(m) - 1)));
		for (i = 0; i < svd_manifest_file_count(m); i++) {
			const svd_manifest_file *f = svd_manifest_file_at(m, i);
			char hex[65];
			size_t k;
			for (k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", f->sha256[k]);
			printf("file      %s  %llu bytes  sha256 %s\n", cli_shown(f->path),
			       (unsigned long long)f->size, hex);
		}
	}
	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const char *keyid;
		svd_sig_status st;
		svd_verdict_sig(v, i, &keyid, &st);
		printf("signature %s  %s\n", cli_shown(keyid),
		       st == SVD_SIG_VALID       ? "valid, trusted key"
		       : st == SVD_SIG_UNTRUSTED ? "valid, key not in the trust list"
		       : st == SVD_SIG_UNCHECKED ? "key not known here (stored before keys "
		                                   "travelled; not checked, does not count)"
		                                 : "INVALID");
	}
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		printf("problem   %s: %s: %s\n", cli_shown(file), check, cli_shown_msg(msg));
	}
	printf("verdict   %s\n", svd_verdict_sound(v) && it && it->state != SVD_VIEW_REFUSED &&
	                                 it->state != SVD_VIEW_REVOKED
	                             ? "verified: hashes match, signed by a key trusted here"
	                             : "NOT VERIFIED");
	if (it && it->superseded_by)
		printf("superseded by %s\n", it->superseded_by);
	if (it) {
		cli_view_why(why, sizeof(why), it, s->r);
		printf("shown     %s%s%s\n",
		       it->state == SVD_VIEW_SHOWN ? "yes" : cli_shown_msg(why),
		       it->state == SVD_VIEW_SHOWN && why[0] ? ", " : "",
		       it->state == SVD_VIEW_SHOWN ? cli_shown_msg(why) : "");
		if (it->signers[0])
			printf("counting  %s\n", it->signers);
	}
	printf("trust as of %s\n",
	       s->trust_date[0] ? s->trust_date : "(no statement by a root trusted here)");
}

static int print_json(const svd_verdict *v, const show_state *s)
{
	const svd_view_item *it = s->it;
	const svd_manifest *m = svd_verdict_manifest(v);
	json_t *obj = NULL, *sigs = json_array(), *problems = json_array();
	size_t i, len;

	if (m) {
		const char *bytes = svd_manifest_bytes(m, &len);
		obj = json_loadb(bytes, len, 0, NULL);
	}
	if (!obj)
		obj = json_object();
	for (i = 0; i < svd_verdict_sig_count(v); i++) {
		const char *keyid;
		svd_sig_status st;
		svd_verdict_sig(v, i, &keyid, &st);
		json_array_append_new(
		    sigs, json_pack("{s:s,s:s}", "keyid", keyid, "status", status_name(st)));
	}
	for (i = 0; i < svd_verdict_problem_count(v); i++) {
		const char *file, *check, *msg;
		svd_verdict_problem(v, i, &file, &check, &msg);
		json_array_append_new(problems, json_pack("{s:s,s:s,s:s}", "file", file, "check",
		                                          check, "message", msg));
	}
	json_object_set_new(obj, "id", json_string(svd_verdict_id(v)));
	json_object_set_new(obj, "verified", json_boolean(svd_verdict_ok(v)));
	json_object_set_new(obj, "signatures", sigs);
	json_object_set_new(obj, "problems", problems);
	if (it)
		cli_view_json(obj, it, s->r);
	json_object_set_new(obj, "trust_as_of",
	                    s->trust_date[0] ? json_string(s->trust_date) : json_null());
	return cli_print_json(obj);
}

static int on_item(const svd_verdict *v, void *payload)
{
	show_state *s = payload;
	const svd_view_item *it = s->it;

	/*
	 * Whole (every hash, every signature) and counted by the view: an editor
	 * certified by roots is trusted without being in the trust list.
	 */
	s->ok = it ? svd_verdict_sound(v) && it->state != SVD_VIEW_REFUSED &&
	                 it->state != SVD_VIEW_REVOKED
	           : svd_verdict_ok(v);
	if (s->json)
		s->code = print_json(v, s);
	else
		print_text(v, s);
	return 0;
}

int cmd_show(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	char id[SVD_ID_HEX_LEN + 1];
	const char *ids[1] = {id};
	svd_archive *a = NULL;
	cli_items items = {0};
	show_state s = {0};
	int c, error, code, got;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			s.json = 1;
		else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("show", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage("show", "show takes one item id");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((error = svd_store_resolve(id, a, argv[optind])) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	/* the item's place in the view: from the list beside the store, or the view */
	if ((code = cli_items_open(&items, a)) != 0)
		goto cleanup;
	if ((got = cli_items_find(&items, id, &s.it, &s.r)) < 0) {
		code = -got;
		goto cleanup;
	}
	s.trust_date = cli_items_trust_date(&items);
	error = svd_store_verify(a, ids, 1, 1, on_item, &s, NULL);
	if (error < 0 && error != SVD_ECORRUPT)
		code = cli_fail(error);
	else
		code = s.code ? s.code : s.ok ? EXIT_OK : EXIT_REFUSED;
cleanup:
	cli_items_free(&items);
	svd_archive_free(a);
	return code;
}
