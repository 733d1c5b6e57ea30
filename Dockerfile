# The token service, for docker compose (see docker-compose.yaml).
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
# Dev dependencies are only for tests and codegen; the server runs TypeScript through tsx.
RUN npm ci --omit=dev && npm cache clean --force

COPY server ./server
COPY schema ./schema
COPY clients ./clients
COPY cli ./cli
COPY tsconfig.json ./

USER node
EXPOSE 3003
CMD ["npm", "start"]
