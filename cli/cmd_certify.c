/*
 * cmd_certify.c: samvydav certify — a root's certificate for an editor's key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav certify EDITOR.pub --key ROOT.key --title NAME [--lang TAG]\n"
	             "                        [--created TIME] [-m TEXT] [--json]\n"
	             "\n"
	             "Make a certificate for an editor's public key, sign it with a root key and\n"
	             "add it to the archive, in one commit. A certificate is an item (a\n"
	             "statement, manifest format 2, with no files): it travels in every bundle,\n"
	             "peer sync and stick, and mirrors that trust the root trust the editor.\n"
	             "Other roots add their signatures with 'samvydav sign ID --key ROOT.key'.\n"
	             "\n"
	             "  EDITOR.pub         the editor's public key (minisign format)\n"
	             "  --key FILE         the root's secret key (asks for its passphrase)\n"
	             "  --title NAME       who the key belongs to, as the roots know them\n"
	             "  --lang TAG         the title's language, a BCP 47 tag (default: und,\n"
	             "                     undetermined)\n"
	             "  --created TIME     creation time, YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
	             "  -m, --message TEXT the commit message\n"
	             "  --json             print the outcome as JSON\n"
	             "\n"
	             "The root key must be trusted in this archive. Exit codes: 0 done, 1\n"
	             "failed, 2 wrong usage, 3 refused (the root key is not trusted here), 4\n"
	             "no such file or archive, 5 the archive is busy.\n");
}

int cmd_certify(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {CLI_STATEMENT_OPTIONS, {NULL, 0, NULL, 0}};
	cli_statement_opts so = {.lang = "und"};
	char commit[SVD_COMMIT_HEX_LEN + 1] = "";
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
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("certify", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("certify", "certify takes one public key file");
	if (!so.key || !so.title)
		return cli_usage("certify", "give --key ROOT.key and --title NAME");
	if ((error = svd_manifest_new(&m)) < 0)
		return cli_fail(error);
	if ((code = cli_statement_fields(m, "certify", SVD_KIND_CERTIFICATE, so.title, so.lang,
	                                 so.created)) != 0)
		goto cleanup;
	if ((error = svd_pubkey_read(&pk, argv[optind])) < 0 ||
	    (error = svd_manifest_set_key(m, pk)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if ((code = cli_open_archive(&a, ctx)) != 0 || (code = cli_read_seckey(&sk, so.key)) != 0)
		goto cleanup;
	if (!strcmp(svd_seckey_id(sk), svd_pubkey_id(pk))) {
		code = cli_usage("certify",
		                 "key %s would certify itself; certify an editor's key "
		                 "with a root's",
		                 svd_pubkey_id(pk));
		goto cleanup;
	}
	if ((code = cli_add_statements(a, &m, 1, sk, so.message, commit)) != EXIT_OK)
		goto cleanup;
	if (so.json)
		code = cli_print_json(json_pack("{s:s,s:s,s:s,s:s,s:s}", "commit", commit, "id",
		                                svd_manifest_id(m), "kind", "certificate", "key",
		                                svd_pubkey_id(pk), "signer", svd_seckey_id(sk)));
	else
		printf("Certified key %s in certificate %s, signed by key %s, in commit %s\n",
		       svd_pubkey_id(pk), svd_manifest_id(m), svd_seckey_id(sk), commit);
cleanup:
	svd_manifest_free(m);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
	svd_archive_free(a);
	return code;
}
