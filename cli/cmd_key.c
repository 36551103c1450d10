/*
 * cmd_key.c: samvydav key — make an editor's key pair, show a key's id.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli.h"

#define PASSPHRASE_MAX 1024

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav key generate -o SECRET.key -p PUBLIC.pub [--no-passphrase]\n"
	             "                             [--fast-kdf] [--revoke FILE]\n"
	             "                             [--revoke-outside keep|hide]\n"
	             "       samvydav key show [--json] KEYFILE\n"
	             "\n"
	             "generate  Make a new Ed25519 key pair in minisign's formats: stock\n"
	             "          'minisign -S -s SECRET.key' signs with it and 'minisign -V -p\n"
	             "          PUBLIC.pub' verifies. The secret key is encrypted with a\n"
	             "          passphrase (scrypt, as minisign does), asked twice on a terminal\n"
	             "          or read from the first line of standard input. It is written\n"
	             "          with mode 0600 and never replaces an existing file.\n"
	             "          It also writes the key's revocation certificate, SECRET.revoke\n"
	             "          (mode 0600, never replaced): keep it apart from the key, with a\n"
	             "          colleague or on paper, and publish it with 'samvydav revoke\n"
	             "          --publish' if the key or its holder is lost.\n"
	             "  -o, --secret FILE    where to write the secret key\n"
	             "  -p, --public FILE    where to write the public key\n"
	             "  --no-passphrase      leave the secret key unencrypted (like minisign -W)\n"
	             "  --fast-kdf           a lighter scrypt (16 MiB instead of 1 GiB), for slow\n"
	             "                       machines; weaker against guessing\n"
	             "  --revoke FILE        where to write the revocation certificate (default:\n"
	             "                       the secret key's name, .key replaced by .revoke)\n"
	             "  --revoke-outside keep|hide\n"
	             "                       what the revocation does to the key's items that no\n"
	             "                       checkpoint vouches for: hide them (the default: a\n"
	             "                       lost key is assumed captured) or keep them\n"
	             "\n"
	             "show      Print the key id of a public key or signature file (16 hex\n"
	             "          digits; minisign prints the same number). A secret key file is\n"
	             "          refused: show its public key instead.\n"
	             "  --json               print {\"keyid\": ..., \"type\": ...}\n");
}

/* SECRET.key's revocation certificate: SECRET.revoke (or SECRET.revoke for any other name). */
static char *revoke_path(const char *secret)
{
	size_t n = strlen(secret);
	char *out = malloc(n + sizeof(".revoke"));

	if (!out)
		return NULL;
	if (n > 4 && !strcmp(secret + n - 4, ".key"))
		n -= 4;
	memcpy(out, secret, n);
	strcpy(out + n, ".revoke");
	return out;
}

static int generate(int argc, char **argv)
{
	static const struct option opts[] = {{"secret", required_argument, NULL, 'o'},
	                                     {"public", required_argument, NULL, 'p'},
	                                     {"no-passphrase", no_argument, NULL, 'n'},
	                                     {"fast-kdf", no_argument, NULL, 'f'},
	                                     {"revoke", required_argument, NULL, 'r'},
	                                     {"revoke-outside", required_argument, NULL, 'O'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *secret = NULL, *public = NULL, *revoke = NULL;
	int c, plain = 0, fast = 0, error, code = EXIT_FAIL;
	svd_outside outside = SVD_OUTSIDE_HIDE;
	svd_revoke_file *rf = NULL;
	svd_seckey *sk = NULL;
	svd_pubkey *pk = NULL;
	char *pass = NULL, *revoke_own = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			secret = optarg;
			break;
		case 'p':
			public
			= optarg;
			break;
		case 'n':
			plain = 1;
			break;
		case 'f':
			fast = 1;
			break;
		case 'r':
			revoke = optarg;
			break;
		case 'O':
			if (!strcmp(optarg, "keep"))
				outside = SVD_OUTSIDE_KEEP;
			else if (!strcmp(optarg, "hide"))
				outside = SVD_OUTSIDE_HIDE;
			else
				return cli_usage(
				    "key", "--revoke-outside is keep or hide, not '%s'", optarg);
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("key", "unknown option");
		}
	}
	if (!secret || !public || optind != argc)
		return cli_usage("key", "key generate needs -o SECRET.key and -p PUBLIC.pub");
	if (!revoke && !(revoke = revoke_own = revoke_path(secret))) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	/* before the passphrase is asked for; writing them never replaces a file either */
	if (access(secret, F_OK) == 0 || access(revoke, F_OK) == 0) {
		int is_secret = access(secret, F_OK) == 0;
		cli_error("%s: already exists (not replaced)%s", is_secret ? secret : revoke,
		          is_secret ? "" : "; move it away, or give --revoke FILE");
		code = EXIT_FAIL;
		goto cleanup;
	}
	if (!plain) {
		if (!(pass = sodium_malloc(PASSPHRASE_MAX))) {
			cli_error("out of memory");
			goto cleanup;
		}
		if ((error = cli_passphrase(pass, PASSPHRASE_MAX,
		                            "Passphrase for the new key: ", 1)) < 0) {
			code = cli_fail(error);
			goto cleanup;
		}
		if (!*pass) {
			code = cli_usage("key", "an empty passphrase; use --no-passphrase to "
			                        "leave the key unencrypted");
			goto cleanup;
		}
	}
	if ((error = svd_key_generate(&sk, &pk)) < 0 ||
	    (error = svd_seckey_write(sk, secret, pass,
	                              fast ? SVD_KDF_INTERACTIVE : SVD_KDF_SENSITIVE)) < 0 ||
	    (error = svd_revoke_file_make(&rf, sk, outside, NULL)) < 0 ||
	    (error = svd_revoke_file_write(rf, revoke)) < 0 ||
	    (error = svd_pubkey_write(pk, public)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	printf("Key %s\n  secret: %s%s\n  public: %s\n  revocation certificate: %s (keep it "
	       "apart from the key)\n",
	       svd_pubkey_id(pk), secret, plain ? " (not encrypted)" : "", public, revoke);
	code = EXIT_OK;
cleanup:
	svd_revoke_file_free(rf);
	free(revoke_own);
	sodium_free(pass);
	svd_seckey_free(sk);
	svd_pubkey_free(pk);
	return code;
}

/* The key id of any of minisign's files: public key, signature, or secret key. */
static int show(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *type = NULL, *id = NULL;
	svd_pubkey *pk = NULL;
	svd_sig *sig = NULL;
	int c, json = 0, code = EXIT_OK, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("key", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage("key", "key show takes one file");
	if (svd_pubkey_read(&pk, argv[optind]) == 0) {
		type = "public";
		id = svd_pubkey_id(pk);
	} else {
		FILE *f = fopen(argv[optind], "rb");
		char buf[SVD_SIGFILE_MAX + 1];
		size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f)
			fclose(f);
		if (f && svd_sig_parse(&sig, buf, len) == 0) {
			type = "signature";
			id = svd_sig_keyid(sig);
		} else {
			error = svd_seckey_file_encrypted(argv[optind]);
			if (error < 0) {
				cli_error("%s: not a minisign public key, signature or secret key "
				          "file",
				          argv[optind]);
				return error == SVD_ENOTFOUND ? EXIT_NOTFOUND : EXIT_USAGE;
			}
			cli_error("%s: a secret key; show its public key file instead",
			          argv[optind]);
			return EXIT_USAGE;
		}
	}
	if (json)
		code = cli_print_json(json_pack("{s:s,s:s}", "keyid", id, "type", type));
	else
		printf("%s\n", id);
	svd_pubkey_free(pk);
	svd_sig_free(sig);
	return code;
}

int cmd_key(int argc, char **argv, cli_ctx *ctx)
{
	(void)ctx;
	if (argc < 2 || cli_is_help(argv[1])) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "generate"))
		return generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	return cli_usage("key", "no key command '%s'", argv[1]);
}
