/*
 * view.h: what an archive shows — the one place that decides it.
 *
 * A view is the checked, ordered set of items of one commit (or of a
 * bundle, or of any set of gate verdicts): which items are accepted, which
 * supersede which, which are withdrawn by a retraction, and why each hidden
 * item is hidden. Every outlet reads a view and decides nothing itself:
 * list, show, verify --json, export (all its selections), the outbox and
 * stick bundles, unpack, the reader library's catalog, the daemon's pages,
 * raw files and /api/items (SPEC.md, 7.1).
 *
 * The rules, in full:
 *
 *  - An item is accepted when it passes the gate now (svd_item_check(),
 *    against the trust list the view was opened with). One that does not
 *    is hidden as refused, with the gate's first problem as the reason.
 *  - An accepted retraction withdraws the item it names: that item is
 *    hidden as retracted, wherever and whenever either arrived. Withdrawal
 *    is final: a retraction that is itself retracted is hidden, but what it
 *    withdrew stays withdrawn. Nothing is deleted from the store.
 *  - A shown item that names another in "supersedes" marks that one as
 *    superseded; a superseded item is still shown and exported (a reader
 *    sees the correction beside it).
 *  - The one order, everywhere: newest first by date (the manifest's
 *    "published"), every dated item before every undated one (no
 *    "published": "created" is when the editor made the item, not a
 *    publication date, so it dates nothing); then by "created", newest
 *    first, then by id. An item without a manifest sorts last.
 *
 * A view is read-only once finished and may be read from several threads
 * at once. It is built by one thread. This header is the rules and the
 * reading; a view of an archive is opened by svd_view_open() (store.h).
 */
#ifndef SAMVYDAV_VIEW_H
#define SAMVYDAV_VIEW_H

#include "common.h"
#include "item.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The checked, ordered set of items an archive shows; opaque. */
typedef struct svd_view svd_view;

/** Flags of a view. */
enum svd_view_flags {
	/** Keep each item's parsed manifest (svd_view_item.manifest). */
	SVD_VIEW_MANIFESTS = 1u << 0,
};

/** Whether an item is shown, and if not, why. */
typedef enum svd_view_state {
	SVD_VIEW_SHOWN = 0, /**< accepted and not withdrawn */
	SVD_VIEW_RETRACTED, /**< accepted, but withdrawn by an accepted retraction */
	SVD_VIEW_REFUSED,   /**< does not pass the gate now (e.g. no signature by a key
	                          trusted now, or a damaged store: see "why") */
	SVD_VIEW_REVOKED,   /**< its only trusted signatures are by revoked keys, outside
	                          every checkpoint (SPEC 7.3) */
	SVD_VIEW_PENDING,   /**< fewer counting signatures than its kind needs here: kept
	                          and carried, so that others can co-sign it; not shown */
	SVD_VIEW_STATEMENT, /**< a certificate, revocation or checkpoint: carried, never
	                          shown as reader content ("note" says whether it is in effect) */
} svd_view_state;

/**
 * One item of a view, filled in by the readers below into the caller's
 * struct: its ids point into the struct itself (ids), everything else is
 * borrowed from the view. A view keeps its items compact and makes this
 * record when asked; so a filled item is not to be copied (the copy's ids
 * would point into the original), and two items held at once need two
 * structs.
 */
typedef struct svd_view_item {
	const char *id;                  /**< 64 hex digits */
	svd_view_state state;            /**< shown or why not */
	const char *why;                 /**< refused: the gate's first problem; else NULL */
	const svd_manifest *manifest;    /**< with SVD_VIEW_MANIFESTS; NULL without, or when
	                                   the manifest does not parse */
	svd_kind kind;                   /**< from the manifest */
	const char *title;               /**< "" when the manifest does not parse */
	const char *lang;                /**< "" likewise */
	const char *date;                /**< the manifest's "published" (YYYY-MM-DD), or ""
	                                   when it has none: an undated item */
	const char *created;             /**< the manifest's "created", or "" */
	const char *supersedes;          /**< the id this item names, or NULL */
	const char *retracts;            /**< the id this item withdraws, or NULL */
	const char *retracted_by;        /**< retracted: the newest retraction that withdraws it */
	const char *superseded_by;       /**< the newest shown item that supersedes it, or NULL */
	const char *signers;             /**< the key ids whose signatures count (trusted, not
	                                  revoked), space-separated ("" for none) */
	const char *note;                /**< NULL, or what a reader or editor should know: a
	                                  retraction or correction that has no effect and
	                                  why, whether a statement is in effect */
	const char *region;              /**< the manifest's "region", or NULL */
	const char *source;              /**< the manifest's "source", or NULL */
	const char *authors;             /**< the manifest's authors in order, each followed by
	                                  SVD_VIEW_LIST_END ("" for none) */
	const char *tags;                /**< its tags likewise */
	char ids[3][SVD_ID_HEX_LEN + 1]; /**< storage of id, retracted_by and superseded_by */
	char when[2][21];                /**< storage of date and created */
} svd_view_item;

/**
 * What ends each entry of svd_view_item.authors and .tags: U+001F, a
 * control character no text of a manifest may hold (SPEC.md, 3.3.1).
 */
#define SVD_VIEW_LIST_END '\x1f'

/**
 * An empty view to fill with svd_view_add() (a bundle's items, say).
 *
 * @param flags enum svd_view_flags
 * @param[out] out the caller's, freed with svd_view_free()
 */
int svd_view_new(svd_view **out, unsigned flags);

/**
 * Add an item by its gate verdict (accepted or refused). Of several
 * verdicts of one id, the first accepted one counts (else the first): a
 * refused copy of an item filed elsewhere does not hide the item itself.
 * Not after svd_view_finish().
 *
 * @return 0; SVD_EINVALID for a verdict that names no item.
 */
int svd_view_add(svd_view *v, const svd_verdict *verdict);

/** Work out acceptance, retractions, supersession and the order. Once, after the last add. */
int svd_view_finish(svd_view *v);

/** The commit a view was opened on (40 hex digits), or "" for one built by hand. */
const char *svd_view_commit(const svd_view *v);

/** How many items are shown. */
size_t svd_view_count(const svd_view *v);

/**
 * The row-th shown item, in the one order.
 *
 * @param[out] out filled in (the caller's)
 * @return out; NULL past the end
 */
const svd_view_item *svd_view_row(svd_view_item *out, const svd_view *v, size_t row);

/** How many items the view holds, shown or hidden. */
size_t svd_view_size(const svd_view *v);

/** The i-th of all items (shown and hidden), in the one order, into *out: out, or NULL past the end. */
const svd_view_item *svd_view_at(svd_view_item *out, const svd_view *v, size_t i);

/** The item with this full id, into *out: out, or NULL when the view does not hold it. */
const svd_view_item *svd_view_find(svd_view_item *out, const svd_view *v, const char *id);

/** 1 when the view shows this id, else 0. */
int svd_view_shows(const svd_view *v, const char *id);

/**
 * The newest accepted retraction in the view that names id, whether or not
 * the view holds id itself (a bundle may carry a retraction without what it
 * withdrew), into *out: out, or NULL when none does.
 */
const svd_view_item *svd_view_withdrawn(svd_view_item *out, const svd_view *v, const char *id);

/** How many shown items supersede this one (newest first). */
size_t svd_view_superseder_count(const svd_view *v, const char *id);

/** The k-th shown item that supersedes id (newest first), into *out: out, or NULL. */
const svd_view_item *svd_view_superseder(svd_view_item *out, const svd_view *v, const char *id,
                                         size_t k);

/**
 * 1 when what the view holds for this id travels: shown, pending (so that
 * others can co-sign it) or a statement; else 0. Every export, outbox and
 * stick bundle carries exactly these.
 */
int svd_view_carries(const svd_view *v, const char *id);

/**
 * "Trust as of": the newest "created" of the statements signed by a root
 * trusted here that the view holds (YYYY-MM-DDTHH:MM:SSZ), or "" when it
 * holds none. Offline no mirror knows it has heard of every revocation;
 * this says how recent what it has heard is.
 */
const char *svd_view_trust_date(const svd_view *v);

/**
 * A state's stable name for --json and logs: "shown", "retracted",
 * "refused", "revoked", "pending", "statement".
 */
const char *svd_view_state_name(svd_view_state state);

/** Free a view; NULL is fine. */
void svd_view_free(svd_view *v);

#ifdef __cplusplus
}
#endif

#endif
