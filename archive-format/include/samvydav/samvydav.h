/*
 * samvydav.h: the whole public API of libsamvydav.
 */
#ifndef SAMVYDAV_H
#define SAMVYDAV_H

#include "common.h"
#include "manifest.h"
#include "key.h"
#include "sig.h"
#include "archive.h"
#include "item.h"
#include "store.h"
#include "bundle.h"
#include "peer.h"
#include "stick.h"
#include "http.h"
#include "render.h"
#include "pause.h"

#endif
