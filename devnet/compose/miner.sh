#!/usr/bin/env bash
# The `miner` service of devnet/docker-compose.yml: funds validator 0's anchor wallet with
# regtest coinbases, then mines one block every BLOCK_SECONDS so anchors confirm.
#
# The anchor address is read from validator 0's node.json (field anchorAddress), which the node
# writes once it has connected to bitcoind and detected the network (bcrt1... on bitcoind regtest).
# Coinbase outputs mature after 100 blocks; 510 also matches the embedded devnet (devnet/devnet.ts).
#
# Environment: BITCOIN_RPC_HOST, BITCOIN_RPC_PORT, BITCOIN_RPC_USER, BITCOIN_RPC_PASSWORD,
#   ANCHOR_NODE_JSON (validator 0's node.json), FUNDING_BLOCKS (default 510), BLOCK_SECONDS (default 5)
set -euo pipefail

node_json="${ANCHOR_NODE_JSON:?ANCHOR_NODE_JSON is required}"
funding_blocks="${FUNDING_BLOCKS:-510}"
block_seconds="${BLOCK_SECONDS:-5}"

cli() {
  bitcoin-cli -regtest -rpcwait \
    -rpcconnect="${BITCOIN_RPC_HOST:?}" -rpcport="${BITCOIN_RPC_PORT:?}" \
    -rpcuser="${BITCOIN_RPC_USER:?}" -rpcpassword="${BITCOIN_RPC_PASSWORD:?}" "$@"
}

address=""
until [ -n "$address" ]; do
  if [ -f "$node_json" ]; then
    address="$(sed -n 's/^ *"anchorAddress": *"\([^"]*\)".*$/\1/p' "$node_json")"
  fi
  [ -n "$address" ] || { echo "miner: waiting for anchorAddress in $node_json"; sleep 2; }
done
echo "miner: anchor address $address"

height="$(cli getblockcount)"
if [ "$height" -lt "$funding_blocks" ]; then
  echo "miner: mining $((funding_blocks - height)) blocks to fund the anchor wallet"
  cli generatetoaddress "$((funding_blocks - height))" "$address" >/dev/null
fi

echo "miner: mining one block every ${block_seconds}s"
while true; do
  sleep "$block_seconds"
  cli generatetoaddress 1 "$address" >/dev/null || echo "miner: generatetoaddress failed; retrying" >&2
done
