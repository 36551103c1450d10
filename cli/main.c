/*
 * main.c: samvydav — the command line over libsamvydav.
 *
 *     samvydav [-C DIR] COMMAND [OPTIONS] [ARGS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_cmd commands[] = {
    {"init", cmd_init, "create a new archive"},
    {"key", cmd_key, "make and show editors' key pairs (minisign format)"},
    {"trust", cmd_trust, "list, add and remove the keys this archive trusts"},
    {"network", cmd_network, "this mirror's encryption key and the network's mirrors"},
    {"add", cmd_add, "sign and add items, one or many in one commit"},
    {"sign", cmd_sign, "co-sign an item already in the archive"},
    {"certify", cmd_certify, "certify an editor's key with a root key (a statement)"},
    {"revoke", cmd_revoke, "revoke a key, or publish a revocation certificate"},
    {"checkpoint", cmd_checkpoint, "vouch for the items the archive holds now (a statement)"},
    {"list", cmd_list, "list the items"},
    {"show", cmd_show, "show one item, its files and signatures"},
    {"verify", cmd_verify, "check hashes, signatures and trust of the items"},
    {"log", cmd_log, "show the archive's history"},
    {"export", cmd_export, "write items as a bundle (FILE.tar.zst) for another archive"},
    {"have", cmd_have, "write the list of items this archive holds (a have-file)"},
    {"inspect", cmd_inspect, "check what a bundle holds, importing nothing"},
    {"import", cmd_import, "import bundles through the gate, one commit each"},
    {"seal", cmd_seal, "seal a bundle or have-file for mirrors or a passphrase"},
    {"unseal", cmd_unseal, "open a sealed file and write what it holds"},
    {"sync", cmd_sync, "take a peer mirror's items over git, through the gate"},
    {"stick", cmd_stick, "exchange with a courier's stick: import, write what others lack"},
    {"unpack", cmd_unpack, "make a library to read offline (HTML) from a bundle or archive"},
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: samvydav [-C DIR] COMMAND [OPTIONS] [ARGS]\n"
	             "\n"
	             "A signed, content-addressed archive of articles and testimony.\n"
	             "\n"
	             "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
	        "\n"
	        "Options:\n"
	        "  -C DIR     act on the archive in DIR (default: $SAMVYDAV_ARCHIVE, else the\n"
	        "             current folder)\n"
	        "  -h, --help show this help; 'samvydav COMMAND --help' shows a command's\n"
	        "             options\n"
	        "  --version  print the version\n"
	        "\n"
	        "Exit codes:\n"
	        "  0 done   1 failed (I/O, git, passphrase)   2 wrong usage\n"
	        "  3 something did not verify or was refused   4 not found\n"
	        "  5 another process is writing to the archive\n"
	        "\n"
	        "See samvydav(1), and samvydav-COMMAND(1) for each command.\n");
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	const char *pause_at;
	int i = 1, code;
	size_t k;

	ctx.prog = "samvydav";
	ctx.archive_dir = getenv("SAMVYDAV_ARCHIVE");
	if (!ctx.archive_dir || !*ctx.archive_dir)
		ctx.archive_dir = ".";

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-C")) {
			if (i + 1 >= argc)
				return cli_usage(NULL, "-C needs a folder");
			ctx.archive_dir = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "-C", 2)) {
			ctx.archive_dir = argv[i] + 2;
			i++;
		} else if (cli_is_help(argv[i])) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			printf("samvydav %s\n", SVD_VERSION);
			return EXIT_OK;
		} else {
			return cli_usage(NULL, "unknown option %s", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			char *args[] = {argv[i + 1], (char *)"--help", NULL};
			for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
				if (!strcmp(commands[k].name, argv[i + 1]))
					return commands[k].run(2, args, &ctx);
			return cli_usage(NULL, "no command '%s'", argv[i + 1]);
		}
		usage(stdout);
		return EXIT_OK;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(commands[k].name, argv[i]))
			continue;
		if (svd_init() < 0) {
			cli_error("%s", svd_error_last());
			return EXIT_FAIL;
		}
		/* the crash tests' pause point (pause.h, docs/fault-injection.md) */
		pause_at = getenv("SVD_PAUSE_AT");
		if (pause_at && *pause_at &&
		    svd_pause_stop_at(pause_at, getenv("SVD_PAUSE_FILE")) < 0) {
			cli_error("SVD_PAUSE_AT: %s", svd_error_last());
			svd_shutdown();
			return EXIT_FAIL;
		}
		code = commands[k].run(argc - i, argv + i, &ctx);
		svd_shutdown();
		fflush(stdout);
		if (ferror(stdout)) {
			cli_error("cannot write the output");
			return code ? code : EXIT_FAIL;
		}
		return code;
	}
	return cli_usage(NULL, "no command '%s'", argv[i]);
}
