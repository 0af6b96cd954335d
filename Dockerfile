# The Pantheon image used by devnet/docker-compose.yml (genesis and the four validators).
# Build from the repository root:  docker build -t pantheon .
#
# Two stages: `npm ci` runs in the full node:20-bookworm image because some dependencies
# (bcoin's native helpers) compile with node-gyp and need python3, make and g++; the runtime
# stage is node:20-bookworm-slim with the same Debian release, so the compiled modules load.

FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The CLI runs the TypeScript sources through tsx (see bin/pantheon.js): no build step.
# P2P (libp2p) and HTTP API ports used by the compose devnet.
EXPOSE 27000 28000
ENTRYPOINT ["node", "bin/pantheon.js"]
CMD ["--help"]
