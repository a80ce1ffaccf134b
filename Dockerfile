# One image for the API and the worker (the command picks which). Build: docker build -t mmiohub .
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends xz-utils bzip2 gzip pci.ids ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
# The register database is data, not part of this project: envytools' rnndb, fetched at build time.
ARG ENVYTOOLS_REF=master
RUN git clone --depth 1 --branch "$ENVYTOOLS_REF" https://github.com/envytools/envytools /opt/envytools \
 && mv /opt/envytools/rnndb /opt/rnndb && rm -rf /opt/envytools
ENV MMIOHUB_RNNDB=/opt/rnndb
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY services ./services
COPY bench/package.json ./bench/package.json
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.base.json tsconfig.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund && node scripts/prisma-generate.mjs
ENV NODE_ENV=production STORAGE_DIR=/data/blobs HOST=0.0.0.0 PORT=8080
VOLUME /data
EXPOSE 8080
CMD ["node", "--import", "tsx", "services/api/src/server.ts"]
