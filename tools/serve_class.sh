#!/usr/bin/env bash
# Serve a whole class: N Streamlit replicas of app.py behind nginx, with sticky sessions.
#
#     tools/serve_class.sh N [PORT]      # then open http://127.0.0.1:PORT (8501 by default)
#
# Starts N `streamlit run app.py --server.headless true` processes on loopback ports
# PORT+1 .. PORT+N (CLASS_REPLICA_PORT sets the first), waits until each answers
# /_stcore/health, writes an nginx config from tools/nginx-class.conf into a temporary directory
# and runs nginx in the foreground as a child (Debian's package: apt-get install -y nginx; no
# systemd, root or not). Each browser sticks to one replica by a cookie nginx sets
# (tools/nginx-class.conf says why). Ctrl-C, SIGTERM or any child's exit stops every child by
# its PID and removes the directory.
#
# Everything listens on 127.0.0.1 only. To serve other machines, set CLASS_BIND for the proxy
# (e.g. CLASS_BIND=0.0.0.0); the replicas stay on loopback behind it.
#
# Once serving, one line on stdout says so, for scripts (tools/load_test.py reads it):
#     serve_class: ready http://127.0.0.1:8501 replicas=PID,PID nginx=PID ports=8502,8503
# Environment: CLASS_BIND (127.0.0.1), CLASS_REPLICA_PORT (PORT+1), PYTHON (python3),
# CLASS_START_TIMEOUT (seconds for the replicas to start, 90), STREAMLIT_SERVER_COOKIE_SECRET
# (shared by the replicas; random by default). Replica and nginx logs: CLASS_LOG_DIR (kept), or
# the temporary directory (removed on exit).
set -euo pipefail

usage() {
    echo "usage: $0 N [PORT]   (N replicas, 1 to 16; PORT of the proxy, 8501 by default)" >&2
    exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
N=$1
PORT=${2:-8501}
[[ $N =~ ^[0-9]+$ ]] && ((N >= 1 && N <= 16)) || usage
[[ $PORT =~ ^[0-9]+$ ]] && ((PORT >= 1 && PORT <= 65535)) || usage
FIRST=${CLASS_REPLICA_PORT:-$((PORT + 1))}
[[ $FIRST =~ ^[0-9]+$ ]] && ((FIRST >= 1 && FIRST + N - 1 <= 65535)) || usage
BIND=${CLASS_BIND:-127.0.0.1}
PYTHON=${PYTHON:-python3}
START_TIMEOUT=${CLASS_START_TIMEOUT:-90}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
COOKIE=adagrad_replica

command -v nginx >/dev/null || {
    echo "serve_class: nginx not found (apt-get install -y nginx)" >&2
    exit 1
}

RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/serve-class.XXXXXX")
# nginx's workers run as "nobody" when the master is root: they must reach their temp folders.
chmod 711 "$RUNDIR"
LOGDIR=${CLASS_LOG_DIR:-$RUNDIR}
mkdir -p "$LOGDIR"
PIDS=()
REPLICA_PIDS=()
NGINX_PID=

cleanup() {
    trap - EXIT INT TERM
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do # up to 10 s for a clean stop
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$RUNDIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One cookie secret for all replicas, so anything Streamlit signs reads the same on each.
if [[ -z ${STREAMLIT_SERVER_COOKIE_SECRET:-} ]]; then
    STREAMLIT_SERVER_COOKIE_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
    export STREAMLIT_SERVER_COOKIE_SECRET
fi

PORTS=()
for ((i = 0; i < N; i++)); do
    port=$((FIRST + i))
    PORTS+=("$port")
    (cd "$ROOT" && exec "$PYTHON" -m streamlit run app.py --server.headless true \
        --server.address 127.0.0.1 --server.port "$port" --browser.gatherUsageStats false \
        >"$LOGDIR/replica-$((i + 1)).log" 2>&1) &
    PIDS+=($!)
    REPLICA_PIDS+=($!)
done

healthy() { curl --noproxy '*' -fsS -o /dev/null --max-time 2 "$1/_stcore/health" 2>/dev/null; }

# wait_healthy URL PID WHAT LOG: until URL answers its health check; exits if PID (WHAT, which
# logs to LOG) has exited, or once START_TIMEOUT has passed since the start.
deadline=$((SECONDS + START_TIMEOUT))
wait_healthy() {
    until healthy "$1"; do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "serve_class: $3 exited:" >&2
            tail -n 20 "$4" >&2
            exit 1
        fi
        if ((SECONDS > deadline)); then
            echo "serve_class: $3 did not answer $1 within $START_TIMEOUT s" >&2
            exit 1
        fi
        sleep 0.1
    done
}

for ((i = 0; i < N; i++)); do
    wait_healthy "http://127.0.0.1:${PORTS[i]}" "${REPLICA_PIDS[i]}" \
        "replica $((i + 1)) (port ${PORTS[i]})" "$LOGDIR/replica-$((i + 1)).log"
done

# Streamlit's static bundles, for nginx to serve itself (readable by its workers, which run as
# "nobody" under root: the site-packages folder may sit in an unreadable home), gzipped once.
STATIC=$("$PYTHON" -c 'import os, streamlit; print(os.path.dirname(streamlit.__file__))')/static/static
mkdir -p "$RUNDIR/www"
cp -rp "$STATIC" "$RUNDIR/www/static"
find "$RUNDIR/www/static" -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' \) \
    -size +1k -print0 | xargs -0 -r gzip -k -6
chmod -R a+rX "$RUNDIR/www"

servers=""
for port in "${PORTS[@]}"; do servers+="        server 127.0.0.1:$port max_fails=0;"$'\n'; done
servers=${servers%$'\n'}
conf=$RUNDIR/nginx.conf
while IFS= read -r line; do
    line=${line//@RUNDIR@/$RUNDIR}
    line=${line//@LOGDIR@/$LOGDIR}
    line=${line//@BIND@/$BIND}
    line=${line//@PORT@/$PORT}
    line=${line//@COOKIE@/$COOKIE}
    if [[ $line == "@UPSTREAM_SERVERS@" ]]; then line=$servers; fi
    printf '%s\n' "$line"
done <"$ROOT/tools/nginx-class.conf" >"$conf"

# -e: the log for errors before the config is read (else /var/log/nginx, or stderr here).
nginx -q -t -p "$RUNDIR/" -e "$LOGDIR/error.log" -c "$conf"
nginx -p "$RUNDIR/" -e "$LOGDIR/error.log" -c "$conf" -g "daemon off;" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

URL="http://127.0.0.1:$PORT"
[[ $BIND == 127.0.0.1 || $BIND == localhost ]] || URL="http://$BIND:$PORT"
# the proxy answers on loopback unless it is bound to one other address only
PROBE="http://127.0.0.1:$PORT"
[[ $BIND == 0.0.0.0 || $BIND == 127.0.0.1 || $BIND == localhost ]] || PROBE=$URL
wait_healthy "$PROBE" "$NGINX_PID" "nginx" "$LOGDIR/error.log"

echo "serve_class: ready $URL replicas=$(IFS=,; echo "${REPLICA_PIDS[*]}") nginx=$NGINX_PID" \
    "ports=$(IFS=,; echo "${PORTS[*]}")"
echo "serve_class: $N replicas behind nginx; logs in $LOGDIR; Ctrl-C stops them all" >&2

# Serve until a signal, or until any child exits (then stop the others: a half class is a bug).
set +e
wait -n "${PIDS[@]}"
code=$?
echo "serve_class: a child exited (status $code); stopping the others" >&2
exit 1
