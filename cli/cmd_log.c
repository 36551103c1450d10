/*
 * cmd_log.c: samvydav log — the archive's history, newest first.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav log [--oneline] [-n N] [--json]\n"
	             "\n"
	             "Show main's commits, newest first: what each operation added and\n"
	             "which keys signed it. The same history 'git log' shows in store.git.\n"
	             "\n"
	             "  --oneline   one line per commit\n"
	             "  -n N        at most N commits\n"
	             "  --json      a JSON array of {commit, time, message}\n");
}

typedef struct log_state {
	int oneline;
	long left;
	json_t *rows;
} log_state;

static int on_commit(const svd_log_entry *e, void *payload)
{
	log_state *s = payload;
	char when[64];
	time_t t = (time_t)e->time;
	struct tm tm;

	if (s->left == 0)
		return 1;
	if (s->left > 0)
		s->left--;
	if (s->rows) {
		json_array_append_new(s->rows, json_pack("{s:s,s:I,s:o}", "commit", e->commit,
		                                         "time", (json_int_t)e->time, "message",
		                                         cli_json_text(e->message)));
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (s->oneline) {
		const char *nl = strchr(e->message, '\n');
		printf("%.12s %s\n", e->commit,
		       cli_shown_as(e->message, nl ? (size_t)(nl - e->message) : strlen(e->message),
		                    SVD_TEXT_KEEP_BACKSLASH));
	} else {
		const char *p = e->message;
		printf("commit %s\nDate:  %s\n\n", e->commit, when);
		while (*p) {
			const char *nl = strchr(p, '\n');
			int len = nl ? (int)(nl - p) : (int)strlen(p);
			printf("    %s\n", cli_shown_as(p, (size_t)len, SVD_TEXT_KEEP_BACKSLASH));
			p += len + (nl ? 1 : 0);
		}
		printf("\n");
	}
	return 0;
}

int cmd_log(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"oneline", no_argument, NULL, 'o'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	log_state s = {.left = -1};
	svd_archive *a = NULL;
	int c, error, code, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			s.oneline = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			if (sscanf(optarg, "%ld", &s.left) != 1 || s.left < 0)
				return cli_usage("log", "-n takes a number");
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("log", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage("log", "unexpected argument '%s'", argv[optind]);
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	if (json)
		s.rows = json_array();
	error = svd_store_log(a, on_commit, &s);
	if (error < 0)
		code = cli_fail(error);
	else if (json)
		code = cli_print_json(json_incref(s.rows));
	json_decref(s.rows);
	svd_archive_free(a);
	return code;
}
