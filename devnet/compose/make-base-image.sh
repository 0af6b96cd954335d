#!/usr/bin/env bash
# Makes the base images the Dockerfile builds on, for machines that cannot pull them.
#
# The Dockerfile builds on node:22-bookworm (build stage: npm ci compiles bcoin's native
# helper mrmr with node-gyp, so it needs python3, make and g++) and node:22-bookworm-slim
# (runtime). Where Docker Hub answers, this script pulls nothing and changes nothing: it prints
# the upstream names. Where it does not (our CI machines), it makes local stand-ins with the
# same contents that matter, and says so on stderr:
#   pantheon-base:node22-bookworm-slim  debootstrap --variant=minbase bookworm from the machine's
#                                        own Debian mirror + the machine's Node 22 binary + npm
#                                        and its headers + npm + the machine's CA bundle (npm
#                                        inside a container reaches the registry only with it;
#                                        node-gyp finds the headers by npm_config_nodedir, since
#                                        nodejs.org is not reachable either)
#   pantheon-base:node22-bookworm       the same + python3, make, g++ (for node-gyp)
#
# stdout is exactly two lines for the environment of `docker compose` (or `docker build
# --build-arg`), e.g.  env $(bash devnet/compose/make-base-image.sh) docker compose ... up
#   PANTHEON_BUILD_IMAGE=<image>
#   PANTHEON_BASE_IMAGE=<image>
# Progress goes to stderr. Run as root (debootstrap). Existing stand-ins made with the same Node
# version are reused; FORCE=1 remakes them.
set -euo pipefail
cd "$(dirname "$0")/../.."

UPSTREAM_BUILD=node:22-bookworm
UPSTREAM_BASE=node:22-bookworm-slim
LOCAL_BASE=pantheon-base:node22-bookworm-slim
LOCAL_BUILD=pantheon-base:node22-bookworm
SUITE=bookworm
say() { echo "make-base-image: $*" >&2; }

if docker image inspect "$UPSTREAM_BUILD" "$UPSTREAM_BASE" >/dev/null 2>&1 ||
  { docker pull -q "$UPSTREAM_BUILD" >&2 && docker pull -q "$UPSTREAM_BASE" >&2; }; then
  say "upstream $UPSTREAM_BUILD and $UPSTREAM_BASE are available; no stand-in needed"
  printf 'PANTHEON_BUILD_IMAGE=%s\nPANTHEON_BASE_IMAGE=%s\n' "$UPSTREAM_BUILD" "$UPSTREAM_BASE"
  exit 0
fi
say "cannot pull $UPSTREAM_BUILD / $UPSTREAM_BASE (no Docker Hub here): using local stand-ins $LOCAL_BUILD and $LOCAL_BASE"

# The Node binary the image carries: the one on PATH, which must be the project's major version.
node_bin="$(command -v node)"
node_version="$(node -p process.version)"
wanted_major="$(node -p 'require("./package.json").engines.node.match(/\d+/)[0]' 2>/dev/null || echo 22)"
if [ "${node_version#v}" = "${node_version#v"$wanted_major".}" ]; then
  say "node on PATH is $node_version, but the image must carry Node $wanted_major (package.json engines)."
  say "put Node $wanted_major first on PATH, e.g. export PATH=\"\$PWD/.ci/node22/node_modules/node/bin:\$PATH\""
  exit 1
fi
# The Node headers, for node-gyp: the image cannot download them from nodejs.org (not
# reachable here), so they are copied next to the binary and npm_config_nodedir names them.
# Official tarballs have them in <prefix>/include/node; the npm package `node` in
# node_modules/node-linux-<arch>/include/node.
node_headers="$(node -e '
  const { dirname, join } = require("node:path");
  const fs = require("node:fs");
  const prefix = dirname(dirname(process.execPath));
  const nested = join(prefix, "node_modules");
  const candidates = [join(prefix, "include/node"), "/usr/local/include/node", "/usr/include/node"];
  if (fs.existsSync(nested)) for (const d of fs.readdirSync(nested)) if (d.startsWith("node-")) candidates.push(join(nested, d, "include/node"));
  const major = process.versions.node.split(".")[0];
  const hit = candidates.find((c) => { try { return new RegExp(`#define NODE_MAJOR_VERSION ${major}\\b`).test(fs.readFileSync(join(c, "node_version.h"), "utf8")); } catch { return false; } });
  if (hit) console.log(hit);
')"
[ -n "$node_headers" ] || { say "cannot find the headers of $node_version (include/node beside $node_bin); node-gyp needs them"; exit 1; }
# npm is not part of the `node` npm package: take the npm that runs here.
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
[ -f "$npm_dir/bin/npm-cli.js" ] || { say "cannot find npm's package directory (looked at $npm_dir)"; exit 1; }
npm_version="$(node "$npm_dir/bin/npm-cli.js" --version)"
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca_bundle" ] || { say "no CA bundle at $ca_bundle"; exit 1; }
label="node=$node_version npm=$npm_version suite=$SUITE headers=1"

existing="$(docker image inspect -f '{{ index .Config.Labels "org.pantheon.base" }}' "$LOCAL_BUILD" 2>/dev/null || true)"
if [ "${FORCE:-0}" != 1 ] && [ "$existing" = "$label" ] && docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then
  say "reusing $LOCAL_BUILD and $LOCAL_BASE ($label)"
  printf 'PANTHEON_BUILD_IMAGE=%s\nPANTHEON_BASE_IMAGE=%s\n' "$LOCAL_BUILD" "$LOCAL_BASE"
  exit 0
fi

[ "$(id -u)" = 0 ] || { say "debootstrap needs root"; exit 1; }
# The images these names point at now, removed once replaced (they would stay as <none>).
replaced="$(docker image inspect -f '{{.Id}}' "$LOCAL_BUILD" "$LOCAL_BASE" 2>/dev/null || true)"
command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; }

# The machine's own Debian mirror (deb822 .sources or one-line .list), else deb.debian.org.
mirror="$(grep -hsE '^(URIs:|deb) ' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list |
  grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

rootfs="$(mktemp -d /tmp/pantheon-base-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
started=$SECONDS
say "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >/tmp/pantheon-debootstrap.log 2>&1 ||
  { say "debootstrap failed; see /tmp/pantheon-debootstrap.log"; tail -n 20 /tmp/pantheon-debootstrap.log >&2; exit 1; }
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/include"
cp -a "$node_headers" "$rootfs/usr/local/include/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
install -D -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
# What an image does not need: package lists, caches, documentation.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
say "importing $LOCAL_BASE"
tar -C "$rootfs" -c . | docker import \
  --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" \
  --change "ENV npm_config_nodedir=/usr/local" \
  --change "LABEL org.pantheon.base=\"$label\"" \
  --change 'CMD ["node"]' \
  - "$LOCAL_BASE" >/dev/null
rm -rf "$rootfs"
trap - EXIT

say "building $LOCAL_BUILD (+ python3 make g++ for node-gyp)"
docker build -q -t "$LOCAL_BUILD" --label "org.pantheon.base=$label" - >&2 <<EOF
FROM $LOCAL_BASE
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
EOF
for id in $replaced; do docker rmi "$id" >/dev/null 2>&1 || true; done
say "made $LOCAL_BASE and $LOCAL_BUILD ($label) in $((SECONDS - started))s"
printf 'PANTHEON_BUILD_IMAGE=%s\nPANTHEON_BASE_IMAGE=%s\n' "$LOCAL_BUILD" "$LOCAL_BASE"
