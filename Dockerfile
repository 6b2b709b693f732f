# dmct in a container: `docker build -t dmct .`, then
# `docker run --rm -v "$PWD/out:/out" dmct run --target-server URL --out /out`.
#
# Build stage: the workspace's own toolchain floor (Cargo.toml `rust-version`), the
# locked dependency versions, the release profile.
FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p dmct

# Runtime stage: the binary alone (scenarios, rules and schemas are compiled in) and the
# system's CA roots, which dmct trusts by default for https:// peers.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/dmct /usr/local/bin/dmct
WORKDIR /work
ENTRYPOINT ["dmct"]
CMD ["--help"]
