/*
 * cmd_verify.c: samvydav verify — every hash, signature and trust check.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli.h"

static void help(FILE *out)
{
	fprintf(out, "usage: samvydav verify [--json] [-q] [-j N] [ID...]\n"
	             "\n"
	             "Check items the way the gate checks everything that enters: the\n"
	             "layout, each manifest's canonical form and id, the size and SHA-256 of\n"
	             "every file, every signature, and that a trusted key signed. Without IDs,\n"
	             "the whole archive. Each failing item is reported as\n"
	             "    ID: FILE: CHECK: what is wrong\n"
	             "and the exit code is 3 if any item fails.\n"
	             "\n"
	             "Items withdrawn by a retraction are checked like the others (they stay\n"
	             "in the store) and counted apart.\n"
	             "\n"
	             "  --json        {\"items\", \"failed\", \"signatures\", \"unchecked\", "
	             "\"bytes\", \"failures\": [...],\n"
	             "                \"shown\", \"hidden\": [{\"id\", \"state\", ...}]}\n"
	             "  -j, --threads N  worker threads, 1 to 16 (default: one per core)\n"
	             "  -q, --quiet   no progress, no summary\n");
}

typedef struct vstate {
	int json, progress, quiet;
	size_t seen, shown, withdrawn, revoked, pending;
	size_t failed;    /* not whole, or whole but no signature that counts here */
	size_t unchecked; /* signatures of passing items that could not be checked, or failed */
	uint64_t bytes;
	json_t *failures;
	json_t *hidden; /* the items checked that the view does not show */
	const svd_view *view;
} vstate;

static int on_item(const svd_verdict *v, void *payload)
{
	vstate *s = payload;
	svd_view_item buf, rbuf;
	const svd_view_item *it;
	size_t i;
	int failed;

	s->seen++;
	it = svd_view_find(&buf, s->view, svd_verdict_id(v));
	if (it && it->state == SVD_VIEW_SHOWN)
		s->shown++;
	else if (it) {
		json_t *o = json_pack("{s:s}", "id", it->id);
		cli_view_json(o, it, cli_view_retraction(&rbuf, s->view, it));
		json_array_append_new(s->hidden, o);
		s->withdrawn += it->state == SVD_VIEW_RETRACTED;
	}
	/*
	 * Whole (every hash, every signature that is there verifies), and
	 * counted by the view: a certified editor's item passes, though the
	 * gate alone calls its key untrusted (SPEC 7.3); revoked and pending
	 * items are whole, only not shown.
	 */
	failed = it ? !svd_verdict_sound(v) || it->state == SVD_VIEW_REFUSED : !svd_verdict_ok(v);
	if (it) {
		s->revoked += it->state == SVD_VIEW_REVOKED;
		s->pending += it->state == SVD_VIEW_PENDING;
	}
	if (!failed) {
		/* stored by an older samvydav without their key: they count for nothing */
		for (i = 0; i < svd_verdict_sig_count(v); i++) {
			svd_sig_status st;
			svd_verdict_sig(v, i, NULL, &st);
			s->unchecked += st == SVD_SIG_UNCHECKED || st == SVD_SIG_INVALID;
		}
	} else {
		json_t *problems = json_array();
		s->failed++;
		if (s->progress)
			fputc('\n', stderr);
		for (i = 0; i < svd_verdict_problem_count(v); i++) {
			const char *file, *check, *msg;
			svd_verdict_problem(v, i, &file, &check, &msg);
			if (!s->json)
				printf("%s: %s: %s: %s\n", cli_shown(svd_verdict_id(v)),
				       cli_shown(file), check, cli_shown_msg(msg));
			json_array_append_new(
			    problems, json_pack("{s:o,s:s,s:o}", "file", cli_json_text(file),
			                        "check", check, "message", cli_json_text(msg)));
		}
		if (s->json)
			json_array_append_new(
			    s->failures,
			    json_pack("{s:s,s:o}", "id", svd_verdict_id(v), "problems", problems));
		else
			json_decref(problems);
	}
	if (s->progress)
		cli_progress("Verifying", s->seen, 0, 0);
	return 0;
}

int cmd_verify(int argc, char **argv, cli_ctx *ctx)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'J'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"threads", required_argument, NULL, 'j'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	svd_archive *a = NULL;
	svd_view *view = NULL;
	svd_verify_stats st = {0};
	vstate s = {0};
	char **ids = NULL;
	size_t n = 0, i;
	unsigned threads = 0;
	int c, error, code;

	optind = 1;
	while ((c = getopt_long(argc, argv, "qj:h", opts, NULL)) != -1) {
		switch (c) {
		case 'J':
			s.json = 1;
			break;
		case 'q':
			s.quiet = 1;
			break;
		case 'j':
			if ((code = cli_threads("verify", optarg, SVD_THREADS_MAX, &threads)) != 0)
				return code;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			return cli_usage("verify", "unknown option");
		}
	}
	if ((code = cli_open_archive(&a, ctx)) != 0)
		return code;
	n = (size_t)(argc - optind);
	if (n && !(ids = calloc(n, sizeof(*ids)))) {
		code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		if (!(ids[i] = malloc(SVD_ID_HEX_LEN + 1))) {
			code = cli_fail(svd_error_set(SVD_ERROR, "out of memory"));
			goto cleanup;
		}
		if ((error = svd_store_resolve(ids[i], a, argv[optind + (int)i])) < 0) {
			code = cli_fail(error);
			goto cleanup;
		}
	}
	if (!(view = cli_view_open(a, &code)))
		goto cleanup;
	s.view = view;
	s.failures = json_array();
	s.hidden = json_array();
	s.progress = cli_progress_wanted(s.quiet) && !s.json;
	error =
	    svd_store_verify(a, n ? (const char *const *)ids : NULL, n, threads, on_item, &s, &st);
	if (s.progress)
		cli_progress("Verifying", s.seen, 0, 1);
	if (error < 0 && error != SVD_ECORRUPT) {
		code = cli_fail(error);
		goto cleanup;
	}
	if (s.json) {
		code = cli_print_json(json_pack(
		    "{s:I,s:I,s:I,s:I,s:I,s:O,s:I,s:O}", "items", (json_int_t)st.items, "failed",
		    (json_int_t)s.failed, "signatures", (json_int_t)st.signatures, "unchecked",
		    (json_int_t)s.unchecked, "bytes", (json_int_t)st.bytes, "failures", s.failures,
		    "shown", (json_int_t)s.shown, "hidden", s.hidden));
	} else if (!s.quiet) {
		if (s.failed)
			fprintf(stderr, "samvydav: %zu of %zu items failed verification\n",
			        s.failed, st.items);
		else
			fprintf(stderr,
			        "Verified %zu items: %zu signatures, %.1f MiB of files; all good\n",
			        st.items, st.signatures, (double)st.bytes / (1024.0 * 1024.0));
		if (s.withdrawn)
			fprintf(stderr,
			        "%zu of them withdrawn by retractions, not shown "
			        "('samvydav list --all' says which)\n",
			        s.withdrawn);
		if (s.revoked)
			fprintf(
			    stderr,
			    "%zu of them signed only by revoked keys, outside every checkpoint: "
			    "not shown ('samvydav list --all' says which)\n",
			    s.revoked);
		if (s.pending)
			fprintf(stderr,
			        "%zu of them pending: fewer signatures than their kind needs here "
			        "('samvydav list --pending')\n",
			        s.pending);
		if (s.unchecked)
			fprintf(
			    stderr,
			    "%zu signature%s stored by an older samvydav without %s key could "
			    "not be checked, or did not verify; %s for nothing, and %s left "
			    "out when %s item is staged again ('samvydav show ID' says which)\n",
			    s.unchecked, s.unchecked == 1 ? "" : "s",
			    s.unchecked == 1 ? "its" : "their",
			    s.unchecked == 1 ? "it counts" : "they count",
			    s.unchecked == 1 ? "is" : "are", s.unchecked == 1 ? "its" : "their");
	}
	if (code == EXIT_OK && s.failed)
		code = EXIT_REFUSED;
cleanup:
	for (i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(s.failures);
	json_decref(s.hidden);
	svd_view_free(view);
	svd_archive_free(a);
	return code;
}
