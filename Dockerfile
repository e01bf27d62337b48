# syntax=docker/dockerfile:1
# repo-monitor: one image for every role (ROLE=api|scheduler|all) and for the demo's
# fake GitHub. Node runs the TypeScript sources directly (type stripping), so there is
# no build step: the image is the production dependencies plus the sources.
#
#   export VERSION=$(git rev-parse --short HEAD)
#   docker build --build-arg VERSION=$VERSION -t repo-monitor:$VERSION .

# The Node major the repository pins (package.json devDependency "node"), active LTS.
ARG NODE_IMAGE=node:26-alpine

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Exactly the locked production dependencies: no compiler, test tools or Node binary
# from devDependencies.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
# tini as PID 1 forwards SIGTERM to node (graceful shutdown: stop accepting, finish
# in-flight requests, close the database) and reaps zombies.
RUN apk add --no-cache tini
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000
COPY --from=deps /app/node_modules ./node_modules
# Sources stay owned by root: the process can read its code, not rewrite it.
COPY package.json ./
COPY lib ./lib
COPY functions ./functions
COPY runtime ./runtime
COPY tools/fake-github ./tools/fake-github
# The version app_build_info reports (and the dashboards' deploy annotations follow), given
# at build time; declared after the sources so a new version reuses every layer above.
ARG VERSION=unknown
ENV APP_VERSION=${VERSION}
# The unprivileged user the official image provides (uid 1000).
USER node
# 3000: the API; 9464: METRICS_PORT in the stack (/metrics and /healthz, not published).
EXPOSE 3000 9464
# /healthz answers on METRICS_PORT when it is set (both roles), else on PORT. Node's own
# fetch, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.METRICS_PORT || process.env.PORT || 3000}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "runtime/main.ts"]
