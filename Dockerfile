# The Pantheon image used by devnet/docker-compose.yml (genesis and the four validators).
# Build from the repository root:  docker build -t pantheon .
#
# Node.js 22, the project's one runtime (package.json engines). Two stages: `npm ci` and the
# build run in the full node:22-bookworm image because some dependencies (bcoin's native
# helpers) compile with node-gyp and need python3, make and g++; the runtime stage is
# node:22-bookworm-slim with the same Debian release, so the compiled modules load.

FROM node:22-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` build needs the sources, which are not copied yet; dependency
# install scripts are then run explicitly by `npm rebuild`.
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY . .
# The compiled CLI in dist/ (bin/pantheon.js refuses to run without it), after the sources.
RUN npm run build

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY . .
# P2P (libp2p) and HTTP API ports used by the compose devnet.
EXPOSE 27000 28000
ENTRYPOINT ["node", "bin/pantheon.js"]
CMD ["--help"]
