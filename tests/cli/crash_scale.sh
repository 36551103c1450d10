#!/usr/bin/env bash
# Crash consistency at scale, briefly: tests/crash/crash_at_scale.sh with 6
# SIGKILLs of `samvydav import` or of samvydavd during an inbox import of a
# 100-item bundle, each at a pause point drawn from the seed. The full run
# is 300 kills of a 300-item bundle: see docs/fault-injection.md.
exec env SVD_CRASH_ITEMS="${SVD_CRASH_ITEMS:-100}" \
	bash "$(dirname "$0")/../crash/crash_at_scale.sh" "${SVD_CRASH_RUNS:-6}"
