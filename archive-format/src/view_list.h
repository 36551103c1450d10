/*
 * view_list.h: ARCHIVE/cache/list, a finished view of main written down
 * (SPEC.md, 7.2.2; view_list.c has the format): what list and show read
 * in a fraction of a second at a million items instead of building the
 * view. Not public beyond store.h's svd_view_list_*.
 */
#ifndef SVD_VIEW_LIST_H
#define SVD_VIEW_LIST_H

#include <stdint.h>

#include "samvydav/store.h"
#include "samvydav/view.h"

/*
 * What a list is bound to of a trust list: BLAKE2b-256 of the view
 * cache's print (its keys and roles) and every threshold (the roots', then
 * each kind's), all of which the rules of SPEC 7.3 read.
 */
void svd_view_list_print(uint8_t out[32], const svd_trust *trust);

/*
 * Write the list of a finished view of commit (made with the trust list
 * whose svd_view_list_print() is trust) to path, under a temporary name,
 * then renamed. Nothing is written when path already holds that commit's
 * list for that trust list.
 */
int svd_view_list_save(const char *path, const svd_view *v, const uint8_t trust[32],
                       const uint8_t commit[20]);

/*
 * Open a list file from its descriptor (borrowed: it must stay open until
 * svd_view_list_free), checking its head and table: SVD_ECORRUPT for any
 * fault, SVD_ENOTFOUND for one of another commit or trust list (either
 * may be NULL: not compared).
 */
int svd_view_list_open_fd(svd_view_list **out, int fd, const uint8_t trust[32],
                          const uint8_t commit[20]);

#endif
