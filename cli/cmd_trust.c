/*
 * cmd_trust.c: samvydav trust — the keys this archive trusts.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out,
	        "usage: samvydav trust [list] [--json]\n"
	        "       samvydav trust add PUBLIC.pub...\n"
	        "       samvydav trust remove KEYID...\n"
	        "\n"
	        "The trust list is this archive's own (ARCHIVE/trusted/): it is never\n"
	        "copied to other mirrors, never read from a bundle or a peer. Only items\n"
	        "signed by at least one trusted key enter the archive.\n"
	        "\n"
	        "list     the trusted keys' ids, one a line\n"
	        "add      trust the editors whose public key files (minisign format) are given\n"
	        "remove   stop trusting keys; items they signed stay, but 'samvydav verify'\n"
	        "         reports those that no trusted key signed\n");
}

/* Key ids are written in capitals; accept them as typed. */
static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

static int list(svd_archive *a, int json)
{
	const svd_trust *t = svd_archive_trust(a);
	json_t *arr = json ? json_array() : NULL;
	size_t i;

	for (i = 0; i < svd_trust_count(t); i++) {
		const char *id = svd_pubkey_id(svd_trust_at(t, i));
		if (json)
			json_array_append_new(arr, json_string(id));
		else
			printf("%s\n", id);
	}
	return json ? cli_print_json(arr) : EXIT_OK;
}

int cmd_trust(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	const char *sub = argc > 1 ? argv[1] : "list";
	int i, code = EXIT_OK, error, json = 0;

	if (argc > 1 && cli_is_help(argv[1])) {
		help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "--json")) {
		sub = "list";
		json = 1;
	}
	for (i = 2; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json") && !strcmp(sub, "list"))
			json = 1;
		else if (argv[i][0] == '-')
			return cli_usage("trust", "unknown option %s", argv[i]);
	}
	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove"))
		return cli_usage("trust", "no trust command '%s'", sub);
	if (strcmp(sub, "list") && argc < 3)
		return cli_usage("trust", "trust %s needs at least one argument", sub);
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if (!strcmp(sub, "list")) {
		code = list(a, json);
		goto done;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(sub, "add")) {
			svd_pubkey *pk = NULL;
			if ((error = svd_pubkey_read(&pk, argv[i])) < 0 ||
			    (error = svd_archive_trust_add(a, pk)) < 0) {
				if (error == SVD_EEXISTS)
					printf("Key %s is trusted already\n", svd_pubkey_id(pk));
				else
					code = cli_fail(error);
			} else {
				printf("Trusted key %s\n", svd_pubkey_id(pk));
			}
			svd_pubkey_free(pk);
		} else if (upper(argv[i]), (error = svd_archive_trust_remove(a, argv[i])) < 0) {
			code = cli_fail(error);
		} else {
			printf("No longer trusted: %s\n", argv[i]);
		}
	}
done:
	svd_archive_free(a);
	return code;
}
