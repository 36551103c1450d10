/*
 * view_store.c: a view of an archive at a commit — every item of the
 * commit through the gate (view.h, svd_view_open), fed to the rules in
 * view.c.
 */
#include <string.h>

#include <git2.h>

#include "samvydav/view.h"
#include "archive_internal.h"
#include "store_internal.h"
#include "view_internal.h"

typedef struct open_ctx {
	svd_view *v;
	const svd_view_policy *p;
} open_ctx;

static int on_verdict(const svd_verdict *verdict, void *payload)
{
	open_ctx *o = payload;
	int error, stop;

	if (o->p->item && (stop = o->p->item(verdict, o->p->payload)) != 0)
		return stop;
	/* a verdict for an entry that is no item at all (misfiled) names it; it is refused */
	if ((error = svd_view_add(o->v, verdict)) == SVD_EINVALID) {
		svd_error_clear();
		return 0;
	}
	return error;
}

int svd_view_open(svd_view **out, svd_archive *a, const char *commit,
                  const svd_view_policy *policy)
{
	static const svd_view_policy defaults = {0};
	const svd_view_policy *p = policy ? policy : &defaults;
	char hex[GIT_OID_HEXSZ + 1] = "";
	git_oid oid;
	svd_view *v = NULL;
	open_ctx o;
	int error, has_commit = 1;

	*out = NULL;
	if (commit)
		error = svd_store_commit_resolve(&oid, a->repo, commit);
	else if ((error = svd_store_head_oid(&oid, a->repo)) == SVD_ENOTFOUND) {
		svd_error_clear();
		has_commit = 0;
		error = 0;
	}
	if (error < 0)
		return error;
	if ((error = svd_view_new(&v, p->flags)) < 0)
		return error;
	if (has_commit) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		o.v = v;
		o.p = p;
		error = svd_store_check(a, &oid, NULL, 0, p->threads, p->trust ? p->trust : a->trust,
		                        p->check == SVD_VIEW_FULL ? 0 : SVD_CHECK_SIZES_ONLY,
		                        on_verdict, &o, NULL);
	}
	svd_view_set_commit(v, hex);
	if (error == 0)
		error = svd_view_finish(v);
	if (error != 0) {
		svd_view_free(v);
		return error;
	}
	*out = v;
	return 0;
}
