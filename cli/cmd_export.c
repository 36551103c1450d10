/*
 * cmd_export.c: samvydav export — write the archive's items as a bundle.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav export -o FILE [--since COMMIT|DATE] [--have FILE]\n"
	        "                       [--max-size SIZE] [--level N] [--threads N]\n"
	        "                       [--with-reader] [--to FILE]... [--network]\n"
	        "                       [--passphrase | --passphrase-file FILE] [--json] [-q]\n"
	        "\n"
	        "Write items of the archive as a bundle: one FILE.tar.zst that stock tar\n"
	        "and zstd read ('tar --zstd -xf FILE' unpacks BUNDLE.json and items/), and\n"
	        "that 'samvydav import' takes into any other archive. Without --since or\n"
	        "--have, every item. A bundle has no prerequisites; with nothing to export,\n"
	        "it holds no items.\n"
	        "\n"
	        "  -o, --output FILE  the bundle to write (replaced if it exists; written\n"
	        "                     under a temporary name, synced, then renamed)\n"
	        "  --since COMMIT     only the items added after this commit (its id or\n"
	        "                     first digits, as 'samvydav log' shows them), and\n"
	        "                     signature updates of items signed again since\n"
	        "  --since DATE       only the items created on or after YYYY-MM-DD\n"
	        "  --have FILE        only the items the have-file does not list: what the\n"
	        "                     mirror that wrote it with 'samvydav have' lacks; and\n"
	        "                     signature updates (manifest.json and sig/ only) of\n"
	        "                     items it holds with fewer signatures than here\n"
	        "  --max-size SIZE    split into FILE.1.tar.zst, FILE.2.tar.zst, ... each at\n"
	        "                     most SIZE bytes (suffixes K, M, G: 1024-based); a FAT32\n"
	        "                     stick takes 3900M\n"
	        "  --level N          zstd level, 1 to 19 (default 3)\n"
	        "  -j, --threads N    compression threads, 1 to 16 (default: one per core)\n"
	        "  --with-reader      also put the reader library in the bundle (index.html,\n"
	        "                     pages/, search/: see samvydav-unpack(1)), so that\n"
	        "                     'tar --zstd -xf FILE' gives a library to read; not with\n"
	        "                     --max-size. Import and inspect skip these "
	        "files\n" CLI_SEAL_WRITE_HELP
	        "                     With any of these the bundle is sealed (SPEC.md, 12):\n"
	        "                     no magic, no names, its size rounded up; this\n"
	        "                     mirror can always read back what it sealed. With\n"
	        "                     --max-size, parts are FILE.1, FILE.2, ...\n"
	        "                     A sealed have-file given to --have is opened with\n"
	        "                     this archive's keys\n"
	        "  --json             print {\"files\", \"items\", \"updates\", \"bytes\",\n"
	        "                     \"sealed\"}\n"
	        "  -q, --quiet        no progress, no summary\n"
	        "\n"
	        "Exit codes: 2 for a bad option or an item larger than --max-size allows,\n"
	        "3 for a have-file that does not parse, 4 for an unknown commit or a\n"
	        "missing have-file.\n");
}

enum {
	OPT_SINCE = 256,
	OPT_HAVE,
	OPT_MAX_SIZE,
	OPT_LEVEL,
	OPT_JSON,
	OPT_WITH_READER,
};

/* YYYY-MM-DD (the library checks that the date exists). */
static int looks_like_date(const char *s)
{
	return strlen(s) == 10 && strspn(s, "0123456789") == 4 && s[4] == '-' &&
	       strspn(s + 5, "0123456789") == 2 && s[7] == '-' && strspn(s + 8, "0123456789") == 2;
}

static int progress_on;

static void on_progress(uint64_t items, uint64_t bytes, void *payload)
{
	(void)payload;
	if (progress_on)
		cli_progress("Exporting", (size_t)items, bytes, 0);
}

int cmd_export(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"since", required_argument, NULL, OPT_SINCE},
	                                     {"have", required_argument, NULL, OPT_HAVE},
	                                     {"max-size", required_argument, NULL, OPT_MAX_SIZE},
	                                     {"level", required_argument, NULL, OPT_LEVEL},
	                                     {"threads", required_argument, NULL, 'j'},
	                                     {"json", no_argument, NULL, OPT_JSON},
	                                     {"with-reader", no_argument, NULL, OPT_WITH_READER},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     CLI_SEAL_WRITE_OPTIONS,
	                                     {NULL, 0, NULL, 0}};
	svd_export_opts eo = {0};
	cli_seal seal = {0};
	svd_export_result res = {0};
	svd_archive *a = NULL;
	const char *output = NULL;
	char *end;
	long v;
	size_t i;
	int c, error, code, json = 0, quiet = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:qh", opts, NULL)) != -1) {
		if ((code = cli_seal_option(&seal, "export", c, optarg)) != 0) {
			if (code < 0)
				return -code;
			continue;
		}
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case OPT_SINCE:
			if (looks_like_date(optarg))
				eo.since_date = optarg;
			else
				eo.since_commit = optarg;
			break;
		case OPT_HAVE:
			eo.have_path = optarg;
			break;
		case OPT_MAX_SIZE:
			if (!(eo.max_size = cli_size(optarg)))
				return cli_usage(
				    "export",
				    "--max-size %s: give a size in bytes, with K, M or G "
				    "if you like (3900M)",
				    optarg);
			break;
		case OPT_LEVEL:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 19)
				return cli_usage("export", "--level takes 1 to 19");
			eo.level = (int)v;
			break;
		case 'j':
			if ((code = cli_threads("export", optarg, SVD_THREADS_MAX, &eo.threads)) !=
			    0)
				return code;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_WITH_READER:
			eo.with_reader = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("export", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage("export", "unexpected argument %s", argv[optind]);
	if (!output)
		return cli_usage("export", "say where to write the bundle: -o FILE");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = cli_seal_prepare(&seal, "export", a, 1)) != 0)
		goto cleanup;
	eo.seal = cli_seal_to(&seal);
	eo.keys = seal.ring;
	progress_on = cli_progress_wanted(quiet) && !json;
	eo.progress = on_progress;
	error = svd_export(a, output, &eo, &res);
	if (progress_on)
		cli_progress("Exporting", res.items, res.bytes, 1);
	if (error < 0) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (json) {
		json_t *files = json_array();
		for (i = 0; i < res.nfiles; i++)
			json_array_append_new(files, json_string(res.files[i]));
		code = cli_print_json(json_pack("{s:o,s:I,s:I,s:I,s:b}", "files", files, "items",
		                                (json_int_t)res.items, "updates",
		                                (json_int_t)res.updates, "bytes",
		                                (json_int_t)res.bytes, "sealed", eo.seal != NULL));
	} else if (!quiet) {
		for (i = 0; i < res.nfiles; i++)
			printf("%s\n", res.files[i]);
		char updates[64] = "";
		if (res.updates)
			snprintf(updates, sizeof(updates), " and %zu signature update%s",
			         res.updates, res.updates == 1 ? "" : "s");
		fprintf(stderr, "Exported %zu item%s%s in %zu %sfile%s, %.1f MiB\n", res.items,
		        res.items == 1 ? "" : "s", updates, res.nfiles, eo.seal ? "sealed " : "",
		        res.nfiles == 1 ? "" : "s", (double)res.bytes / (1024.0 * 1024.0));
	}
cleanup:
	cli_seal_free(&seal);
	svd_export_result_clear(&res);
	svd_archive_free(a);
	return code;
}
