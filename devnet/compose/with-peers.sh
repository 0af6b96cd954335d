#!/usr/bin/env bash
# Entrypoint of the validator services in devnet/docker-compose.yml: runs the command it is
# given (`node bin/pantheon.js node ...`) with one `--peer` flag per other validator.
#
# A libp2p bootstrap address must end in /p2p/<peer id>, and a node's peer id only exists once
# it has started (it is kept in <data>/peer-key and written to <data>/node.json). Every
# validator's data directory is <shared volume>/<service name>, so this script reads the other
# validators' node.json from the shared volume and rewrites the address they recorded
# (/ip4/<container ip or 127.0.0.1>/tcp/<port>/p2p/<id>) to /dns4/<service name>/tcp/<port>/p2p/<id>,
# which Docker's DNS resolves on the compose network and which survives container IP changes.
#
# Environment:
#   PEERS_BEFORE  services started before this one (compose depends_on): wait for their node.json
#   PEERS_AFTER   services started after this one: dialled only if an earlier run left their
#                 node.json (the peer id and port never change, so an old node.json is still right)
#   PANTHEON_SHARED     the shared volume (default /devnet)
#   PEER_WAIT_SECONDS   how long to wait for a PEERS_BEFORE node.json (default 180)
set -euo pipefail

shared="${PANTHEON_SHARED:-/devnet}"
wait_seconds="${PEER_WAIT_SECONDS:-180}"

if [ "$#" -eq 0 ]; then
  echo "with-peers.sh: no command given" >&2
  exit 2
fi

# Prints /dns4/<service>/tcp/<port>/p2p/<peer id> for a service, or fails if its node.json is
# missing or has no TCP address yet.
peer_address() {
  local service="$1"
  local file="$shared/$service/node.json"
  [ -f "$file" ] || return 1
  node -e '
    const [file, service] = process.argv.slice(1);
    const info = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const tcp = (info.addresses || [])
      .map((a) => /^\/(?:ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/(\d+)\/p2p\/([^/]+)$/.exec(a))
      .find((m) => m && m[2] === info.peerId);
    if (!tcp) process.exit(1);
    process.stdout.write(`/dns4/${service}/tcp/${tcp[1]}/p2p/${tcp[2]}`);
  ' "$file" "$service"
}

peer_args=()
for service in ${PEERS_BEFORE:-}; do
  deadline=$((SECONDS + wait_seconds))
  until address="$(peer_address "$service")"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "with-peers.sh: no usable $shared/$service/node.json after ${wait_seconds}s; is $service running?" >&2
      exit 1
    fi
    sleep 1
  done
  peer_args+=(--peer "$address")
done
for service in ${PEERS_AFTER:-}; do
  if address="$(peer_address "$service")"; then
    peer_args+=(--peer "$address")
  fi
done

echo "with-peers.sh: starting with ${#peer_args[@]} peer flag(s): ${peer_args[*]:-none}" >&2
# exec: the node becomes PID 1 and receives docker's SIGTERM itself, so it stops cleanly.
exec "$@" "${peer_args[@]}"
