# The conflux worker with the versioned configs (config/). It runs the TypeScript sources through
# tsx, exactly as bin/conflux.js does without a build, so the image runs what the tests ran.
FROM node:20-bookworm-slim
# Reported by GET / (an image has no .git): docker compose build --build-arg CONFLUX_COMMIT=$(git rev-parse HEAD)
ARG CONFLUX_COMMIT=unknown
ENV CONFLUX_COMMIT=$CONFLUX_COMMIT

WORKDIR /app
COPY package.json package-lock.json ./
# tsx (the TypeScript loader) is a dev dependency: install everything, no lifecycle scripts.
RUN npm ci --no-audit --no-fund --include=dev --ignore-scripts && npm cache clean --force

COPY bin/ bin/
COPY runtime/ runtime/
COPY connectors/ connectors/
COPY transforms/ transforms/
COPY generator/ generator/
COPY cli/ cli/
COPY console/ console/
COPY config/ config/
COPY sql/ sql/
COPY tsconfig.json ./

# Offsets and connector configs live under state/: a volume in docker-compose.yml.
RUN mkdir -p /app/state && chown node:node /app/state
USER node
EXPOSE 8083
HEALTHCHECK --interval=5s --timeout=3s --retries=30 CMD node -e "fetch('http://127.0.0.1:8083/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/conflux.js"]
CMD ["standalone", "--worker", "config/worker-docker.json"]
