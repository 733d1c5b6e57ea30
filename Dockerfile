# The token service, for docker compose (see docker-compose.yaml).
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# Dev dependencies are only for tests and codegen; the server runs TypeScript through tsx.
# npm install (not ci) for the same reason as .ci/run: the lockfile may lack other
# platforms' optional binaries; the locked versions are installed all the same.
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY server ./server
COPY schema ./schema
COPY clients ./clients
COPY cli ./cli
COPY tsconfig.json ./

USER node
EXPOSE 3003
CMD ["npm", "start"]
