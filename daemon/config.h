/*
 * config.h: the daemon's configuration, a file in git-config syntax read
 * with libgit2's config API. Every key is checked; an unknown key is
 * refused, so that a typo never silently leaves a default in force.
 */
#ifndef SVDD_CONFIG_H
#define SVDD_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define SVDD_CONFIG_DEFAULT "/etc/samvydav/samvydavd.conf"

/* [outbox] sealed: whether the outbox's bundles are sealed (SPEC.md, 12). */
typedef enum svdd_sealed {
	SVDD_SEALED_AUTO = 0, /* sealed when the archive's network has mirrors */
	SVDD_SEALED_YES,
	SVDD_SEALED_NO,
} svdd_sealed;

/* [sticks] layout: the folders and names on a courier's stick. */
typedef enum svdd_layout {
	SVDD_LAYOUT_AUTO = 0, /* sealed when the archive's network has mirrors */
	SVDD_LAYOUT_PLAIN,    /* samvydav/bundles and samvydav/have, in the clear */
	SVDD_LAYOUT_SEALED,   /* sealed files with random names in one folder */
} svdd_layout;

/* One [peer "NAME"] section. */
typedef struct svdd_peer {
	char *name;       /* [A-Za-z0-9._-], used in refs/quarantine/NAME */
	char *url;        /* file://, git://, http:// or https:// */
	unsigned every;   /* seconds between syncs */
	unsigned timeout; /* seconds of silence before the peer is cut off */
	uint64_t maxsize; /* bytes one sync may receive */
} svdd_peer;

/* The whole configuration; every field holds its effective value. */
typedef struct svdd_config {
	char *file; /* the file it was read from */

	char *archive; /* [archive] path */

	char **inbox; /* [inbox] folder, any number */
	size_t ninbox;
	unsigned inbox_settle; /* seconds a file's size must stay still */
	unsigned inbox_rescan; /* seconds between rescans */

	char *outbox;            /* [outbox] folder, or NULL: no outbox */
	unsigned outbox_every;   /* seconds between full bundles */
	unsigned outbox_keep;    /* full bundles kept */
	uint64_t outbox_maxsize; /* bytes per bundle file; 0: no limit */
	svdd_sealed outbox_sealed;

	svdd_layout stick_layout;
	char *stick_folder; /* [sticks] folder: relative to the stick ("" its root), or NULL:
	                       the network's setting */

	svdd_peer *peers;
	size_t npeers;

	int http_enabled;
	char *http_address; /* numeric, without brackets */
	uint16_t http_port;
	unsigned http_maxconnections;
	unsigned http_peraddress;    /* connections from one client address */
	unsigned http_timeout;       /* seconds a connection may stay idle */
	unsigned http_headertimeout; /* seconds a request's headers may take */
	uint64_t http_sendmemory;    /* bytes of raw files read into memory to be sent */

	svdd_level log_level;
} svdd_config;

/*
 * Read and check a configuration file. On failure the message (file,
 * section, key, what is wrong and what to do) is in svd_error_last().
 *
 * @param[out] out the caller's, freed with svdd_config_free()
 * @return 0, or SVD_EINVALID for a file that cannot be read or is wrong.
 */
int svdd_config_load(svdd_config **out, const char *file);

/* Print the effective settings in the file's own syntax. */
void svdd_config_print(const svdd_config *c, FILE *out);

/* The names of the settings' values, as the file spells them. */
const char *svdd_sealed_name(svdd_sealed s);
const char *svdd_layout_name(svdd_layout l);

/* Do the HTTP settings differ (so that the service must restart)? */
int svdd_config_http_changed(const svdd_config *a, const svdd_config *b);

/* Free; NULL is fine. */
void svdd_config_free(svdd_config *c);

#endif
