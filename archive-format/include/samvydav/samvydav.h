/*
 * samvydav.h: the whole public API of libsamvydav.
 */
#ifndef SAMVYDAV_H
#define SAMVYDAV_H

#include "common.h"
#include "manifest.h"
#include "key.h"
#include "sig.h"
#include "revoke.h"
#include "trust.h"
#include "archive.h"
#include "item.h"
#include "store.h"
#include "bundle.h"
#include "export.h"
#include "import.h"
#include "ingest.h"
#include "peer.h"
#include "site.h"
#include "stick.h"
#include "render.h"
#include "unpack.h"
#include "view.h"
#include "pause.h"
#include "seal.h"
#include "network.h"
#include "text.h"

#endif
