/*
 * view_internal.h: what the view's builders share (not public): adding an
 * item that has no verdict, naming the view's commit, a shown item's row.
 */
#ifndef SVD_VIEW_INTERNAL_H
#define SVD_VIEW_INTERNAL_H

#include <stdint.h>

#include "samvydav/view.h"

/* An item's parts, as a builder hands them in (all borrowed; copied by the view). */
typedef struct svd_view_fields {
	const char *id;                    /* 64 hex digits */
	int ok;                            /* the gate's answer (1 for an item shown unchecked) */
	const svd_manifest *m;             /* or NULL: the fields below are then used */
	svd_kind kind;                     /* without m */
	const char *date, *created;        /* without m: "" or the values */
	const char *supersedes, *retracts; /* without m: an id or NULL */
	const char *title, *lang;          /* without m */
	const char *why;                   /* refused: the reason; else NULL */
	const char *signers; /* trusted key ids whose signatures verify, space-separated */
} svd_view_fields;

/* Add an item from its parts; an id already in the view is left out at finish. */
int svd_view_add_fields(svd_view *v, const svd_view_fields *f);

/*
 * Add an item from its manifest (NULL when it does not parse): ok, why
 * and signers as in svd_view_fields.
 */
int svd_view_add_item(svd_view *v, const char *id, const svd_manifest *m, int ok, const char *why,
                      const char *signers);

/* The parts of an item of a finished view, as svd_view_add_fields takes them. */
void svd_view_item_fields(svd_view_fields *out, const svd_view_item *it);

/* Record the commit the view shows (hex), or "" for none. */
void svd_view_set_commit(svd_view *v, const char *commit);

/* A shown item's row, or UINT32_MAX when hidden or absent. */
uint32_t svd_view_row_of(const svd_view *v, const char *id);

#endif
