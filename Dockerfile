# The token service, for docker compose (see docker-compose.yaml).
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# Dev dependencies are only for tests and codegen. --ignore-scripts then rebuild: the
# dependencies' install scripts run, our own `prepare` (the build) waits for the sources.
# npm install (not ci) for the same reason as .ci/run: the lockfile may lack other
# platforms' optional binaries; the locked versions are installed all the same.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild && npm cache clean --force

COPY build.js ./
COPY server ./server
COPY schema ./schema
COPY clients ./clients
COPY cli ./cli
# The JavaScript the server runs (esbuild, a production dependency).
RUN node build.js

USER node
EXPOSE 3003
# Node itself as PID 1, no npm or shell between: SIGTERM from `docker stop` reaches
# the server, which finishes the requests under way before it exits.
CMD ["node", "dist/server/main.js"]
