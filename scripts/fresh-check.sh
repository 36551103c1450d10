#!/usr/bin/env bash
# fresh-check.sh: the README's two commands on a fresh Debian 12, timed.
#
#   bash scripts/fresh-check.sh [OPTIONS]          (as root, on a Debian 12 host)
#
# It builds a debootstrap --variant=minbase bookworm root, clones this
# repository into it (the committed HEAD of the checkout the script is in,
# with `git clone`: uncommitted changes are not in it, and there is no
# ../shared beside the clone) and runs there, as root with a clean
# environment, what a newcomer would:
#
#   step 1  bash scripts/setup.sh && bash scripts/run.sh
#           in the background; http://127.0.0.1:8737/ is polled from the
#           host (the root shares its network) until it answers 200. Reports
#           the time from the start to the first page and how long setup.sh
#           took, then stops the daemon as Ctrl-C would (SIGINT to its process
#           group) and checks that it exited, and exited 0.
#   step 2  bash scripts/setup.sh && bash scripts/test.sh
#           in a second, newly made root (never the root of step 1), RUNS
#           times in a row: the first run installs the test tools, later ones
#           find them installed. Reports each run's time, exit status and
#           test.sh's closing summary (a line per stage, "stages: ...").
#
# Options:
#   --step 1|2|all    run only step 1, only step 2, or both (default: all)
#   --runs N          how many times step 2 runs (default: 3)
#   --ci              run the commands with CI=true, as CI does (default: CI
#                     is not set, as on a newcomer's machine)
#   --keep            keep the roots (and the clone in ROOT/root/samvydav with
#                     its build folders) for inspection; by default they are
#                     removed at the end. Logs are always kept.
#   --dir DIR         where the roots and logs go (default: /var/tmp/samvydav-fresh);
#                     must be outside the repository
#   --cache DIR       where the pristine debootstrap result is cached as a
#                     tarball (default: /var/cache/samvydav-fresh-check)
#   --no-cache        run debootstrap again and replace the cached tarball
#   --mirror URL      the Debian mirror for debootstrap (default: the URI of
#                     the host's own apt sources for bookworm, from
#                     /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources)
#   --timeout MIN     step 1 fails when no page answered within MIN minutes
#                     (default: 15); a run of step 2 is stopped after 60
#                     (twice the 30 minutes the test command must keep to)
#   --env NAME=VALUE  add a variable to the commands' environment (repeatable),
#                     e.g. a proxy the host needs; nothing of the host's own
#                     environment is passed otherwise
#   -v, --verbose     show the commands' whole output (default: only the lines
#                     of setup and test.sh's stages; the logs have everything)
#   -h, --help        this text
#
# The cache: debootstrap takes minutes, so its result is kept as a tarball and
# every root is unpacked afresh from it. Each root is still a pristine minbase
# (nothing is installed into the cached copy, apt's lists are empty); it only
# carries the package versions of the day the cache was made, where a fresh
# debootstrap would take today's (setup.sh's apt-get update and install fetch
# today's versions of everything it adds). --no-cache makes it again.
#
# What the root gets from the host, and nothing else:
#   - /etc/resolv.conf and /etc/hosts, to resolve names;
#   - the host's apt sources for bookworm, bookworm-updates and the security
#     suite (files of /etc/apt/sources.list{,.d} that name only those suites
#     and whose keyrings the root has; others are left out and said so), so
#     the root installs the same versions as the host;
#   - the CA certificates of /usr/local/share/ca-certificates/*.crt, when the
#     host has any: some hosts reach the internet only through an egress proxy
#     that re-signs TLS with its own CA, and without it the npm registry does
#     not answer (cli/browser's `npm ci`). A real newcomer's machine needs none
#     of this. They go where Debian's ca-certificates takes local CAs
#     (/usr/local/share/ca-certificates, merged into
#     /etc/ssl/certs/ca-certificates.crt when setup.sh installs the package),
#     and into /etc/ssl/fresh-check-host-ca.pem, which NODE_EXTRA_CA_CERTS
#     names for node and npm.
# /proc, /sys, /dev, /dev/pts and a fresh /dev/shm are mounted into the root
# (the tests use tmpfs mounts, script(1) and sockets) and everything mounted
# under the root, by this script or by the tests, is unmounted at the end,
# also on Ctrl-C or an error; processes still running in the root are ended
# first. The commands run under `env -i` with only PATH, HOME=/root,
# TERM, LANG=C.UTF-8, NODE_EXTRA_CA_CERTS (when there is a host CA), CI
# (with --ci) and --env's variables.
#
# Output: progress lines with the time of day, then one summary block; the
# exit status is 1 when any step failed, 2 for a usage error. Each command's
# whole output is in DIR/RUN-ID/logs, every line prefixed with the seconds
# since the command started.
#
# Needs root, debootstrap (installed with apt-get when missing), git, curl,
# tar. It does not need network access beyond what apt and npm need.
# shellcheck disable=SC2317 # cleanup and its helpers run from the EXIT trap
set -euo pipefail

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//p}' "$0"
}

die() {
	printf '%s fresh-check: %s\n' "$(date +%H:%M:%S)" "$*" >&2
	exit 1
}
say() {
	printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/.." && pwd)

step=all runs=3 ci=0 keep=0 verbose=0 no_cache=0 timeout_min=15 step2_limit=60
dir=/var/tmp/samvydav-fresh
cache=/var/cache/samvydav-fresh-check
mirror=""
extra_env=()
while [ $# -gt 0 ]; do
	case $1 in
	--step) step=${2:?--step needs 1, 2 or all}; shift ;;
	--step=*) step=${1#*=} ;;
	--runs) runs=${2:?--runs needs a number}; shift ;;
	--runs=*) runs=${1#*=} ;;
	--ci) ci=1 ;;
	--keep) keep=1 ;;
	--dir) dir=${2:?--dir needs a folder}; shift ;;
	--dir=*) dir=${1#*=} ;;
	--cache) cache=${2:?--cache needs a folder}; shift ;;
	--cache=*) cache=${1#*=} ;;
	--no-cache) no_cache=1 ;;
	--mirror) mirror=${2:?--mirror needs a URL}; shift ;;
	--mirror=*) mirror=${1#*=} ;;
	--timeout) timeout_min=${2:?--timeout needs minutes}; shift ;;
	--timeout=*) timeout_min=${1#*=} ;;
	--env) extra_env+=("${2:?--env needs NAME=VALUE}"); shift ;;
	--env=*) extra_env+=("${1#*=}") ;;
	-v | --verbose) verbose=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "fresh-check: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
case $step in 1 | 2 | all) ;; *) echo "fresh-check: --step is 1, 2 or all, not '$step'" >&2; exit 2 ;; esac
case $runs in '' | *[!0-9]* | 0) echo "fresh-check: --runs needs a number of at least 1" >&2; exit 2 ;; esac
case $timeout_min in '' | *[!0-9]* | 0) echo "fresh-check: --timeout needs whole minutes" >&2; exit 2 ;; esac
for e in ${extra_env[@]+"${extra_env[@]}"}; do
	[[ $e =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "fresh-check: --env wants NAME=VALUE, not '$e'" >&2; exit 2; }
done

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
grep -qs '^VERSION_ID="12"' /etc/os-release || say "warning: the host is not Debian 12; debootstrap may not know bookworm"
for tool in git curl tar chroot setsid mount umount; do
	command -v "$tool" >/dev/null || die "$tool is not installed on the host"
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $dir/ in "$repo"/*) die "--dir $dir is inside the repository; give a folder outside it" ;; esac

head=$(git -C "$repo" rev-parse HEAD) || die "$repo is not a git checkout"
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | wc -l)

# ---------------------------------------------------------------- the mirror
# The URI of the host's apt source for the suite bookworm (not -updates or
# -security): one-line sources.list entries first, then deb822 .sources files.
host_mirror() {
	local f
	if [ -f /etc/apt/sources.list ]; then
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == "bookworm" && $i !~ /^cdrom:/) { print $i; exit }
		}' /etc/apt/sources.list
	fi
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = ""; enabled = "yes"
			for (i = 1; i <= NF; i++) {
				line = $i
				if (line ~ /^#/) continue
				if (line ~ /^Types:/) { sub(/^Types:[ \t]*/, "", line); types = line }
				if (line ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", line); uris = line }
				if (line ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", line); suites = " " line " " }
				if (line ~ /^Enabled:/) { sub(/^Enabled:[ \t]*/, "", line); enabled = line }
			}
			if (enabled != "no" && types ~ /(^| )deb( |$)/ && suites ~ / bookworm /) {
				split(uris, u, /[ \t]+/); print u[1]; exit
			}
		}' "$f"
	done
}
if [ -z "$mirror" ]; then
	mirror=$(host_mirror | head -n 1)
	[ -n "$mirror" ] || die "no Debian mirror for bookworm found in the host's /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources; give one with --mirror URL"
fi

# ----------------------------------------------------- cleanup, on every exit
run_id=$(date +%Y%m%d-%H%M%S)
work=$dir/$run_id
logs=$work/logs
roots=()       # roots made by this run, to unmount and remove
daemon_pid=""  # step 1's process group (setsid: its leader's pid)

# the mount points at or under $1, deepest first
mounts_under() {
	awk -v r="$1" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
# processes whose root directory is $1: started in that root by this script
# (the commands, what they left running), ended by their ids
procs_in() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}
end_procs_in() {
	local root=$1 pids sig
	for sig in TERM KILL; do
		mapfile -t pids < <(procs_in "$root")
		[ ${#pids[@]} -gt 0 ] || return 0
		say "ending ${#pids[@]} processes still running in $root (SIG$sig): ${pids[*]}"
		kill "-$sig" "${pids[@]}" 2>/dev/null || true
		sleep 3
	done
}
unmount_root() {
	local root=$1 m left
	for m in $(mounts_under "$root"); do
		umount "$m" 2>/dev/null || umount -l "$m" || say "warning: cannot unmount $m"
	done
	left=$(mounts_under "$root")
	[ -z "$left" ] || { say "warning: still mounted: $left"; return 1; }
}
cleanup() {
	local rc=$? root
	trap - EXIT INT TERM
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		say "stopping step 1's command (SIGTERM, then SIGKILL, to process group $daemon_pid)"
		kill -TERM -- "-$daemon_pid" 2>/dev/null || true
		sleep 2
		kill -KILL -- "-$daemon_pid" 2>/dev/null || true
	fi
	for root in ${roots[@]+"${roots[@]}"}; do
		[ -d "$root" ] || continue
		end_procs_in "$root"
		if ! unmount_root "$root"; then
			say "NOT removing $root: something is still mounted under it"
			rc=1
			continue
		fi
		if [ "$keep" = 1 ]; then
			say "kept $root (chroot $root /bin/bash to look around; the clone is in $root/root/samvydav)"
		else
			rm -rf --one-file-system "$root"
		fi
	done
	rm -f "$work/step1.fifo"
	rmdir "$logs" "$work" 2>/dev/null || true # a run that stopped before doing anything
	if [ ${#roots[@]} -gt 0 ]; then
		if mount | grep -qF "$work/"; then
			say "ERROR: mounts left behind:"
			mount | grep -F "$work/" >&2
			rc=1
		else
			say "nothing is mounted under $work any more"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

mkdir -p "$logs"

# ------------------------------------------------- the cached debootstrap root
tarball=$cache/bookworm-minbase.tar
make_cache() {
	local tmp
	if ! command -v debootstrap >/dev/null; then
		say "installing debootstrap on the host (apt-get)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >"$logs/host-apt.log" 2>&1 ||
			{ apt-get update >>"$logs/host-apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >>"$logs/host-apt.log" 2>&1; } ||
			die "cannot install debootstrap: see $logs/host-apt.log"
	fi
	mkdir -p "$cache"
	tmp=$work/debootstrap
	roots+=("$tmp")
	say "debootstrap --variant=minbase bookworm from $mirror (a few minutes; $logs/debootstrap.log)"
	local t0=$SECONDS
	debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
		die "debootstrap failed: see $logs/debootstrap.log"
	chroot "$tmp" apt-get clean
	tar --numeric-owner -C "$tmp" -cpf "$tarball.new" .
	mv "$tarball.new" "$tarball"
	printf 'made %s\nmirror %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$mirror" >"$cache/bookworm-minbase.info"
	rm -rf --one-file-system "$tmp"
	say "debootstrap took $((SECONDS - t0)) s; cached as $tarball ($(du -h "$tarball" | cut -f1))"
}
if [ "$no_cache" = 1 ] || [ ! -s "$tarball" ]; then
	make_cache
else
	say "using the cached debootstrap root $tarball ($(sed -n 's/^made //p' "$cache/bookworm-minbase.info" 2>/dev/null || echo "date unknown"); --no-cache makes it again)"
fi

# ------------------------------------------------------------ making a root
host_ca=()
for f in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$f" ] && host_ca+=("$f")
done

# copy_apt_sources ROOT: the host's sources whose suites are all bookworm,
# bookworm-updates or bookworm-security and whose keyrings the root has
copy_apt_sources() {
	local root=$1 f suites bad keys k copied=0
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		if [[ $f == *.sources ]]; then
			suites=$(sed -n 's/^Suites:[[:space:]]*//p' "$f" | tr -s ' \t' '\n')
			keys=$(sed -n 's/^Signed-By:[[:space:]]*//p' "$f" | grep '^/' || true)
		else
			suites=$(awk '$1 == "deb" || $1 == "deb-src" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				print $(i + 1) }' "$f")
			keys=$(grep -o 'signed-by=[^] ]*' "$f" | cut -d= -f2 || true)
		fi
		[ -n "$suites" ] || continue
		bad=$(grep -vxE 'bookworm|bookworm-updates|bookworm-security|bookworm/updates' <<<"$suites" | sort -u | tr '\n' ' ' || true)
		if [ -n "$bad" ]; then
			say "  apt sources: left out $f (suites $bad)"
			continue
		fi
		for k in $keys; do
			[ -e "$root/$k" ] || { bad="keyring $k is not in the root"; break; }
		done
		if [ -n "$bad" ]; then
			say "  apt sources: left out $f ($bad)"
			continue
		fi
		if [ "$copied" = 0 ]; then
			# debootstrap's own one line would repeat the host's bookworm entry
			rm -f "$root/etc/apt/sources.list"
		fi
		cp "$f" "$root$f"
		copied=$((copied + 1))
	done
	[ "$copied" -gt 0 ] || say "  apt sources: none of the host's fit; the root keeps debootstrap's (bookworm main from $mirror only)"
}

# make_root NAME: a fresh root from the cache, with the clone and the mounts,
# in $work/NAME; sets root_dir (not a $(...) subshell: roots must be noted here)
root_dir=""
make_root() {
	local root=$work/$1 f
	root_dir=$root
	roots+=("$root")
	mkdir -p "$root"
	say "$1: unpacking a pristine minbase root into $root"
	tar --numeric-owner -C "$root" -xpf "$tarball"
	cp /etc/resolv.conf /etc/hosts "$root/etc/"
	copy_apt_sources "$root"
	if [ ${#host_ca[@]} -gt 0 ]; then
		mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl"
		cp "${host_ca[@]}" "$root/usr/local/share/ca-certificates/"
		cat "${host_ca[@]}" >"$root/etc/ssl/fresh-check-host-ca.pem"
	fi
	git clone --quiet --no-hardlinks "$repo" "$root/root/samvydav"
	[ ! -e "$root/root/shared" ] || die "$root/root/shared exists"
	mount -t proc proc "$root/proc"
	mount --bind /sys "$root/sys"
	mount --make-rslave "$root/sys"
	mount --bind /dev "$root/dev"
	mount --make-rslave "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	mount --make-rslave "$root/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
	for f in proc sys dev dev/pts dev/shm; do
		mountpoint -q "$root/$f" || die "$root/$f is not mounted"
	done
}

# the commands' environment: nothing of the host's but what is said here
chroot_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
	"TERM=${TERM:-dumb}" LANG=C.UTF-8)
[ ${#host_ca[@]} -eq 0 ] || chroot_env+=(NODE_EXTRA_CA_CERTS=/etc/ssl/fresh-check-host-ca.pem)
[ "$ci" = 0 ] || chroot_env+=(CI=true)
chroot_env+=(${extra_env[@]+"${extra_env[@]}"})

# stamp T0: each line prefixed with the seconds since T0 ($EPOCHREALTIME)
stamp() {
	local t0=${1//[!0-9]/} line d now
	while IFS= read -r line || [ -n "$line" ]; do
		now=${EPOCHREALTIME//[!0-9]/}
		d=$(((10#$now - 10#$t0) / 100000))
		printf '%6d.%d %s\n' $((d / 10)) $((d % 10)) "$line"
	done
}
# bc_sub A B: A - B for two EPOCHREALTIME values, in seconds with one decimal
# (the decimal mark is the locale's: only the digits count)
bc_sub() {
	local a=${1//[!0-9]/} b=${2//[!0-9]/}
	a=$((10#$a / 100000)) b=$((10#$b / 100000))
	printf '%d.%d' $(((a - b) / 10)) $(((a - b) % 10))
}
# the lines worth showing while a command runs (all with --verbose)
show() {
	local line
	while IFS= read -r line; do
		if [ "$verbose" = 1 ]; then
			printf '  %s\n' "$line" >&2
		else
			case ${line#*[0-9] } in
			setup:* | "== "* | stages:* | run.sh:* | samvydavd:* | "Fetched "* | E:* | "[0-9]* upgraded,"* | *" passed "* | \
				*FAILED* | *"tests passed,"* | *" (Failed)" | *" (Timeout)" | *"***"* | *"Not Run"*)
				printf '  %s\n' "$line" >&2 ;;
			esac
		fi
	done
}
fmt_secs() {
	printf '%d s (%dm%02ds)' "$1" $(($1 / 60)) $(($1 % 60))
}
# the mark that setup.sh ended: a line "@fresh-check setup-exit RC SECONDS"
# shellcheck disable=SC2016 # expanded in the root, not here
setup_mark='printf "\n@fresh-check setup-exit %s %s\n" "$rc" "$((SECONDS - s))"'

summary=()
failed=0

say "fresh-check of $repo at $head$([ "$dirty" = 0 ] || echo " ($dirty changed files in the checkout are NOT in the clone: it is the committed HEAD)")"
say "roots under $work; logs in $logs; mirror $mirror; CI $([ "$ci" = 1 ] && echo true || echo "not set")"
[ ${#host_ca[@]} -eq 0 ] || say "host CA certificates copied into each root: ${host_ca[*]##*/}"

# ------------------------------------------------------------------- step 1
# end_step1 ROOT: a failed step 1 ends its command and what it started, so
# that nothing of it runs on beside step 2
end_step1() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM -- "-$daemon_pid" 2>/dev/null || true
		daemon_pid=""
	fi
	end_procs_in "$1"
	wait "$reader_pid" 2>/dev/null || true
}

step1() {
	local root log t0 t_start now code="" setup_s="" setup_rc="" first="" rc deadline last reader_pid
	local url=http://127.0.0.1:8737/
	if (exec 3<>/dev/tcp/127.0.0.1/8737) 2>/dev/null; then
		say "step 1: port 8737 on 127.0.0.1 is already in use: something listens there; stop it first"
		summary+=("step 1 (setup + run):   FAILED: port 8737 was already in use before the start")
		return 1
	fi
	make_root step1
	root=$root_dir
	log=$logs/step1-setup-run.log
	mkfifo "$work/step1.fifo"
	say "step 1: bash scripts/setup.sh && bash scripts/run.sh (in the background; polling $url, limit $timeout_min min)"
	t_start=$EPOCHREALTIME
	t0=$SECONDS
	stamp "$t_start" <"$work/step1.fifo" | tee "$log" | show &
	reader_pid=$!
	setsid env -i "${chroot_env[@]}" chroot "$root" /bin/bash -c \
		"cd /root/samvydav && s=\$SECONDS; bash scripts/setup.sh; rc=\$?; $setup_mark; [ \$rc -eq 0 ] && exec bash scripts/run.sh" \
		>"$work/step1.fifo" 2>&1 </dev/null &
	daemon_pid=$!
	deadline=$((t0 + timeout_min * 60))
	last=$t0
	while :; do
		code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$url" 2>/dev/null || true)
		if [ "$code" = 200 ]; then
			first=$(bc_sub "$EPOCHREALTIME" "$t_start")
			sleep 0.2 # the log's reader may be a line behind
			grep -q 'readers at http://127.0.0.1:8737/' "$log" && break
			say "step 1: a page answered 200, but the daemon in the root has not said it serves: something else listens on port 8737"
			summary+=("step 1 (setup + run):   FAILED: port 8737 answered before the daemon in the root started (something else listens there)")
			end_step1 "$root"
			return 1
		fi
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			wait "$daemon_pid" && rc=0 || rc=$?
			say "step 1: the command exited ($rc) before a page answered; see $log"
			summary+=("step 1 (setup + run):   FAILED: exited $rc before the first page (log: $log)")
			daemon_pid=""
			return 1
		fi
		now=$SECONDS
		if [ "$now" -ge "$deadline" ]; then
			say "step 1: no page within $timeout_min min; see $log"
			summary+=("step 1 (setup + run):   FAILED: no page within $timeout_min min (log: $log)")
			end_step1 "$root"
			return 1
		fi
		if [ $((now - last)) -ge 30 ]; then
			last=$now
			say "step 1: waiting, $((now - t0)) s; last line: $(tail -n 1 "$log" 2>/dev/null | cut -c1-110)"
		fi
		sleep 0.5
	done
	read -r setup_rc setup_s < <(sed -n 's/^ *[0-9.]* @fresh-check setup-exit //p' "$log") || true
	say "step 1: first page (200) after $first s; setup.sh took ${setup_s:-?} s"
	# the daemon's own report of the page
	curl -s -m 5 "$url" | head -c 300 >"$logs/step1-first-page.html" || true
	say "step 1: stopping the daemon as Ctrl-C would: SIGINT to process group $daemon_pid"
	kill -INT -- "-$daemon_pid"
	local waited=0 stop_rc
	while kill -0 "$daemon_pid" 2>/dev/null && [ $waited -lt 60 ]; do
		sleep 0.5
		waited=$((waited + 1))
	done
	local stopped
	if kill -0 "$daemon_pid" 2>/dev/null; then
		stopped="did NOT exit within 30 s of SIGINT; sent SIGTERM"
		kill -TERM -- "-$daemon_pid" 2>/dev/null || true
		sleep 5
		wait "$daemon_pid" && stop_rc=0 || stop_rc=$?
		stopped+=" (exit $stop_rc)"
		rc=1
	else
		wait "$daemon_pid" && stop_rc=0 || stop_rc=$?
		stopped="exited $stop_rc after SIGINT, in $(awk "BEGIN { print $waited / 2 }") s"
		rc=0
		[ "$stop_rc" = 0 ] || rc=1
	fi
	daemon_pid=""
	if [ -n "$(procs_in "$root")" ]; then
		stopped+="; processes left in the root: $(procs_in "$root" | tr '\n' ' ')"
		rc=1
	fi
	end_procs_in "$root"
	wait "$reader_pid" || true # the log's reader: at its end now that no writer is left
	rm -f "$work/step1.fifo"
	say "step 1: the daemon $stopped"
	local items
	items=$(sed -n 's/.*samvydavd: \([0-9]*\) items.*/\1/p' "$log" | head -n 1)
	summary+=("step 1 (setup + run):   first page after $(fmt_secs "${first%.*}") from the start; setup.sh $(fmt_secs "${setup_s:-0}") (exit $setup_rc); build + seed + daemon start $(fmt_secs $((${first%.*} - ${setup_s:-0})))")
	summary+=("                        ${items:-?} items served; daemon $stopped; log: $log")
	[ "${first%.*}" -lt 240 ] || summary+=("                        over the issue's 4 minutes")
	return "$rc"
}

# ------------------------------------------------------------------- step 2
step2() {
	local root i log t0 rc reader all=0 stages
	make_root step2
	root=$root_dir
	for i in $(seq 1 "$runs"); do
		log=$logs/step2-setup-test-run$i.log
		say "step 2, run $i of $runs: bash scripts/setup.sh && bash scripts/test.sh$([ "$ci" = 1 ] && echo " (CI=true)")"
		t0=$SECONDS
		# the output through a fifo, so that the run's own exit (or its time
		# limit) is waited for, not the last process that holds the output
		rm -f "$work/step2.fifo"
		mkfifo "$work/step2.fifo"
		stamp "$EPOCHREALTIME" <"$work/step2.fifo" | tee "$log" | show &
		reader=$!
		set +e
		timeout -k 30 "${step2_limit}m" env -i "${chroot_env[@]}" chroot "$root" /bin/bash -c \
			"cd /root/samvydav && s=\$SECONDS; bash scripts/setup.sh; rc=\$?; $setup_mark; [ \$rc -eq 0 ] && bash scripts/test.sh" \
			>"$work/step2.fifo" 2>&1 </dev/null
		rc=$?
		set -e
		[ "$rc" != 124 ] || say "step 2, run $i: stopped after its limit of $step2_limit min"
		end_procs_in "$root"
		wait "$reader" || true
		rm -f "$work/step2.fifo"
		local secs=$((SECONDS - t0)) setup_s
		setup_s=$(sed -n 's/^ *[0-9.]* @fresh-check setup-exit [0-9]* //p' "$log")
		stages=$(sed -n '/^ *[0-9.]* == summary$/,$p' "$log" | sed '1d; s/^ *[0-9.]* //')
		say "step 2, run $i: exit $rc after $(fmt_secs "$secs")"
		summary+=("step 2 run $i (setup + test): exit $rc, $(fmt_secs "$secs") (setup.sh ${setup_s:-?} s); log: $log")
		if [ -n "$stages" ]; then
			while IFS= read -r l; do summary+=("    $l"); done <<<"$stages"
		else
			summary+=("    (no summary from test.sh: it did not finish; the log's last line: $(tail -n 1 "$log" | cut -c1-100))")
		fi
		local failing
		failing=$(sed -n 's/^ *[0-9.]* \t *[0-9]* - \(.*\) (\(.*\))$/\1 (\2)/p' "$log" | tr '\n' ' ')
		[ -z "$failing" ] || summary+=("    failing ctest tests, stage by stage: $failing")
		[ "$rc" = 0 ] || all=1
	done
	[ -f "$root/root/samvydav/build/Testing/Temporary/LastTest.log" ] &&
		cp "$root/root/samvydav/build/Testing/Temporary/LastTest.log" "$logs/step2-LastTest-build.log"
	[ -f "$root/root/samvydav/build-sanitize/Testing/Temporary/LastTest.log" ] &&
		cp "$root/root/samvydav/build-sanitize/Testing/Temporary/LastTest.log" "$logs/step2-LastTest-build-sanitize.log"
	return "$all"
}

if [ "$step" != 2 ]; then
	step1 || failed=1
fi
if [ "$step" != 1 ]; then
	step2 || failed=1
fi

# the roots are unmounted by cleanup (on exit); say the figures first
{
	echo
	echo "== fresh-check summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
	echo "commit $head, debootstrap minbase bookworm ($(sed -n 's/^made //p' "$cache/bookworm-minbase.info" 2>/dev/null || echo "cache date unknown")), CI $([ "$ci" = 1 ] && echo true || echo "not set")"
	printf '%s\n' "${summary[@]}"
	echo "result: $([ "$failed" = 0 ] && echo "every step passed" || echo "FAILED")"
} >&2
exit "$failed"
