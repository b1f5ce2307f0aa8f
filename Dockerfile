# syntax=docker/dockerfile:1
# The porch-server image: built in a Rust container, run on Debian slim as a non-root user.
#   docker build -t porch-rs/porch-server:latest .
# By default it runs in aggregated mode (manifests/ deploys it so); pass other flags as arguments,
# e.g. `docker run IMAGE --help`.

# ---- build
FROM rust:1-bookworm AS build
# git2 links the system OpenSSL for libgit2's https transport (openssl-sys finds it with pkg-config).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The registry and target directory are BuildKit cache mounts, reused between builds and never part
# of an image layer; the binary is copied out of them.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin porch-server \
 && install -D -m 0755 target/release/porch-server /out/porch-server

# ---- runtime
FROM debian:bookworm-slim
# The shared libraries porch-server links beyond glibc: libssl3 (OpenSSL 3) and zlib (already in
# the base image); ca-certificates for https git remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/*
# uid/gid 65532, as manifests/deployment.yaml runs it. The directories of the default flags exist and
# belong to it, for `docker run` without volumes (in Kubernetes they are emptyDir volumes).
RUN groupadd --gid 65532 porch \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin porch \
 && install -d -o 65532 -g 65532 -m 0700 /var/lib/porch /tmp/certs
COPY --from=build /out/porch-server /usr/local/bin/porch-server
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/porch-server"]
CMD ["--mode=aggregated", "--secure-port=8443", "--cert-dir=/tmp/certs", "--data-dir=/var/lib/porch"]
