/*
 * cmd_init.c: samvydav init — create a new archive.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav init [DIR]\n"
	             "\n"
	             "Create a new archive in DIR (default: the archive folder from -C or\n"
	             "$SAMVYDAV_ARCHIVE, else the current folder). DIR must not exist yet or\n"
	             "be empty. The archive holds a bare git repository (store.git), the\n"
	             "local list of trusted keys (trusted/), a folder for refused items\n"
	             "(refused/), this mirror's random id (mirror-id) and its encryption\n"
	             "key pair for sealed files (network/, see 'samvydav network --help').\n"
	             "\n"
	             "Next: make a key with 'samvydav key generate' and trust it with\n"
	             "'samvydav trust add'.\n");
}

int cmd_init(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	uint8_t pk[SVD_SEAL_KEY_LEN];
	svd_archive *a = NULL;
	const char *dir;
	char fp[20];
	int c, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		}
		return cli_usage("init", "unknown option");
	}
	if (argc - optind > 1)
		return cli_usage("init", "init takes one folder");
	dir = optind < argc ? argv[optind] : ctx->archive_dir;
	if ((error = svd_archive_init(&a, dir)) < 0)
		return cli_fail(error);
	printf("Created archive %s (mirror %s)\n", dir, svd_archive_mirror_id(a));
	if (svd_network_key_public(pk, a) == 0) {
		svd_seal_fingerprint(fp, pk);
		printf("Encryption key fingerprint %s (give the public key to the network's "
		       "mirrors: 'samvydav network key')\n",
		       fp);
	}
	svd_archive_free(a);
	return EXIT_OK;
}
