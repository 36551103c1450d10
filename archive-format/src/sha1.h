/*
 * sha1.h: SHA-1, for git's object ids and pack checksums — internal.
 *
 * git names objects by SHA-1 and closes packs and indexes with a SHA-1;
 * libgit2 does not export its implementation, so the pack writer carries its
 * own. Nothing in samvydav's trust rests on SHA-1: item ids are SHA-256 and
 * signatures are Ed25519, and a blob whose id is held already is skipped
 * only once the bytes held have its SHA-256 (pack.h, SVD_PACKW_COLLISION).
 * This SHA-1 has no collision detection (SHA-1DC): the SHAttered pair gets
 * one digest (tests/unit/test_sha1.c).
 */
#ifndef SVD_SHA1_H
#define SVD_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct svd_sha1 {
	uint32_t h[5];
	uint64_t len;
	uint8_t buf[64];
	size_t used;
} svd_sha1;

void svd_sha1_init(svd_sha1 *c);
void svd_sha1_update(svd_sha1 *c, const void *data, size_t len);
void svd_sha1_final(svd_sha1 *c, uint8_t out[20]);

#endif
