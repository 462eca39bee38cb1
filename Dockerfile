# syntax=docker/dockerfile:1
# mizzen's image: `mizzen serve` by default, and the istio-init image too (it carries iptables).
#   make image            (docker build -t ghcr.io/mizzen-mesh/mizzen:0.1.0 .)
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: install every dependency, compile, then drop the dev ones ---------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime: node + iptables + iproute2, non-root by default -----------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iptables iproute2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
# The control plane runs as this uid (the Deployment says so too). The istio-init container
# runs the same image as root with NET_ADMIN and NET_RAW only: `mizzen iptables ...`.
USER 10001:10001
EXPOSE 15017 15010 15012 15014
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["serve"]
