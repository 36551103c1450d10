/*
 * view_internal.h: what the view's builders share (not public): adding an
 * item that has no verdict, naming the view's commit, a shown item's row.
 */
#ifndef SVD_VIEW_INTERNAL_H
#define SVD_VIEW_INTERNAL_H

#include <stdint.h>

#include "samvydav/view.h"

/*
 * Add an item from its parts: m may be NULL (a manifest that does not
 * parse), ok is the gate's answer (1 for an item a caller shows unchecked),
 * why the reason it was refused, signers the trusted key ids whose
 * signatures verify (space-separated). All copied.
 */
int svd_view_add_item(svd_view *v, const char *id, const svd_manifest *m, int ok,
                      const char *why, const char *signers);

/* Record the commit the view shows (hex), or "" for none. */
void svd_view_set_commit(svd_view *v, const char *commit);

/* A shown item's row, or UINT32_MAX when hidden or absent. */
uint32_t svd_view_row_of(const svd_view *v, const char *id);

#endif
