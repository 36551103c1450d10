/*
 * net_stream.h: libgit2's TCP stream replaced by one with deadlines and a
 * byte cap, for fetches from peers (internal).
 */
#ifndef SVD_NET_STREAM_H
#define SVD_NET_STREAM_H

#include <stdint.h>

/* Register the stream with libgit2 (once per process; later calls do nothing). */
int svd_net_install(void);

/*
 * The limits of the next connections made on this thread: every connect,
 * read and write waits at most timeout_s seconds; all reads together may
 * bring at most max_bytes. 0 takes the defaults (60 s, 4 GiB). Resets the
 * byte count.
 */
void svd_net_limits(unsigned timeout_s, uint64_t max_bytes);

/* Bytes read on this thread since svd_net_limits(). */
uint64_t svd_net_bytes(void);

#endif
