/*
 * cmd_have.c: samvydav have — write the list of items this archive holds,
 * with the key ids that signed each.
 */
#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav have -o FILE [--to FILE]... [--network]\n"
	             "                     [--passphrase | --passphrase-file FILE] [--json]\n"
	             "\n"
	             "Write this archive's have-file: its mirror id and the id of every item\n"
	             "it holds, one a line, sorted, each with the key ids that signed it\n"
	             "(format 2). Carried to another mirror (on the same stick as the\n"
	             "bundles), it lets that mirror export exactly what this one lacks:\n"
	             "'samvydav export --have FILE' sends the items missing here and the\n"
	             "signatures missing on items held here. The file is written under a\n"
	             "temporary name, synced, then renamed into place.\n"
	             "\n"
	             "  -o, --output FILE  the have-file to write (replaced if it "
	             "exists)\n" CLI_SEAL_WRITE_HELP
	             "                     With any of these the have-file is sealed (SPEC.md,\n"
	             "                     12): random bytes to anyone but those mirrors\n"
	             "  --json             print {\"file\", \"mirror\", \"items\", \"sealed\"}\n");
}

int cmd_have(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"json", no_argument, NULL, 'J'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_WRITE_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	cli_seal seal = {0};
	svd_archive *a = NULL;
	svd_have *h = NULL;
	const char *output = NULL;
	int c, error, code, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "have", c, optarg)) != 0) {
			if (code < 0)
				return -code;
			continue;
		}
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("have", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("have", "unexpected argument %s", argv[optind]);
	if (!output)
		return cli_usage("have", "say where to write the have-file: -o FILE");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = cli_seal_prepare(&seal, "have", a, 1)) != 0)
		goto cleanup;
	/* read back what was written: the count reported is the file's */
	if ((error = svd_have_write_sealed(a, output, cli_seal_to(&seal))) < 0 ||
	    (error = svd_have_read_sealed(&h, output, seal.ring)) < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (json)
		code = cli_print_json(json_pack(
		    "{s:s,s:s,s:I,s:b}", "file", output, "mirror", svd_have_mirror(h), "items",
		    (json_int_t)svd_have_count(h), "sealed", cli_seal_to(&seal) != NULL));
	else
		printf("Wrote %s: %zu items of mirror %s%s\n", output, svd_have_count(h),
		       svd_have_mirror(h), cli_seal_to(&seal) ? ", sealed" : "");
cleanup:
	cli_seal_free(&seal);
	svd_have_free(h);
	svd_archive_free(a);
	return code;
}
