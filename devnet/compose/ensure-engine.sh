#!/usr/bin/env bash
# Makes a Docker engine and a compose tool usable, for the compose devnet test
# (test/compose/devnet-docker.test.ts, `npm run test:compose`) on a fresh Debian machine:
#   - no `docker`/`dockerd`: installs Debian's docker.io (engine 20.10);
#   - no engine answering: starts `dockerd` in the background (log: $DOCKERD_LOG, default
#     /var/log/pantheon-dockerd.log; pid in /run/pantheon-dockerd.pid) and waits for it;
#   - no `docker compose` (v2) and no `docker-compose`: installs Debian's docker-compose (1.29;
#     Compose v2 is not packaged for Debian 12).
# An engine that already answers is used as it is. Installing and starting need root.
# Prints on stdout the compose command to use ("docker compose" or "docker-compose").
set -euo pipefail
say() { echo "ensure-engine: $*" >&2; }

updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    say "need root to install $*; install it, or run as root"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ "$updated" = 0 ]; then apt-get update -qq >&2; updated=1; fi
  say "installing $* (apt-get)"
  apt-get install -y -qq "$@" >/dev/null
}

if { ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; } && ! docker info >/dev/null 2>&1; then
  apt_install docker.io
fi

if docker info >/dev/null 2>&1; then
  say "engine answering: $(docker version -f 'server {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null)"
else
  if [ "$(id -u)" != 0 ]; then
    say "no Docker engine answers and starting dockerd needs root"
    exit 1
  fi
  log="${DOCKERD_LOG:-/var/log/pantheon-dockerd.log}"
  say "no engine answering: starting dockerd (log $log)"
  nohup dockerd >"$log" 2>&1 &
  echo $! >/run/pantheon-dockerd.pid
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    if ! kill -0 "$(cat /run/pantheon-dockerd.pid)" 2>/dev/null; then
      say "dockerd exited; the end of $log:"
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 1
  done
  docker info >/dev/null 2>&1 || { say "dockerd did not answer within 60 s; see $log"; exit 1; }
  say "engine started: $(docker version -f 'server {{.Server.Version}}' 2>/dev/null), storage $(docker info -f '{{.Driver}}')"
fi

if docker compose version >/dev/null 2>&1; then
  say "compose: $(docker compose version --short 2>/dev/null || docker compose version)"
  echo "docker compose"
else
  command -v docker-compose >/dev/null || apt_install docker-compose
  say "compose: $(docker-compose version --short 2>/dev/null) (Compose v1; no \`docker compose\` plugin here)"
  echo "docker-compose"
fi
