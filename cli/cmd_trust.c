/*
 * cmd_trust.c: samvydav trust — the keys this archive trusts.
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
	        "usage: samvydav trust [list] [--json]\n"
	        "       samvydav trust add [--root] PUBLIC.pub...\n"
	        "       samvydav trust remove KEYID...\n"
	        "       samvydav trust threshold roots|KIND N\n"
	        "\n"
	        "The trust list is this archive's own (ARCHIVE/trusted/, ARCHIVE/roots/,\n"
	        "ARCHIVE/trust-policy): it is never copied to other mirrors, never read\n"
	        "from a bundle or a peer. Only items signed by at least one trusted key\n"
	        "(an editor's, a root's, or one that roots certified) enter the archive.\n"
	        "\n"
	        "list       the trusted keys' ids and roles, then the thresholds\n"
	        "add        trust the editors whose public key files (minisign format) are given;\n"
	        "           with --root, trust them as roots: keys that certify and revoke\n"
	        "           editors' keys, N of them together (see threshold)\n"
	        "remove     stop trusting keys; items they signed stay, but 'samvydav verify'\n"
	        "           reports those that no trusted key signed\n"
	        "threshold  roots N: how many roots must sign a certificate or a revocation;\n"
	        "           KIND N: how many signatures that count an item of KIND (article,\n"
	        "           testimony, correction, retraction) needs to be shown; below it the\n"
	        "           item is kept and carried but not shown ('samvydav list --pending')\n");
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
	json_t *obj = json ? json_object() : NULL, *keys = json ? json_array() : NULL,
	       *kinds = json ? json_object() : NULL;
	size_t i;

	for (i = 0; i < svd_trust_count(t); i++) {
		const char *id = svd_pubkey_id(svd_trust_at(t, i));
		unsigned role = svd_trust_role(t, i);
		const char *r = role == (SVD_TRUST_EDITOR | SVD_TRUST_ROOT) ? "editor root"
		                : role == SVD_TRUST_ROOT                    ? "root"
		                                                            : "editor";
		if (json)
			json_array_append_new(keys,
			                      json_pack("{s:s,s:b,s:b}", "key", id, "editor",
			                                (role & SVD_TRUST_EDITOR) != 0, "root",
			                                (role & SVD_TRUST_ROOT) != 0));
		else
			printf(role == SVD_TRUST_EDITOR ? "%s\n" : "%s %s\n", id, r);
	}
	for (i = 0; i < SVD_TRUST_KINDS; i++) {
		const char *name = svd_kind_name((svd_kind)i);
		unsigned k = svd_trust_kind_threshold(t, (svd_kind)i);
		if (!name || k == 1 || i > SVD_KIND_RETRACTION)
			continue;
		if (json)
			json_object_set_new(kinds, name, json_integer(k));
		else
			printf("threshold %s %u\n", name, k);
	}
	if (!json) {
		if (svd_trust_root_threshold(t) > 1)
			printf("threshold roots %u\n", svd_trust_root_threshold(t));
		return EXIT_OK;
	}
	json_object_set_new(obj, "keys", keys);
	json_object_set_new(obj, "roots_threshold", json_integer(svd_trust_root_threshold(t)));
	json_object_set_new(obj, "thresholds", kinds);
	return cli_print_json(obj);
}

static int threshold(svd_archive *a, const char *what, const char *n)
{
	svd_kind kind;
	char *end;
	unsigned long k = strtoul(n, &end, 10);
	int error, which = -1;

	if (!*n || *end || k < 1 || k > SVD_TRUST_THRESHOLD_MAX)
		return cli_usage("trust", "a threshold is a number from 1 to %d, not '%s'",
		                 SVD_TRUST_THRESHOLD_MAX, n);
	if (strcmp(what, "roots")) {
		if (svd_kind_parse(&kind, what) < 0 || kind > SVD_KIND_RETRACTION) {
			svd_error_clear();
			return cli_usage("trust", "threshold of what? 'roots', or a kind: article, "
			                          "testimony, correction, retraction");
		}
		which = (int)kind;
	}
	if ((error = svd_archive_trust_threshold(a, which, (unsigned)k)) < 0)
		return cli_fail(error);
	printf("Threshold %s: %lu\n", what, k);
	return EXIT_OK;
}

int cmd_trust(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	const char *sub = argc > 1 ? argv[1] : "list";
	int i, code = EXIT_OK, error, json = 0, root = 0;

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
		else if (!strcmp(argv[i], "--root") && !strcmp(sub, "add"))
			root = 1;
		else if (argv[i][0] == '-')
			return cli_usage("trust", "unknown option %s", argv[i]);
	}
	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "remove") &&
	    strcmp(sub, "threshold"))
		return cli_usage("trust", "no trust command '%s'", sub);
	if (strcmp(sub, "list") && argc < 3 + root)
		return cli_usage("trust", "trust %s needs at least one argument", sub);
	if (!strcmp(sub, "threshold") && argc != 4)
		return cli_usage("trust", "usage: samvydav trust threshold roots|KIND N");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if (!strcmp(sub, "list")) {
		code = list(a, json);
		goto done;
	}
	if (!strcmp(sub, "threshold")) {
		code = threshold(a, argv[2], argv[3]);
		goto done;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--root"))
			continue;
		if (!strcmp(sub, "add")) {
			svd_pubkey *pk = NULL;
			if ((error = svd_pubkey_read(&pk, argv[i])) < 0 ||
			    (error = svd_archive_trust_add_role(
			         a, pk, root ? SVD_TRUST_ROOT : SVD_TRUST_EDITOR)) < 0) {
				if (error == SVD_EEXISTS)
					printf("Key %s is trusted already%s\n", svd_pubkey_id(pk),
					       root ? " as a root" : "");
				else
					code = cli_fail(error);
			} else {
				printf(root ? "Trusted key %s as a root\n" : "Trusted key %s\n",
				       svd_pubkey_id(pk));
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
