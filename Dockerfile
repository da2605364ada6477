# Enforcer's container image (docs/container.md). Build: podman build --format docker -t enforcer .
# (docker build works too; --format docker keeps the HEALTHCHECK, which podman's default OCI format drops).
# BASE is what users pull: the official Node 20 image. CI passes base images it makes locally, because no
# image registry is reachable there (test/container/).
ARG BASE=node:20-bookworm-slim
# The runtime needs node and the libraries it loads, not npm: the Debian image node:20-bookworm-slim is built on.
# Node's binary comes from BASE's build stage. (For 32-bit arm, whose node may need more, use BASE here too.)
ARG RUNTIME_BASE=debian:bookworm-slim
# The serf agent's image (compose.yaml) needs no Node either: Debian's serf package.
ARG SERF_BASE=debian:bookworm-slim

# --- build: every dependency, compile, then keep the production dependencies only -----------------------------
FROM ${BASE} AS build
# For the runtime stage: node's binary, and setcap for its file capability (libcap2-bin; not in the slim image).
RUN command -v setcap >/dev/null || { apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
      && rm -rf /var/lib/apt/lists/*; } \
    && mkdir /tools && cp "$(command -v setcap)" "$(readlink -f "$(command -v node)")" /tools/
WORKDIR /src
COPY package.json package-lock.json ./
# --prefer-offline: a build given an npm cache (podman build -v ~/.npm:/root/.npm) asks the registry nothing.
RUN npm ci --no-audit --no-fund --prefer-offline
COPY tsconfig.json ./
COPY bin bin
COPY src src
COPY web web
COPY on-machine on-machine
COPY scripts/bundle.mjs scripts/bundle.mjs
# The .dockerignore leaves test/ and bench/ out, so tsc compiles the server alone.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
    && find dist \( -name '*.test.js' -o -name '*.map' \) -exec rm -f {} +

# --- serf: the Serf agent that runs beside Enforcer (compose.yaml; build with --target serf) ------------------
FROM ${SERF_BASE} AS serf
RUN command -v serf >/dev/null || { apt-get update && apt-get install -y --no-install-recommends serf \
      && rm -rf /var/lib/apt/lists/*; }
# nobody: the agent writes nothing (no snapshot) and binds no port below 1024.
USER 65534:65534
ENTRYPOINT ["serf"]
CMD ["agent"]

# --- runtime: node, the compiled server, the web app and production dependencies; nothing else ------------
FROM ${RUNTIME_BASE} AS runtime
# The port numbers DHCP (67), TFTP (69) and HTTP (80) need CAP_NET_BIND_SERVICE; the process runs as the
# unprivileged user `enforcer` (uid 1000), so the capability sits on the node binary as a file capability. It
# works with Docker's and podman's default capabilities and needs no --cap-add (ambient capabilities, which
# podman gives a non-root user on --cap-add, Docker does not). Copying node in and setting the capability in
# one step keeps one copy of its ~95 MiB in the image (a capability set on a base image's node would copy it).
RUN --mount=type=bind,from=build,source=/tools,target=/tools \
    mkdir -p /usr/local/bin && cp /tools/node /usr/local/bin/node && /tools/setcap cap_net_bind_service=+ep /usr/local/bin/node \
    && { grep -q '^[^:]*:[^:]*:1000:' /etc/passwd \
         || { echo 'enforcer:x:1000:1000::/var/lib/enforcer:/usr/sbin/nologin' >>/etc/passwd \
              && echo 'enforcer:x:1000:' >>/etc/group; }; } \
    && mkdir -p /var/lib/enforcer && chown 1000:1000 /var/lib/enforcer && chmod 700 /var/lib/enforcer
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/bin bin
COPY --from=build /src/dist dist
COPY --from=build /src/on-machine on-machine
ENV NODE_ENV=production ENFORCER_DATA=/var/lib/enforcer
# admin.token, the journal and snapshots: keep them across upgrades and restarts.
VOLUME /var/lib/enforcer
USER 1000:1000
# The slim image has no curl or wget: node asks the web app's page, which answers without a token and
# writes nothing (no timeline step, no log line). Set the port with ENFORCER_HTTP_PORT so this finds it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "const h=process.env.ENFORCER_LISTEN;const a=!h||h==='0.0.0.0'||h==='::'?'127.0.0.1':h;fetch(`http://${a.includes(':')?`[${a}]`:a}:${process.env.ENFORCER_HTTP_PORT||8080}/ui/`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1's program (no npm, no shell): signals reach it and it stops cleanly.
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/bin/enforcer.js"]
CMD ["serve"]
