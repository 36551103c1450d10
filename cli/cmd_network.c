/*
 * cmd_network.c: samvydav network — this mirror's encryption key and the
 * network's mirrors, whose keys seal files for couriers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

#define DAYS_MAX 36500

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav network key [-o FILE]\n"
	             "       samvydav network add [--name NAME] FILE.pub\n"
	             "       samvydav network remove NAME\n"
	             "       samvydav network list [--json]\n"
	             "       samvydav network rotate\n"
	             "       samvydav network forget [--older-than DAYS]\n"
	             "       samvydav network folder [NAME]\n"
	             "\n"
	             "Files for couriers are sealed (encrypted) to the mirrors of the network,\n"
	             "so that a seized stick shows only random bytes. Each mirror has its own\n"
	             "key pair (ARCHIVE/network/secret, made by 'samvydav init') and the public\n"
	             "keys of the others (ARCHIVE/network/mirrors/NAME.pub). All of it is this\n"
	             "mirror's own: never copied to other mirrors, bundles or peers.\n"
	             "\n"
	             "key        print this mirror's public key file, and its fingerprint on\n"
	             "           stderr; makes the key pair first in an archive that has none\n"
	             "  -o, --output FILE  write the public key file to FILE instead\n"
	             "add        add a mirror of the network from its public key file; compare\n"
	             "           the fingerprint printed with its operator's, by voice\n"
	             "  --name NAME        its name here (default: the file's name without\n"
	             "                     .pub): letters, digits, '.', '_', '-', at most 64\n"
	             "remove     remove a mirror: what it sealed no longer opens here\n"
	             "list       the network's mirrors and their fingerprints\n"
	             "  --json             print [{\"name\": ..., \"fingerprint\": ...}]\n"
	             "rotate     make a new key pair; the old secret key is retired: it opens\n"
	             "           what was sealed to it until forgotten, and seals nothing.\n"
	             "           Give the new public key to every mirror of the network\n"
	             "forget     delete retired secret keys (overwritten, then removed): what\n"
	             "           was sealed to them can no longer be opened here, by anyone\n"
	             "  --older-than DAYS  only those retired more than DAYS days ago\n"
	             "folder     the folder on a stick that holds the network's sealed files:\n"
	             "           print it ('/' for the stick's root, the default), or set it to\n"
	             "           NAME ('/' for the root); every mirror should set the same\n"
	             "\n"
	             "Exit codes: 0 done, 1 failed (or the name or key is in the network\n"
	             "already), 2 wrong usage (a bad name, this mirror's own key), 3 a key file\n"
	             "that is malformed, 4 no such file or mirror, 5 the archive is busy.\n");
}

/* The key pair, made now when the archive has none (one made before sealed files). */
static int ensure_key(svd_archive *a)
{
	int error, made = 0;

	if ((error = svd_network_key_ensure(a, &made)) < 0)
		return cli_fail(error);
	if (made)
		fprintf(stderr, "This archive had no encryption key (it was made before sealed "
		                "files): made one now.\nGive its public key to every mirror of the "
		                "network ('samvydav network key -o FILE').\n");
	return 0;
}

static int key(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	uint8_t pk[SVD_SEAL_KEY_LEN];
	const char *output = NULL;
	char fp[20], *text;
	int c, error, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("network", "unknown option");
	}
	if (optind != argc)
		return cli_usage("network", "network key takes no argument (-o FILE to write one)");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((code = ensure_key(a)) != 0)
		goto done;
	if ((error = svd_network_key_public(pk, a)) < 0) {
		code = cli_fail(error);
		goto done;
	}
	svd_seal_fingerprint(fp, pk);
	if (output) {
		if ((error = svd_network_public_write(pk, output)) < 0) {
			code = cli_fail(error);
			goto done;
		}
		printf("Wrote this mirror's public key to %s\n", output);
	} else {
		if (!(text = svd_seal_public_format(pk))) {
			code = cli_fail(SVD_ERROR);
			goto done;
		}
		fputs(text, stdout);
		free(text);
	}
	fprintf(stderr,
	        "Fingerprint %s: the other mirrors' operators compare it, by voice, with\n"
	        "what 'samvydav network add' prints for this file.\n",
	        fp);
done:
	svd_archive_free(a);
	return code;
}

/* FILE's name without its folder and .pub: the mirror's name unless --name says. */
static char *name_of(const char *file)
{
	const char *base = strrchr(file, '/');
	size_t n;
	char *name;

	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".pub"))
		n -= 4;
	if (!(name = malloc(n + 1)))
		return NULL;
	memcpy(name, base, n);
	name[n] = '\0';
	return name;
}

static int add(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	uint8_t pk[SVD_SEAL_KEY_LEN];
	const char *name = NULL;
	char *own = NULL, fp[20];
	int c, error, code = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("network", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage("network", "network add takes one public key file");
	if (!name) {
		if (!(name = own = name_of(argv[optind]))) {
			cli_error("out of memory");
			return EXIT_FAIL;
		}
		if (!svd_network_name_valid(name)) {
			code =
			    cli_usage("network",
			              "'%s' (the file's name) is not a mirror's name: give one "
			              "with --name NAME (letters, digits, '.', '_', '-', at most "
			              "%d, not starting with '.')",
			              cli_shown(name), SVD_NETWORK_NAME_MAX);
			goto done;
		}
	}
	if ((code = cli_open_archive(&a, ctx)) != 0)
		goto done;
	if ((error = svd_network_public_read(pk, argv[optind])) < 0 ||
	    (error = svd_network_mirror_add(a, name, pk)) < 0) {
		code = cli_fail(error);
		goto done;
	}
	svd_seal_fingerprint(fp, pk);
	printf("Added mirror %s, key fingerprint %s\n"
	       "Compare the fingerprint with its operator's, by voice: 'samvydav network key'\n"
	       "prints it there. If they differ, remove it ('samvydav network remove %s').\n",
	       name, fp, name);
done:
	svd_archive_free(a);
	free(own);
	return code;
}

static int list(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	svd_network_mirror *m = NULL;
	json_t *arr;
	size_t n = 0, i, width = 4;
	int c, json = 0, error, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("network", "unknown option");
	}
	if (optind != argc)
		return cli_usage("network", "network list takes no argument");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	error = svd_network_mirrors(&m, &n, a);
	svd_archive_free(a);
	if (error < 0)
		return cli_fail(error);
	if (json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s}", "name", m[i].name,
			                                     "fingerprint", m[i].fingerprint));
		free(m);
		return cli_print_json(arr);
	}
	for (i = 0; i < n; i++)
		if (strlen(m[i].name) > width)
			width = strlen(m[i].name);
	for (i = 0; i < n; i++)
		printf("%-*s  %s\n", (int)width, m[i].name, m[i].fingerprint);
	if (n == 0)
		fprintf(stderr, "No mirrors in the network yet: add one with 'samvydav network add "
		                "FILE.pub'.\n");
	free(m);
	return EXIT_OK;
}

static int remove_mirror(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	int error, code;

	if (argc == 2 && argv[1][0] == '-')
		return cli_usage("network", "unknown option %s", cli_shown(argv[1]));
	if (argc != 2)
		return cli_usage("network", "network remove takes one mirror's name");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	error = svd_network_mirror_remove(a, argv[1]);
	svd_archive_free(a);
	if (error < 0)
		return cli_fail(error);
	printf("Removed mirror %s: what it sealed no longer opens here\n", cli_shown(argv[1]));
	return EXIT_OK;
}

static int rotate(int argc, char **argv, cli_ctx *ctx)
{
	uint8_t old[SVD_SEAL_KEY_LEN], pk[SVD_SEAL_KEY_LEN];
	char stamp[SVD_NETWORK_STAMP_LEN + 1], fp[20], oldfp[20];
	svd_archive *a = NULL;
	int error, had, code;

	if (argc > 1)
		return argv[1][0] == '-'
		           ? cli_usage("network", "unknown option %s", cli_shown(argv[1]))
		           : cli_usage("network", "network rotate takes no argument");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	error = svd_network_key_public(old, a);
	had = error == 0;
	if ((error < 0 && error != SVD_ENOTFOUND) ||
	    (error = svd_network_rotate(pk, stamp, a)) < 0) {
		svd_archive_free(a);
		return cli_fail(error);
	}
	svd_archive_free(a);
	svd_seal_fingerprint(fp, pk);
	printf("New encryption key, fingerprint %s\n", fp);
	if (had && stamp[0]) {
		svd_seal_fingerprint(oldfp, old);
		printf("The old key, %s, is retired (network/retired/%s.secret): it still\n"
		       "opens what was sealed to it, until 'samvydav network forget', and seals\n"
		       "nothing.\n",
		       oldfp, stamp);
	}
	printf("Give the new public key to every mirror of the network ('samvydav network\n"
	       "key -o FILE' writes it); each one removes the old key and adds the new one.\n");
	return EXIT_OK;
}

static int forget(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	static const struct option opts[] = {{"older-than", required_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	svd_network_retired *before = NULL, *after = NULL;
	size_t nb = 0, na = 0, i, j, count = 0;
	long days = -1;
	char *end;
	int c, error, code = EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'd') {
			days = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || days < 0 || days > DAYS_MAX)
				return cli_usage("network",
				                 "--older-than is a number of days, 0 to %d, "
				                 "not '%s'",
				                 DAYS_MAX, cli_shown(optarg));
		} else if (c == 'h') {
			help(stdout);
			return EXIT_OK;
		} else
			return cli_usage("network", "unknown option");
	}
	if (optind != argc)
		return cli_usage("network", "network forget takes no argument");
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if ((error = svd_network_retired_list(&before, &nb, a)) < 0 ||
	    (error = svd_network_forget(a, days, &count)) < 0 ||
	    (error = svd_network_retired_list(&after, &na, a)) < 0) {
		code = cli_fail(error);
		goto done;
	}
	for (i = 0; i < nb; i++) {
		for (j = 0; j < na; j++)
			if (!strcmp(before[i].stamp, after[j].stamp))
				break;
		if (j == na)
			printf("Forgot the key retired %s (%s)\n", before[i].stamp,
			       before[i].fingerprint);
	}
	if (count == 0)
		printf("No retired key to forget%s\n",
		       days >= 0 ? " (none retired that long ago)" : "");
	if (na > 0)
		printf("Kept %zu retired key%s, the oldest retired %s\n", na, na == 1 ? "" : "s",
		       after[na - 1].stamp);
done:
	svd_archive_free(a);
	free(before);
	free(after);
	return code;
}

/* network folder [NAME]: the folder on a stick for sealed files, shown or set. */
static int folder(int argc, char **argv, cli_ctx *ctx)
{
	svd_archive *a = NULL;
	char *cur = NULL;
	const char *name;
	int error, code;

	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		return cli_usage("network", "unknown option %s", cli_shown(argv[1]));
	if (argc > 2)
		return cli_usage("network", "network folder takes at most one folder's name");
	name = argc == 2 ? argv[1] : NULL;
	if (name && !strcmp(name, "/"))
		name = "";
	if (name && !svd_network_stick_folder_valid(name))
		return cli_usage("network",
		                 "'%s' is not a folder a stick can hold: a relative path (or '/' "
		                 "for the root), no '.' or '..' part, none of \\ : * ? \" < > |",
		                 cli_shown(name));
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if (name)
		error = svd_network_stick_folder_set(a, name);
	else if ((error = svd_network_stick_folder(&cur, a)) == 0)
		printf("%s\n", *cur ? cli_shown(cur) : "/");
	svd_archive_free(a);
	free(cur);
	if (error < 0)
		return cli_fail(error);
	if (name)
		printf("Sealed files go to %s%s on a stick now; every mirror of the network\n"
		       "should set the same folder ('samvydav network folder NAME').\n",
		       *name ? cli_shown(name) : "the root", *name ? "/" : "");
	return EXIT_OK;
}

int cmd_network(int argc, char **argv, cli_ctx *ctx)
{
	const char *sub;
	int i;

	if (argc < 2 || cli_is_help(argv[1])) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	/* --help anywhere, before the archive is opened: it works outside one */
	for (i = 2; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			help(stdout);
			return EXIT_OK;
		}
	}
	sub = argv[1];
	if (!strcmp(sub, "key"))
		return key(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "add"))
		return add(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "remove"))
		return remove_mirror(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "list"))
		return list(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "rotate"))
		return rotate(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "forget"))
		return forget(argc - 1, argv + 1, ctx);
	if (!strcmp(sub, "folder"))
		return folder(argc - 1, argv + 1, ctx);
	return cli_usage("network", "no network command '%s'", cli_shown(sub));
}
