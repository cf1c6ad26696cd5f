# syntax=docker/dockerfile:1
# passbridge as a container image: one static binary on distroless, run as a
# non-root user.
#
#   docker build -t passbridge --build-arg VERSION="$(git describe --tags --always --dirty)" .
#   docker run -p 8080:8080 -v passbridge-data:/data passbridge
#
# With no other configuration it serves http://localhost:8080 on an SQLite
# database in /data, with a master key generated there. On first start the
# default app's one-time API key goes to /data/default-app-api-key (unless
# the container has a terminal, docker run -it); copy it out with
#   docker cp CONTAINER:/data/default-app-api-key /tmp/
# See docker-compose.yml for PostgreSQL.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# The version stamped into the binary (passbridge version), as make build
# stamps it; the build context has no .git to read it from.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/passbridge ./cmd/passbridge \
 && mkdir -p /out/data

# distroless: CA certificates, /etc/passwd with the user nonroot
# (65532), no shell or package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/passbridge /usr/local/bin/passbridge
# The data directory belongs to the user the server runs as; a volume
# mounted here starts out with that owner.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PASSBRIDGE_LISTEN=0.0.0.0:8080 \
    PASSBRIDGE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# The image has no curl: the binary checks /healthz at its listen address.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/passbridge", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/passbridge"]
CMD ["serve"]
