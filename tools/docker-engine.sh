#!/usr/bin/env bash
# A Docker engine for the docker sandbox backend, on a machine where none runs.
#
#   eval "$(bash tools/docker-engine.sh start)"   # then DOCKER_HOST points at an engine
#   bash tools/docker-engine.sh stop               # stops only an engine `start` started
#
# start: when a daemon already answers (at $DOCKER_HOST or the default socket) it is
# used as it is and nothing is started. Otherwise, as root: installs Debian's docker.io
# when dockerd is missing, and starts dockerd in the background (no systemd) on a socket
# of its own, so nothing else on the machine starts talking to it:
#   socket      /run/supabase-sync-docker/docker.sock
#   data        /var/lib/supabase-sync-docker (kept, so built images are reused)
#   network     --bip $SUPABASE_SYNC_DOCKER_BIP (default 10.213.37.1/24), --iptables=false,
#               --ip-forward=false: containers get no route out; published ports reach
#               them through docker's userland proxy on 127.0.0.1
#   storage     --storage-driver=vfs (works on any file system, also inside a container)
# It waits until the engine answers (60 s), then prints the `export DOCKER_HOST=...`
# line for the caller to eval. Progress and errors go to stderr; exit 1 when no engine
# can be had, saying why.
set -euo pipefail

run_dir=/run/supabase-sync-docker
data_dir=/var/lib/supabase-sync-docker
socket="unix://$run_dir/docker.sock"
pidfile="$run_dir/dockerd.pid"
bip="${SUPABASE_SYNC_DOCKER_BIP:-10.213.37.1/24}"

say() { echo "docker-engine: $*" >&2; }

answers() {  # $1: a DOCKER_HOST value, or empty for the default
    DOCKER_HOST="$1" timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start() {
    if command -v docker >/dev/null && answers "${DOCKER_HOST:-}"; then
        say "using the engine that already answers at ${DOCKER_HOST:-the default socket}"
        return 0
    fi
    if [ -S "$run_dir/docker.sock" ] && answers "$socket"; then
        say "using the engine started earlier at $socket"
        echo "export DOCKER_HOST=$socket"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        say "no engine answers and starting one needs root"
        return 1
    fi
    if ! command -v dockerd >/dev/null; then
        say "installing docker.io"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io; } \
            >/dev/null || { say "could not install docker.io with apt-get"; return 1; }
    fi
    mkdir -p "$run_dir" "$data_dir"
    if ip link show docker0 >/dev/null 2>&1; then : >"$run_dir/bridge-existed"; else rm -f "$run_dir/bridge-existed"; fi
    say "starting dockerd (socket $socket, data $data_dir, bridge $bip)"
    # setsid: a Ctrl-C meant for the caller must not reach the daemon before `stop` does.
    setsid dockerd \
        --host "$socket" --pidfile "$pidfile" \
        --data-root "$data_dir" --exec-root "$run_dir/exec" \
        --storage-driver=vfs --iptables=false --ip-forward=false --bip="$bip" \
        </dev/null >"$run_dir/dockerd.log" 2>&1 &
    local daemon=$! waited=0
    until answers "$socket"; do
        if [ "$waited" -ge 60 ] || ! kill -0 "$daemon" 2>/dev/null; then
            say "dockerd did not answer within ${waited} s; its log ends with:"
            tail -n 15 "$run_dir/dockerd.log" >&2
            kill "$daemon" 2>/dev/null || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "dockerd answers after ${waited} s"
    echo "export DOCKER_HOST=$socket"
}

stop() {
    if [ ! -s "$pidfile" ]; then
        say "no engine started by this script is running"
        return 0
    fi
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        # Sandbox containers are throwaway: remove them rather than wait for each to stop.
        DOCKER_HOST="$socket" docker ps -q --filter label=org.supabase-sync.sandbox.run \
            | xargs -r env DOCKER_HOST="$socket" docker rm -f >/dev/null 2>&1 || true
        kill "$pid"
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
            sleep 1
            waited=$((waited + 1))
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
    if [ ! -e "$run_dir/bridge-existed" ] && ip link show docker0 >/dev/null 2>&1; then
        ip link delete docker0 || true
    fi
    say "stopped dockerd (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: bash tools/docker-engine.sh start|stop" >&2; exit 2 ;;
esac
