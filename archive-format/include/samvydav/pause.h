/*
 * pause.h: pause points — a test hook for crash tests.
 *
 * The library's write paths pass named points at the moments that matter
 * for crash consistency (SPEC.md 6.2): an item staged, an object queued for
 * the pack, the pack written, renamed, synced, main moved. A caller may
 * install one process-wide hook that is called with the point's name each
 * time one is passed; the crash tests use it to stop a process exactly
 * there and kill it (docs/fault-injection.md, "Pause points", lists every
 * point and what a kill there proves). With no hook installed a point costs
 * one test of a pointer.
 *
 * The library never reads the environment: samvydav and samvydavd call
 * svd_pause_stop_at() when SVD_PAUSE_AT is set. This is a testing aid, not an
 * interface for anything else; points may be added or renamed with the code
 * (the tests fail when a point they name is never reached).
 *
 * The points (the counted ones are passed once per item, object or
 * write; a test names the Nth as POINT:N):
 *
 *   txn.staged     an item passed the gate and was staged
 *   pack.object    a new object was queued for the pack
 *   bundle.read    an import read its bundle through; refusals recorded
 *   pack.written   the temporary pack is whole, not yet synced; no index
 *   pack.renamed   the pack is in place, its index not yet
 *   txn.packed     pack and index in place and synced; main not moved
 *   txn.committed  main moved to the new commit
 *   peer.fetched   a peer's main fetched into refs/quarantine/NAME
 *   seal.write     bytes written to a sealed file (SPEC.md 12), counted
 *
 *   site.build     the site's builder gated what changed; the pages of
 *                  the new index not yet made (a point to hold at:
 *                  svd_pause_hold_at)
 *   site.gate      the site's builder has the gate's verdict on an item,
 *                  counted (a point to hold at)
 *
 * and a caller's own, passed with svd_pause_point() (samvydavd's
 * inbox.recorded).
 */
#ifndef SAMVYDAV_PAUSE_H
#define SAMVYDAV_PAUSE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A pause hook: called on the thread that passes the point, with its name
 * (a static string). It may block, stop the process or return at once.
 */
typedef void (*svd_pause_fn)(const char *point, void *payload);

/**
 * Install the process-wide pause hook (NULL removes it). Call it before
 * any other thread uses the library; payload is borrowed and must outlive
 * the hook's use.
 */
void svd_pause_set_hook(svd_pause_fn fn, void *payload);

/** Pass a named point: call the hook, if one is installed. */
void svd_pause_point(const char *point);

/**
 * Install the library's own hook: stop the whole process the Nth time a
 * point is passed. spec is "POINT" or "POINT:N" (N from 1, default 1). At
 * that moment the hook writes "POINT N PID" and a newline to announce (a
 * file, appended to and created if need be, then fsynced; NULL or "" for
 * stderr) and raises SIGSTOP, so that a test can see the line, find the
 * process stopped (state T) and kill it there. A process continued with
 * SIGCONT goes on as if nothing had happened. Call it once, before other
 * threads start; the announce file stays open until the process ends.
 *
 * @return 0; SVD_EINVALID for a malformed spec, SVD_ERROR when announce
 *         cannot be opened.
 */
int svd_pause_stop_at(const char *spec, const char *announce);

/**
 * Hold the thread that passes a point, not the whole process: each time a
 * thread passes point while file exists, it appends "POINT N PID held" and
 * a newline to file (N: passes so far) and waits, looking every 10 ms,
 * until file is gone; other threads go on. A test creates file, waits for
 * the line, looks at what the process does meanwhile, and removes file to
 * let the thread go. The points held this way are a thread's own steps
 * (samvydavd's site.build: the site's builder, between the gate and the
 * pages). Call it once, before other threads start.
 *
 * @return 0; SVD_EINVALID for an empty or overlong point or no file.
 */
int svd_pause_hold_at(const char *point, const char *file);

#ifdef __cplusplus
}
#endif

#endif
