# The Dynamic Executor image: the worker, the exchange simulator and the CLI (docker-compose.yml
# picks the command). TypeScript runs through tsx, as in development; no build step to drift.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# dependencies first, for the layer cache; tsx is a dev dependency and is needed at run time
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY config ./config
COPY scripts/bundle-workflows.ts ./scripts/

# the workflow bundle is built once here, not by webpack at every worker start
RUN node --import tsx scripts/bundle-workflows.ts /app/workflow-bundle.js
ENV DE_WORKFLOW_BUNDLE=/app/workflow-bundle.js

RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]

# node is PID 1 and handles SIGTERM itself (graceful worker shutdown)
CMD ["node", "--import", "tsx", "src/worker.ts"]
