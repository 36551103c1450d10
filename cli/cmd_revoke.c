/*
 * cmd_revoke.c: samvydav revoke — revoke a key, or publish a revocation
 * certificate made earlier by 'key generate'.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav revoke KEYID|KEY.pub --key SECRET.key --outside keep|hide\n"
	        "                       [--title TEXT] [--lang TAG] [--created TIME] [-m TEXT]\n"
	        "                       [--json]\n"
	        "       samvydav revoke --publish FILE.revoke [-m TEXT] [--json]\n"
	        "\n"
	        "Revoke a key: make a revocation, sign it and add it to the archive, in\n"
	        "one commit. A revocation is an item (a statement, manifest format 2, with\n"
	        "no files): it travels in every bundle, peer sync and stick, and every\n"
	        "mirror it reaches stops counting the key's signatures. It is signed by\n"
	        "the key itself, or by roots (others add their signatures with 'samvydav\n"
	        "sign ID --key ROOT.key').\n"
	        "\n"
	        "  KEYID|KEY.pub      the key to revoke: its public key file, or its key id\n"
	        "                     when it is the signing key or trusted here\n"
	        "  --key FILE         the signing secret key: the revoked key itself, or a\n"
	        "                     root (asks for its passphrase)\n"
	        "  --outside WHAT     the revoked key's items that no checkpoint vouches\n"
	        "                     for: keep (they stay) or hide (they are hidden, never\n"
	        "                     deleted: a captured key)\n"
	        "  --title TEXT       the title (default: Revocation of key KEYID)\n"
	        "  --lang TAG         the title's language (default: en)\n"
	        "  --created TIME     creation time, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
	        "  --publish FILE     add a revocation certificate (FILE.revoke, written by\n"
	        "                     'samvydav key generate' beside the key) to the archive;\n"
	        "                     publishing it again changes nothing\n"
	        "  -m, --message TEXT the commit message\n"
	        "  --json             print the outcome as JSON\n"
	        "\n"
	        "The signing key must be trusted in this archive. Exit codes: 0 done (also\n"
	        "when the revocation was there already), 1 failed, 2 wrong usage, 3 refused\n"
	        "(a damaged revocation certificate, a signing key not trusted here), 4 no\n"
	        "such file, key or archive, 5 the archive is busy.\n");
}

enum { OPT_OUTSIDE = CLI_OPT_MORE, OPT_PUBLISH };

/*
 * The key to revoke: a public key file, or a key id for which this
 * archive has the key (the signing key's own, or a trusted one).
 */
static int target_key(svd_pubkey **out, const char *arg, const svd_seckey *sk, const svd_archive *a)
{
	const svd_pubkey *trusted;
	int error;

	if (!svd_keyid_valid(arg) || access(arg, F_OK) == 0) {
		if ((error = svd_pubkey_read(out, arg)) < 0)
			return cli_fail(error);
		return 0;
	}
	if (!strcmp(arg, svd_seckey_id(sk)))
		return svd_seckey_pubkey(out, sk) < 0 ? cli_fail(SVD_ERROR) : 0;
	if ((trusted = svd_trust_find(svd_archive_trust(a), arg)))
		return svd_pubkey_dup(out, trusted) < 0 ? cli_fail(SVD_ERROR) : 0;
	cli_error("no public key for key %s here (it is not the signing key, and not trusted in "
	          "this archive); give its .pub file instead",
	          arg);
	return EXIT_NOTFOUND;
}

/* --publish FILE.revoke: the revocation and its signature, through the gate. */
static int publish(const char *path, const char *message, int json, cli_ctx *ctx)
{
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
	svd_revoke_file *r = NULL;
	svd_archive *a = NULL;
	svd_txn *txn = NULL;
	svd_verdict *v = NULL;
	const svd_manifest *m;
	const svd_sig *sig;
	const char *keyid;
	int error, code, added;

	if ((error = svd_revoke_file_read(&r, path)) < 0)
		return cli_fail(error);
	m = svd_revoke_file_manifest(r);
	sig = svd_revoke_file_sig(r);
	keyid = svd_pubkey_id(svd_revoke_file_pubkey(r));
	if ((code = cli_open_archive(&a, ctx)) != 0)
		goto cleanup;
	if ((error = svd_txn_begin(&txn, a)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	error = svd_txn_add_signed(txn, m, &sig, 1, path, &v);
	if (error == SVD_ECORRUPT) {
		if (v)
			cli_print_refusal(v);
		cli_error("%s: the revocation of key %s was refused; nothing was added", path,
		          keyid);
		code = EXIT_REFUSED;
		goto cleanup;
	}
	if (error < 0 || (error = svd_txn_commit(txn, message, commit)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	added = svd_txn_stats_get(txn)->added > 0 || svd_txn_stats_get(txn)->cosigned > 0;
	if (json)
		code = cli_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "commit", commit, "id",
		                                svd_manifest_id(m), "kind", "revocation", "key",
		                                keyid, "outside", svd_manifest_get(m, "outside"),
		                                "added", added));
	else if (added)
		printf("Published the revocation of key %s (outside: %s) as %s in commit %s\n",
		       keyid, svd_manifest_get(m, "outside"), svd_manifest_id(m), commit);
	else
		printf("Already in the archive: the revocation of key %s, %s\n", keyid,
		       svd_manifest_id(m));
cleanup:
	svd_verdict_free(v);
	svd_txn_free(txn);
	svd_archive_free(a);
	svd_revoke_file_free(r);
	return code;
}

int cmd_revoke(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {CLI_STATEMENT_OPTIONS,
	                                     {"outside", required_argument, NULL, OPT_OUTSIDE},
	                                     {"publish", required_argument, NULL, OPT_PUBLISH},
	                                     {NULL, 0, NULL, 0}};
	cli_statement_opts so = {.lang = "en"};
	const char *outside = NULL, *published = NULL;
	char commit[SVD_COMMIT_HEX_LEN + 1] = "", deftitle[64];
	svd_manifest *m = NULL;
	svd_archive *a = NULL;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	int c, error, code = EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (cli_statement_option(&so, c, optarg))
			continue;
		switch (c) {
		case OPT_OUTSIDE:
			outside = optarg;
			break;
		case OPT_PUBLISH:
			published = optarg;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("revoke", "unknown option");
		}
	}
	if (published) {
		if (optind != argc || so.key || outside || so.title || so.created)
			return cli_usage("revoke",
			                 "--publish takes the revocation certificate alone");
		return publish(published, so.message, so.json, ctx);
	}
	if (optind + 1 != argc)
		return cli_usage("revoke", "revoke takes one key: its id or its .pub file");
	if (!so.key)
		return cli_usage("revoke", "give --key: the key itself, or a root, signs");
	if (!outside || (strcmp(outside, "keep") && strcmp(outside, "hide")))
		return cli_usage("revoke", "say --outside keep or --outside hide: what becomes of "
		                           "the key's items that no checkpoint vouches for");
	if ((code = cli_open_archive(&a, ctx)) != 0 || (code = cli_read_seckey(&sk, so.key)) != 0 ||
	    (code = target_key(&pk, argv[optind], sk, a)) != 0)
		goto cleanup;
	snprintf(deftitle, sizeof(deftitle), "Revocation of key %s", svd_pubkey_id(pk));
	if ((error = svd_manifest_new(&m)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if ((code = cli_statement_fields(m, "revoke", SVD_KIND_REVOCATION,
	                                 so.title ? so.title : deftitle, so.lang, so.created)) != 0)
		goto cleanup;
	if ((error = svd_manifest_set_key(m, pk)) < 0 ||
	    (error = svd_manifest_set(m, "outside", outside)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if ((code = cli_add_statements(a, &m, 1, sk, so.message, commit)) != EXIT_OK)
		goto cleanup;
	if (so.json)
		code = cli_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "commit", commit, "id",
		                                svd_manifest_id(m), "kind", "revocation", "key",
		                                svd_pubkey_id(pk), "outside", outside, "signer",
		                                svd_seckey_id(sk)));
	else
		printf("Revoked key %s (outside: %s) in revocation %s, signed by key %s, in "
		       "commit %s\n",
		       svd_pubkey_id(pk), outside, svd_manifest_id(m), svd_seckey_id(sk), commit);
cleanup:
	svd_manifest_free(m);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
	svd_archive_free(a);
	return code;
}
