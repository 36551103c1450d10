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
	const char *date, *created;        /* without m: "" or the values (date: "published") */
	const char *supersedes, *retracts; /* without m: an id or NULL */
	const char *title, *lang;          /* without m */
	const char *why;                   /* refused: the reason; else NULL */
	const char *signers; /* trusted key ids whose signatures verify, space-separated */
	/*
	 * Every signature that verifies, trusted or not, as "KEYID:<64 hex of
	 * the key>" separated by spaces; NULL when the builder does not know
	 * them (ok and signers are then taken as they are, and the trust rules
	 * of SPEC 7.3 are not applied: a library's items).
	 */
	const char *vsigs;
	int sound; /* with vsigs: the gate found no problem but "trust" */
	/* without m: as svd_view_item's (NULL for none; authors and tags "" for none) */
	const char *region, *source, *authors, *tags;
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

/*
 * Then, for the k-th item in id order (svd_view_by_id) when it was added
 * with its verified signatures, what the gate found rather than what the
 * rules made of it (ok is "sound", vsigs set): what the view cache keeps,
 * since the rules are worked out anew each time.
 */
void svd_view_item_rules(svd_view_fields *out, const svd_view *v, size_t k);

/*
 * Room for n items in all, so that a builder that knows how many it adds
 * (main's listing) does not leave the view up to twice the room it needs.
 */
int svd_view_reserve(svd_view *v, size_t n);

/*
 * The git id of the folder the item last added came from (20 bytes),
 * kept for the view cache (svd_view_tree): an archive's view lets go of
 * main's listing before it finishes.
 */
void svd_view_set_tree(svd_view *v, const uint8_t tree[20]);

/* The folder of the k-th item in id order, or NULL when none was set. */
const uint8_t *svd_view_tree(const svd_view *v, size_t k);

/*
 * The trust the rules of SPEC 7.3 are applied with (roots, thresholds,
 * trusted keys), for items added with vsigs; borrowed until
 * svd_view_finish(), which keeps nothing of it.
 */
void svd_view_set_trust(svd_view *v, const svd_trust *trust);

/* How many editors' keys certificates in effect certify (after finish). */
size_t svd_view_certified_count(const svd_view *v);

/* The i-th certified key: its key id and 32-byte key (borrowed from the view). */
void svd_view_certified_at(const svd_view *v, size_t i, const char **keyid, const uint8_t **pk);

/* Record the commit the view shows (hex), or "" for none. */
void svd_view_set_commit(svd_view *v, const char *commit);

/* A shown item's row, or UINT32_MAX when hidden or absent. */
uint32_t svd_view_row_of(const svd_view *v, const char *id);

/*
 * The k-th item of a finished view in id order (k < svd_view_size()) into
 * *out, and its place in the one order (svd_view_at()) into *order; NULL
 * past the end.
 */
const svd_view_item *svd_view_by_id(svd_view_item *out, const svd_view *v, size_t k,
                                    uint32_t *order);

#endif
