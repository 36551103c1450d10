/*
 * config.c: read and check samvydavd's configuration (git-config syntax).
 *
 * libgit2 parses the file; every entry is then looked at here, one by one,
 * so that an unknown key, a key given twice or a bad value is an error that
 * names the file, the section and the key, and says what to do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <samvydav/samvydav.h>

#include "config.h"

#define DEFAULT_SETTLE       5
#define DEFAULT_RESCAN       30
#define DEFAULT_OUTBOX_EVERY 86400
#define DEFAULT_OUTBOX_KEEP  3
#define DEFAULT_PEER_EVERY   3600
#define DEFAULT_PEER_TIMEOUT 60
#define DEFAULT_PEER_MAXSIZE ((uint64_t)4 << 30)
#define DEFAULT_ADDRESS      "127.0.0.1"
#define DEFAULT_PORT         8737
#define DEFAULT_MAXCONN      4096
#define DEFAULT_PERADDRESS   256
#define DEFAULT_TIMEOUT      30
#define DEFAULT_HEADERTIME   10
#define DEFAULT_SENDMEMORY   (256ull << 20)
#define MAX_CONN             100000
#define MAX_INTERVAL         (366u * 86400u) /* a year: anything longer is a mistake */
#define MAX_PEERS            256
#define MAX_INBOX            64
#define MIN_MAXSIZE          (1024u * 1024u)

/* What a check of the file has found so far. */
typedef struct loader {
	svdd_config *c;
	char **seen; /* single-valued keys met so far, to refuse repeats */
	size_t nseen;
} loader;

/* A key's place for messages: [section] key, or [peer "NAME"] key. */
static void where(char *buf, size_t size, const char *section, const char *sub, const char *key)
{
	if (sub)
		snprintf(buf, size, "[%s \"%s\"] %s", section, sub, key);
	else
		snprintf(buf, size, "[%s] %s", section, key);
}

/*
 * A length of time: seconds, or a number with s, m, h or d. Returns NULL,
 * or what is wrong with it.
 */
static const char *parse_seconds(unsigned *out, const char *s, unsigned min)
{
	unsigned long long v, unit = 1;
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '-')
		return "must not be negative";
	if (*s < '0' || *s > '9')
		return "is not a number of seconds";
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return "is too large";
	switch (*end) {
	case '\0':
		break;
	case 's':
		end++;
		break;
	case 'm':
		unit = 60, end++;
		break;
	case 'h':
		unit = 3600, end++;
		break;
	case 'd':
		unit = 86400, end++;
		break;
	default:
		return "is not a number of seconds (a whole number, or one with s, m, h or d)";
	}
	if (*end)
		return "is not a number of seconds (a whole number, or one with s, m, h or d)";
	if (v > MAX_INTERVAL / unit)
		return "is too large (at most 366d)";
	if (v * unit < min)
		return min == 1 ? "must be at least 1 second" : "is too small";
	*out = (unsigned)(v * unit);
	return NULL;
}

/* A whole number between min and max. */
static const char *parse_count(unsigned *out, const char *s, unsigned min, unsigned max)
{
	unsigned long long v;
	char *end;

	if (*s == '-')
		return "must not be negative";
	if (*s < '0' || *s > '9')
		return "is not a whole number";
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return errno ? "is too large" : "is not a whole number";
	if (v < min || v > max)
		return "is out of range";
	*out = (unsigned)v;
	return NULL;
}

/* A size in bytes, or with K, M, G or T (powers of 1024); 0 is no limit. */
static const char *parse_size(uint64_t *out, const char *s)
{
	unsigned long long v, unit = 1;
	char *end;

	if (*s == '-')
		return "must not be negative";
	if (*s < '0' || *s > '9')
		return "is not a size (bytes, or a number with K, M, G or T)";
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return "is too large";
	switch (*end) {
	case 'k':
	case 'K':
		unit = 1ull << 10, end++;
		break;
	case 'm':
	case 'M':
		unit = 1ull << 20, end++;
		break;
	case 'g':
	case 'G':
		unit = 1ull << 30, end++;
		break;
	case 't':
	case 'T':
		unit = 1ull << 40, end++;
		break;
	default:
		break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return "is not a size (bytes, or a number with K, M, G or T)";
	if (v > UINT64_MAX / unit)
		return "is too large";
	if (v && v * unit < MIN_MAXSIZE)
		return "is too small (at least 1M, or 0 for no limit)";
	*out = v * unit;
	return NULL;
}

/* "ADDRESS:PORT" or "[IPV6]:PORT", numeric. */
static const char *parse_listen(char **address, uint16_t *port, const char *s)
{
	const char *colon, *host = s;
	size_t hostlen;
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	unsigned p;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return "is not ADDRESS:PORT (an IPv6 address goes in brackets: [::1]:8737)";
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return "is not ADDRESS:PORT (such as 127.0.0.1:8737, or [::1]:8737)";
		hostlen = (size_t)(colon - s);
	}
	if (hostlen == 0 || hostlen >= sizeof(buf))
		return "has no address (give a numeric one such as 127.0.0.1, or 0.0.0.0 for "
		       "every interface)";
	memcpy(buf, host, hostlen);
	buf[hostlen] = '\0';
	if (inet_pton(s[0] == '[' ? AF_INET6 : AF_INET, buf, bin) != 1)
		return "has an address that is not a numeric IPv4 or IPv6 address (names are not "
		       "looked up)";
	if (parse_count(&p, colon + 1, 1, 65535))
		return "has no valid port (1 to 65535)";
	if (!(*address = strdup(buf)))
		return "out of memory";
	*port = (uint16_t)p;
	return NULL;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Only 0 for a key met for the first time; single-valued keys are refused twice. */
static int first_time(loader *l, const char *name)
{
	size_t i;
	char **grown;

	for (i = 0; i < l->nseen; i++)
		if (!strcmp(l->seen[i], name))
			return -1;
	if (!(grown = realloc(l->seen, (l->nseen + 1) * sizeof(*grown))))
		return -2;
	l->seen = grown;
	if (!(l->seen[l->nseen] = strdup(name)))
		return -2;
	l->nseen++;
	return 0;
}

/* The value as a message shows it: control characters as \r, \xNN (never sent to a terminal). */
static void shown_value(char *out, size_t size, const char *v)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)v; *p && n + 5 < size; p++) {
		if (*p == '\r')
			n += (size_t)snprintf(out + n, size - n, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
}

static int bad(const loader *l, const char *at, const char *value, const char *problem)
{
	char shown[512];

	if (value) {
		shown_value(shown, sizeof(shown), value);
		return svd_error_set(SVD_EINVALID, "%s: %s = %s: %s", l->c->file, at, shown,
		                     problem);
	}
	return svd_error_set(SVD_EINVALID, "%s: %s: %s", l->c->file, at, problem);
}

static svdd_peer *peer_get(loader *l, const char *name)
{
	svdd_config *c = l->c;
	svdd_peer *grown;
	size_t i;

	for (i = 0; i < c->npeers; i++)
		if (!strcmp(c->peers[i].name, name))
			return &c->peers[i];
	if (c->npeers >= MAX_PEERS)
		return NULL;
	if (!(grown = realloc(c->peers, (c->npeers + 1) * sizeof(*grown))))
		return NULL;
	c->peers = grown;
	memset(&c->peers[c->npeers], 0, sizeof(*grown));
	if (!(c->peers[c->npeers].name = strdup(name)))
		return NULL;
	c->peers[c->npeers].every = DEFAULT_PEER_EVERY;
	c->peers[c->npeers].timeout = DEFAULT_PEER_TIMEOUT;
	c->peers[c->npeers].maxsize = DEFAULT_PEER_MAXSIZE;
	return &c->peers[c->npeers++];
}

static int valid_peer_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int has_control(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int valid_peer_url(const char *s)
{
	static const char *const schemes[] = {"file://", "git://", "http://", "https://"};
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(s, schemes[i], strlen(schemes[i])) && s[strlen(schemes[i])])
			return 1;
	return 0;
}

static int set_string(char **field, const loader *l, const char *at, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return bad(l, at, NULL, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

/*
 * [sticks] folder: a path on the stick, relative to its root ("" is the
 * root itself). It comes from the operator but names a place on a device
 * anyone may hand over, so it is kept to plain relative components.
 */
static const char *check_stick_folder(const char *s)
{
	const char *part = s;
	size_t n = strlen(s);

	if (n > SVD_NETWORK_FOLDER_MAX)
		return "is too long (at most 255 bytes)";
	if (has_control(s) || strchr(s, '\\'))
		return "holds a control character or a backslash (write a plain folder name)";
	if (s[0] == '/')
		return "is an absolute path (give a folder on the stick, relative to its root, "
		       "or \"\" for the root itself)";
	while (n && *part) {
		size_t len = strcspn(part, "/");
		if (len == 0 || (len == 1 && part[0] == '.') ||
		    (len == 2 && part[0] == '.' && part[1] == '.'))
			return "has an empty, '.' or '..' part (give a folder inside the stick, "
			       "such "
			       "as photos/2019)";
		part += len;
		if (*part == '/' && !*++part)
			return "ends with '/' (leave it out)";
	}
	return NULL;
}

/* An absolute path to a folder that exists. */
static int set_folder(char **field, const loader *l, const char *at, const char *value)
{
	if (value[0] != '/')
		return bad(l, at, value,
		           "is not an absolute path (the daemon runs from /; give the full path)");
	if (!is_dir(value))
		return bad(l, at, value, "is not a folder (create it, or fix the path)");
	return set_string(field, l, at, value);
}

/* One entry of the file, by its full name section[.subsection].key. */
static int take(loader *l, const char *name, const char *value)
{
	svdd_config *c = l->c;
	char section[64], key[64], sub[128], at[300];
	const char *dot1 = strchr(name, '.'), *dot2 = strrchr(name, '.');
	const char *problem = NULL;
	int has_sub = dot1 != dot2, r;

	if (!dot1 || (size_t)(dot1 - name) >= sizeof(section) || strlen(dot2 + 1) >= sizeof(key) ||
	    (size_t)(dot2 - dot1) > sizeof(sub))
		return bad(l, name, NULL, "is not a key this daemon knows");
	memcpy(section, name, (size_t)(dot1 - name));
	section[dot1 - name] = '\0';
	strcpy(key, dot2 + 1);
	if (has_sub) {
		memcpy(sub, dot1 + 1, (size_t)(dot2 - dot1 - 1));
		sub[dot2 - dot1 - 1] = '\0';
	}
	where(at, sizeof(at), section, has_sub ? sub : NULL, key);

	if (has_sub && strcmp(section, "peer"))
		return bad(l, at, NULL,
		           "unknown section (only [peer \"NAME\"] takes a name; see "
		           "samvydavd.conf.example)");
	if (!has_sub && !strcmp(section, "peer"))
		return bad(l, at, NULL, "a peer needs a name: write [peer \"NAME\"]");

	/* every key but inbox.folder is given once */
	if (strcmp(name, "inbox.folder")) {
		r = first_time(l, name);
		if (r == -1)
			return bad(l, at, NULL, "is set twice (keep one)");
		if (r < 0)
			return bad(l, at, NULL, "out of memory");
	}
	if (!value && strcmp(name, "http.enabled"))
		return bad(l, at, NULL, "has no value (write KEY = VALUE)");

	if (!strcmp(section, "archive") && !strcmp(key, "path")) {
		if (value[0] != '/')
			return bad(l, at, value,
			           "is not an absolute path (the daemon runs from /; give the "
			           "full path)");
		return set_string(&c->archive, l, at, value);
	} else if (!strcmp(section, "inbox") && !strcmp(key, "folder")) {
		char **grown;
		if (c->ninbox >= MAX_INBOX)
			return bad(l, at, value, "too many inbox folders (at most 64)");
		if (!(grown = realloc(c->inbox, (c->ninbox + 1) * sizeof(*grown))))
			return bad(l, at, NULL, "out of memory");
		c->inbox = grown;
		c->inbox[c->ninbox] = NULL;
		if ((r = set_folder(&c->inbox[c->ninbox], l, at, value)) < 0)
			return r;
		c->ninbox++;
		return 0;
	} else if (!strcmp(section, "inbox") && !strcmp(key, "settle")) {
		problem = parse_seconds(&c->inbox_settle, value, 0);
	} else if (!strcmp(section, "inbox") && !strcmp(key, "rescan")) {
		problem = parse_seconds(&c->inbox_rescan, value, 1);
	} else if (!strcmp(section, "outbox") && !strcmp(key, "folder")) {
		if ((r = set_folder(&c->outbox, l, at, value)) < 0)
			return r;
		if (access(value, W_OK | X_OK) < 0)
			return bad(l, at, value,
			           "is not writable by the daemon (give its user write access)");
		return 0;
	} else if (!strcmp(section, "outbox") && !strcmp(key, "every")) {
		problem = parse_seconds(&c->outbox_every, value, 60);
		if (problem && !strcmp(problem, "is too small"))
			problem = "is too small (at least 60 seconds)";
	} else if (!strcmp(section, "outbox") && !strcmp(key, "keep")) {
		problem = parse_count(&c->outbox_keep, value, 1, 1000);
		if (problem && !strcmp(problem, "is out of range"))
			problem = "is out of range (1 to 1000 bundles)";
	} else if (!strcmp(section, "outbox") && !strcmp(key, "maxsize")) {
		problem = parse_size(&c->outbox_maxsize, value);
	} else if (!strcmp(section, "outbox") && !strcmp(key, "sealed")) {
		if (!strcmp(value, "auto"))
			c->outbox_sealed = SVDD_SEALED_AUTO;
		else if (!strcmp(value, "yes"))
			c->outbox_sealed = SVDD_SEALED_YES;
		else if (!strcmp(value, "no"))
			c->outbox_sealed = SVDD_SEALED_NO;
		else
			problem = "is not auto, yes or no";
	} else if (!strcmp(section, "sticks") && !strcmp(key, "layout")) {
		if (!strcmp(value, "auto"))
			c->stick_layout = SVDD_LAYOUT_AUTO;
		else if (!strcmp(value, "plain"))
			c->stick_layout = SVDD_LAYOUT_PLAIN;
		else if (!strcmp(value, "sealed"))
			c->stick_layout = SVDD_LAYOUT_SEALED;
		else
			problem = "is not auto, plain or sealed";
	} else if (!strcmp(section, "sticks") && !strcmp(key, "folder")) {
		if ((problem = check_stick_folder(value)) == NULL &&
		    !svd_network_stick_folder_valid(value))
			problem =
			    "is not a folder a stick can hold (UTF-8, and none of : * ? \" < > |, "
			    "which FAT32 cannot name)";
		if (!problem)
			return set_string(&c->stick_folder, l, at, value);
	} else if (!strcmp(section, "peer") && !strcmp(key, "url")) {
		svdd_peer *p;
		if (!valid_peer_name(sub))
			return bad(l, at, NULL,
			           "the peer's name may hold only letters, digits, '.', '_' "
			           "and '-' (at most 64, not starting with '.')");
		if (has_control(value))
			return bad(l, at, value,
			           "holds a control character (a carriage return, tab or "
			           "escape): write the URL as plain text");
		if (!valid_peer_url(value))
			return bad(l, at, value,
			           "is not a URL this daemon syncs with (use file://, git://, "
			           "http:// or https://)");
		if (!(p = peer_get(l, sub)))
			return bad(l, at, NULL, "too many peers (at most 256), or out of memory");
		return set_string(&p->url, l, at, value);
	} else if (!strcmp(section, "peer") &&
	           (!strcmp(key, "every") || !strcmp(key, "timeout") || !strcmp(key, "maxsize"))) {
		svdd_peer *p;
		if (!valid_peer_name(sub))
			return bad(l, at, NULL,
			           "the peer's name may hold only letters, digits, '.', '_' "
			           "and '-' (at most 64, not starting with '.')");
		if (!(p = peer_get(l, sub)))
			return bad(l, at, NULL, "too many peers (at most 256), or out of memory");
		if (!strcmp(key, "every"))
			problem = parse_seconds(&p->every, value, 1);
		else if (!strcmp(key, "timeout"))
			problem = parse_seconds(&p->timeout, value, 1);
		else if (!(problem = parse_size(&p->maxsize, value)) && p->maxsize < 1024)
			problem = "is too small (at least 1K)";
	} else if (!strcmp(section, "http") && !strcmp(key, "listen")) {
		free(c->http_address);
		c->http_address = NULL;
		problem = parse_listen(&c->http_address, &c->http_port, value);
	} else if (!strcmp(section, "http") && !strcmp(key, "enabled")) {
		if (!value)
			c->http_enabled = 1;
		else if (git_config_parse_bool(&c->http_enabled, value) < 0)
			problem = "is not a boolean (true or false)";
	} else if (!strcmp(section, "http") && !strcmp(key, "maxconnections")) {
		problem = parse_count(&c->http_maxconnections, value, 1, MAX_CONN);
		if (problem && !strcmp(problem, "is out of range"))
			problem = "is out of range (1 to 100000)";
	} else if (!strcmp(section, "http") && !strcmp(key, "peraddress")) {
		problem = parse_count(&c->http_peraddress, value, 1, MAX_CONN);
		if (problem && !strcmp(problem, "is out of range"))
			problem = "is out of range (1 to 100000)";
	} else if (!strcmp(section, "http") && !strcmp(key, "timeout")) {
		problem = parse_seconds(&c->http_timeout, value, 1);
	} else if (!strcmp(section, "http") && !strcmp(key, "headertimeout")) {
		problem = parse_seconds(&c->http_headertimeout, value, 1);
		if (!problem && c->http_headertimeout > 3600)
			problem = "is too large (at most 1h: headers take a client seconds)";
	} else if (!strcmp(section, "http") && !strcmp(key, "sendmemory")) {
		problem = parse_size(&c->http_sendmemory, value);
		if ((problem && !strncmp(problem, "is too small", 12)) ||
		    (!problem && !c->http_sendmemory))
			problem = "is too small (at least 1M: raw files over it are not served)";
	} else if (!strcmp(section, "log") && !strcmp(key, "level")) {
		if (svdd_level_parse(&c->log_level, value) < 0)
			problem = "is not a log level (error, warn, info or debug)";
	} else {
		return bad(l, at, NULL,
		           "is not a key this daemon knows (a typo? see "
		           "samvydavd.conf.example for every key)");
	}
	if (problem)
		return bad(l, at, value, problem);
	return 0;
}

/* What must hold once every entry is read: the archive, every peer's URL. */
static int check_whole(loader *l)
{
	svdd_config *c = l->c;
	svd_archive *a = NULL;
	size_t i;
	int error;

	if (!c->archive)
		return svd_error_set(SVD_EINVALID,
		                     "%s: [archive] path is missing: say which archive this "
		                     "daemon keeps (path = /var/lib/samvydav/archive; make one "
		                     "with 'samvydav init')",
		                     c->file);
	if ((error = svd_archive_open(&a, c->archive)) == SVD_ENOTFOUND)
		return svd_error_set(SVD_EINVALID,
		                     "%s: [archive] path = %s: not a samvydav archive (no "
		                     "store.git and mirror-id there); make one with 'samvydav "
		                     "init %s', or fix the path",
		                     c->file, c->archive, c->archive);
	if (error < 0)
		return svd_error_set(SVD_EINVALID, "%s: [archive] path = %s: cannot open it: %s",
		                     c->file, c->archive, svd_error_last());
	svd_archive_free(a);
	for (i = 0; i < c->npeers; i++)
		if (!c->peers[i].url)
			return svd_error_set(SVD_EINVALID,
			                     "%s: [peer \"%s\"]: no url: give the peer's git URL "
			                     "(url = https://mirror.example/store.git) or remove "
			                     "the section",
			                     c->file, c->peers[i].name);
	return 0;
}

int svdd_config_load(svdd_config **out, const char *file)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	loader l = {0};
	svdd_config *c;
	size_t i;
	int error = 0, r;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))) || !(c->file = strdup(file))) {
		free(c);
		return svd_error_set(SVD_ERROR, "out of memory");
	}
	l.c = c;
	c->inbox_settle = DEFAULT_SETTLE;
	c->inbox_rescan = DEFAULT_RESCAN;
	c->outbox_every = DEFAULT_OUTBOX_EVERY;
	c->outbox_keep = DEFAULT_OUTBOX_KEEP;
	c->http_enabled = 1;
	c->http_port = DEFAULT_PORT;
	c->http_maxconnections = DEFAULT_MAXCONN;
	c->http_peraddress = DEFAULT_PERADDRESS;
	c->http_timeout = DEFAULT_TIMEOUT;
	c->http_headertimeout = DEFAULT_HEADERTIME;
	c->http_sendmemory = DEFAULT_SENDMEMORY;
	c->log_level = SVDD_INFO;

	/* libgit2 takes a missing file for an empty one: say so instead */
	if (access(file, R_OK) < 0) {
		error = svd_error_set(SVD_EINVALID,
		                      "%s: cannot read the configuration: %s (give another "
		                      "with -c FILE; samvydavd.conf.example shows every key)",
		                      file, strerror(errno));
		goto cleanup;
	}
	if (git_config_open_ondisk(&cfg, file) < 0 || git_config_iterator_new(&it, cfg) < 0) {
		const git_error *e = git_error_last();
		error = svd_error_set(SVD_EINVALID, "%s: not a valid configuration file: %s", file,
		                      e ? e->message : "cannot parse it");
		goto cleanup;
	}
	while ((r = git_config_next(&entry, it)) == 0) {
		if ((error = take(&l, entry->name, entry->value)) < 0)
			goto cleanup;
	}
	if (r != GIT_ITEROVER) {
		const git_error *e = git_error_last();
		error = svd_error_set(SVD_EINVALID, "%s: cannot read it: %s", file,
		                      e ? e->message : "unknown error");
		goto cleanup;
	}
	if ((error = check_whole(&l)) < 0)
		goto cleanup;
	if (!c->http_address && !(c->http_address = strdup(DEFAULT_ADDRESS))) {
		error = svd_error_set(SVD_ERROR, "out of memory");
		goto cleanup;
	}
	*out = c;
	c = NULL;

cleanup:
	for (i = 0; i < l.nseen; i++)
		free(l.seen[i]);
	free(l.seen);
	git_config_iterator_free(it);
	git_config_free(cfg);
	svdd_config_free(c);
	return error;
}

const char *svdd_sealed_name(svdd_sealed s)
{
	return s == SVDD_SEALED_YES ? "yes" : s == SVDD_SEALED_NO ? "no" : "auto";
}

const char *svdd_layout_name(svdd_layout l)
{
	return l == SVDD_LAYOUT_PLAIN ? "plain" : l == SVDD_LAYOUT_SEALED ? "sealed" : "auto";
}

static const char *bracketed(const char *address, char *buf, size_t size)
{
	if (strchr(address, ':'))
		snprintf(buf, size, "[%s]", address);
	else
		snprintf(buf, size, "%s", address);
	return buf;
}

/*
 * A value as git-config reads it back: as it is when that is safe, else in
 * double quotes with \", \\, \n, \t and \b escaped. Printed bare, a '#' or
 * ';' would start a comment and cut a URL short.
 */
/* A value as the loader reads it back: quoted when it holds anything but plain text. */
static int plain_value(const char *v)
{
	size_t len = strlen(v);

	/* a carriage return, printed as it is, would be read as a line end */
	return len && v[0] != ' ' && v[len - 1] != ' ' && !strpbrk(v, "#;\"\\") && !has_control(v);
}

static void put_value(FILE *out, const char *v)
{
	const char *p;

	if (plain_value(v)) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out), fputc(*p, out);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '\b')
			fputs("\\b", out);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void svdd_config_print(const svdd_config *c, FILE *out)
{
	char addr[INET6_ADDRSTRLEN + 3];
	size_t i;

	fprintf(out, "# effective settings of %s\n", c->file);
	fprintf(out, "[archive]\n\tpath = ");
	put_value(out, c->archive);
	fputc('\n', out);
	fprintf(out, "[inbox]\n");
	for (i = 0; i < c->ninbox; i++) {
		fprintf(out, "\tfolder = ");
		put_value(out, c->inbox[i]);
		fputc('\n', out);
	}
	if (!c->ninbox)
		fprintf(out, "\t# no folder: nothing is watched\n");
	fprintf(out, "\tsettle = %u\n\trescan = %u\n", c->inbox_settle, c->inbox_rescan);
	fprintf(out, "[outbox]\n");
	if (c->outbox) {
		fprintf(out, "\tfolder = ");
		put_value(out, c->outbox);
		fputc('\n', out);
	} else
		fprintf(out, "\t# no folder: no bundles are written\n");
	fprintf(out, "\tevery = %u\n\tkeep = %u\n\tmaxsize = %llu\n\tsealed = %s\n",
	        c->outbox_every, c->outbox_keep, (unsigned long long)c->outbox_maxsize,
	        svdd_sealed_name(c->outbox_sealed));
	fprintf(out, "[sticks]\n\tlayout = %s\n", svdd_layout_name(c->stick_layout));
	if (c->stick_folder) {
		fprintf(out, "\tfolder = ");
		put_value(out, c->stick_folder);
		fputc('\n', out);
	} else
		fprintf(out, "\t# no folder: the network's (samvydav network folder)\n");
	for (i = 0; i < c->npeers; i++) {
		fprintf(out, "[peer \"%s\"]\n\turl = ", c->peers[i].name);
		put_value(out, c->peers[i].url);
		fprintf(out, "\n\tevery = %u\n\ttimeout = %u\n\tmaxsize = %llu\n",
		        c->peers[i].every, c->peers[i].timeout,
		        (unsigned long long)c->peers[i].maxsize);
	}
	fprintf(out,
	        "[http]\n\tenabled = %s\n\tlisten = %s:%u\n\tmaxconnections = %u\n"
	        "\tperaddress = %u\n\ttimeout = %u\n\theadertimeout = %u\n\tsendmemory = %llu\n",
	        c->http_enabled ? "true" : "false", bracketed(c->http_address, addr, sizeof(addr)),
	        (unsigned)c->http_port, c->http_maxconnections, c->http_peraddress, c->http_timeout,
	        c->http_headertimeout, (unsigned long long)c->http_sendmemory);
	fprintf(out, "[log]\n\tlevel = %s\n", svdd_level_name(c->log_level));
}

int svdd_config_http_changed(const svdd_config *a, const svdd_config *b)
{
	return a->http_enabled != b->http_enabled || strcmp(a->http_address, b->http_address) ||
	       a->http_port != b->http_port || a->http_maxconnections != b->http_maxconnections ||
	       a->http_peraddress != b->http_peraddress || a->http_timeout != b->http_timeout ||
	       a->http_headertimeout != b->http_headertimeout ||
	       a->http_sendmemory != b->http_sendmemory ||
	       strcmp(a->outbox ? a->outbox : "", b->outbox ? b->outbox : "");
}

void svdd_config_free(svdd_config *c)
{
	size_t i;

	if (!c)
		return;
	free(c->file);
	free(c->archive);
	for (i = 0; i < c->ninbox; i++)
		free(c->inbox[i]);
	free(c->inbox);
	free(c->outbox);
	free(c->stick_folder);
	for (i = 0; i < c->npeers; i++) {
		free(c->peers[i].name);
		free(c->peers[i].url);
	}
	free(c->peers);
	free(c->http_address);
	free(c);
}
