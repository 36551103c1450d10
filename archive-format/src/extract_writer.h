/*
 * extract_writer.h: svd_bundle_extract's writing thread (not public).
 *
 * The reading thread queues what to do, in order: begin an item's folder,
 * open a file in it, write bytes, close it, then keep the item (removing
 * the signature files the gate left out) or discard it. The writer does it
 * in that order on its own thread (a workq of one worker). Each call
 * returns at once (or when the queue is full); a failure of the writer is
 * returned, with its message, by the next call, svd_dw_failed and
 * svd_dw_finish, and everything after it is dropped.
 */
#ifndef SVD_EXTRACT_WRITER_H
#define SVD_EXTRACT_WRITER_H

#include <stddef.h>

typedef struct svd_dw svd_dw;

int svd_dw_start(svd_dw **out);

/* An item's folder (a path); make_fan: its parent must be made too. An existing folder is left alone, and so is all of this item. */
int svd_dw_begin(svd_dw *w, const char *part, int make_fan);

/* A file in the item's folder (a relative path; sig/ is made when needed). */
int svd_dw_open(svd_dw *w, const char *rel);
int svd_dw_write(svd_dw *w, const void *data, size_t len);
int svd_dw_close(svd_dw *w);

/* The item stays; names (NUL-terminated, one after another, len bytes in all) are removed. */
int svd_dw_keep(svd_dw *w, const char *names, size_t len);

/* The item goes: its folder is removed. */
int svd_dw_discard(svd_dw *w);

/* SVD_ERROR with the writer's message if it has failed, else 0. */
int svd_dw_failed(svd_dw *w);

/* Wait for everything queued, stop the thread, free w: 0 or the first failure. */
int svd_dw_finish(svd_dw *w);

#endif
