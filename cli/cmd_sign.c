/*
 * cmd_sign.c: samvydav sign — co-sign an item; its id does not change.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav sign ID --key SECRET.key\n"
	             "       samvydav sign ID --signature FILE.minisig [--public KEY.pub]\n"
	             "\n"
	             "Add a signature to an item already in the archive, in one commit. The\n"
	             "item's id does not change: signatures sit beside the manifest, in\n"
	             "sig/KEYID.minisig.\n"
	             "\n"
	             "  --key FILE        sign with this secret key (asks for its passphrase)\n"
	             "  --signature FILE  attach a signature made elsewhere, e.g. by stock\n"
	             "                    'minisign -S -m manifest.json' on the item's manifest\n"
	             "  --public FILE     the signer's public key, when that key is not trusted\n"
	             "                    here (the signature is checked with it and stored, but\n"
	             "                    counts only where the key is trusted)\n"
	             "  -m, --message TEXT  the commit message\n"
	             "\n"
	             "ID may be shortened to its first digits when that is unambiguous.\n");
}

int cmd_sign(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},    {"signature", required_argument, NULL, 's'},
	    {"public", required_argument, NULL, 'p'}, {"message", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	const char *key = NULL, *sigfile = NULL, *pubfile = NULL, *message = NULL;
	char id[SVD_ID_HEX_LEN + 1], commit[SVD_COMMIT_HEX_LEN + 1];
	svd_archive *a = NULL;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = NULL;
	svd_txn *txn = NULL;
	int c, error, code = EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key = optarg;
			break;
		case 's':
			sigfile = optarg;
			break;
		case 'p':
			pubfile = optarg;
			break;
		case 'm':
			message = optarg;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("sign", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage("sign", "sign takes one item id");
	if (!key == !sigfile)
		return cli_usage("sign", "give --key or --signature (one of them)");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	code = EXIT_FAIL;
	if ((error = svd_store_resolve(id, a, argv[optind])) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (key && (code = cli_read_seckey(&sk, key)) != 0)
		goto cleanup;
	if (sigfile) {
		FILE *f = fopen(sigfile, "rb");
		char buf[SVD_SIGFILE_MAX + 1];
		size_t len;
		if (!f) {
			cli_error("%s: cannot open", sigfile);
			code = EXIT_NOTFOUND;
			goto cleanup;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if ((error = svd_sig_parse(&sig, buf, len)) < 0) {
			cli_error("%s: %s", sigfile, svd_error_last());
			code = cli_exit_code(error);
			goto cleanup;
		}
	}
	if (pubfile && (error = svd_pubkey_read(&pk, pubfile)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if ((error = svd_txn_begin(&txn, a)) < 0 ||
	    (error = svd_txn_sign(txn, id, sk, sig, pk)) < 0 ||
	    (error = svd_txn_commit(txn, message, commit)) < 0) {
		code = error == SVD_EEXISTS ? (cli_error("%s", svd_error_last()), EXIT_OK)
		                            : cli_fail(error);
		goto cleanup;
	}
	printf("Signed %s by key %s in commit %s\n", id,
	       sk ? svd_seckey_id(sk) : svd_sig_keyid(sig), commit);
	code = EXIT_OK;
cleanup:
	svd_txn_free(txn);
	svd_sig_free(sig);
	svd_pubkey_free(pk);
	svd_seckey_free(sk);
	svd_archive_free(a);
	return code;
}
