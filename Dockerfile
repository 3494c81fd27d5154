# dondoc: one image, every role (ROLES selects). TypeScript runs through tsx (a runtime dependency):
# no build step to drift from the sources the tests ran.
#
# Node 24 (Active LTS, supported until April 2028): package.json's engines ask for ^22.13 or >= 24
# (cookie, content-disposition, ical-generator and @prisma/streams-local need Node 22); Node 20 is
# past its end of life. Another LTS: docker build --build-arg NODE_IMAGE=node:22-bookworm-slim .
ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Production dependencies only, exactly as locked.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# 2. The Prisma client, generated from the schema (no engines: the pg driver adapter).
FROM deps AS build
COPY prisma ./prisma
COPY src/setup ./src/setup
RUN node src/setup/ensure.mjs --generate-only

# 3. The image: the sources, the dependencies and the client; run as `node`, not root.
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    STORAGE_DIR=/app/storage \
    PORT=3000
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY prisma ./prisma
COPY templates ./templates
COPY jobs ./jobs
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
# Evidence files: the only directory the program writes. Owned by `node` in the image, so that a
# new named volume mounted here (compose's `storage`) starts with the same owner.
RUN mkdir -p /app/storage && chown node:node /app/storage
USER node
EXPOSE 3000
# Liveness (/healthz: the process answers). Readiness, PostgreSQL and Redis reachable, is /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "src/setup/healthcheck.mjs"]
# SIGTERM: intake stops, workers finish, connections close (src/main.ts gives it 30 s at most).
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
