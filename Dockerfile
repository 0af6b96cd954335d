# The Pantheon image used by devnet/docker-compose.yml (genesis, the four validators, the miner).
# Build from the repository root:  docker build -t pantheon .
#
# Node.js 22, the project's one runtime (package.json engines). Two stages: `npm ci` and the
# build run in the full node:22-bookworm image because bcoin's native helper mrmr compiles
# with node-gyp and needs python3, make and g++; the runtime stage is node:22-bookworm-slim
# with the same Debian release, so the compiled modules load.
#
# Both base images are build arguments. Where Docker Hub cannot be reached,
# devnet/compose/make-base-image.sh makes local stand-ins (debootstrap bookworm + Node 22 +
# the machine's CA bundle) and prints the two values to pass:
#   docker build --build-arg BUILD_IMAGE=pantheon-base:node22-bookworm \
#                --build-arg BASE_IMAGE=pantheon-base:node22-bookworm-slim -t pantheon .
ARG BUILD_IMAGE=node:22-bookworm
ARG BASE_IMAGE=node:22-bookworm-slim

FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build needs the sources, which are not copied yet; dependency
# install scripts are then run explicitly by `npm rebuild`.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY . .
# The compiled CLI in dist/ (bin/pantheon.js refuses to run without it), after the sources.
RUN npm run build

# Target `bcoin`: a regtest Bitcoin node for machines without Bitcoin Core's image (the compose
# file's bcoin variant, devnet/docker-compose.bcoin.yml). bcoin is an independent full-node
# implementation of Bitcoin (a devDependency, the same one the tests run when no bitcoind is
# installed) and serves bitcoind's JSON-RPC; anchor/node/bcoin-process.ts starts it. Its layers are
# the runtime stage's, so it costs almost no extra disk.
FROM ${BASE_IMAGE} AS bcoin
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
LABEL org.opencontainers.image.title="pantheon-bcoin" \
      org.opencontainers.image.description="bcoin (not Bitcoin Core) in regtest, serving bitcoind's JSON-RPC with a cookie file"
EXPOSE 18443
ENTRYPOINT ["node", "dist/anchor/node/bcoin-process.js"]
CMD ["--datadir", "/home/bitcoin/.bitcoin", "--rpchost", "0.0.0.0", "--rpcport", "18443", "--cookiefile", "/home/bitcoin/.bitcoin/regtest/.cookie"]

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY . .
# P2P (libp2p) and HTTP API ports used by the compose devnet.
EXPOSE 27000 28000
ENTRYPOINT ["node", "bin/pantheon.js"]
CMD ["--help"]
