# Shared by the benchmarks that run samvydavd beside stock servers; source
# it after lib.sh. A private copy of samvydavd ($SVDD_BIN), the tools asked
# for with need_tools, the processes this script starts ($pids, stopped on
# exit, with the scratch folder removed after them unless --keep), a free
# port, and a wait for a URL to answer.
SVDD_BIN=${SVDD_BIN:-$here/../../build/daemon/samvydavd}
[ -x "$SVDD_BIN" ] || {
	echo "bench: no samvydavd at $SVDD_BIN (bash scripts/build.sh build, or set SVDD_BIN)" >&2
	exit 1
}
cp "$SVDD_BIN" "$W/samvydavd"
SVDD_BIN=$W/samvydavd

# need_tools [wrk] [nginx]: install what is missing (as root only); sets NGINX
need_tools() {
	local need=() t
	for t in "$@"; do
		case $t in
		wrk) command -v wrk >/dev/null || need+=(wrk) ;;
		nginx)
			NGINX=$(command -v nginx || true)
			[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
			[ -n "$NGINX" ] || need+=(nginx-light)
			;;
		esac
	done
	if [ ${#need[@]} -gt 0 ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "bench: ${need[*]} needed (apt-get install -y ${need[*]})" >&2
			exit 1
		fi
		echo "== apt-get install -y ${need[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >"$W/apt.out" 2>&1 ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]/nginx-light/nginx}" \
				>>"$W/apt.out" 2>&1 || {
			tail -n 20 "$W/apt.out" >&2
			exit 1
		}
		NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	fi
	command -v curl >/dev/null || {
		echo "bench: curl is needed (apt-get install curl)" >&2
		exit 1
	}
}

# Stop whatever this script started, whatever happens. lib.sh's trap removes
# the scratch folder; keep it, after ours.
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
if [ -n "$keep" ]; then
	trap stop_all EXIT
else
	trap 'stop_all; rm -rf "$W"' EXIT
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_svdd ARCHIVE: samvydavd serving ARCHIVE on a free port of 127.0.0.1,
# its configuration and log in $W; sets svdd_url and svdd_pid (on $pids too)
start_svdd() {
	local port
	port=$(free_port)
	cat >"$W/samvydavd.conf" <<EOF
[archive]
path = $1
[http]
listen = 127.0.0.1:$port
[log]
level = warn
EOF
	"$SVDD_BIN" -c "$W/samvydavd.conf" >"$W/samvydavd.log" 2>&1 &
	svdd_pid=$!
	pids+=("$svdd_pid")
	svdd_url=http://127.0.0.1:$port
}

# wait_http URL [SECONDS]: until it answers 200, at most SECONDS (default 60:
# the first pages are made; a big archive's first build takes longer)
wait_http() {
	local i
	for i in $(seq 1 $((${2:-60} * 10))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
		sleep 0.1
	done
	echo "bench: $1 does not answer" >&2
	exit 1
}
