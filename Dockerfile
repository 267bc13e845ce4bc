# syntax=docker/dockerfile:1
# The operator image: a static-enough release build on Debian, run from distroless (glibc,
# CA certificates, no shell, no package manager) as the non-root user 65532.
#   docker build -t fargate-operator .

FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so a source change does not rebuild the AWS SDK.
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml sets jemalloc's defaults, read when it builds.
COPY .cargo ./.cargo
# Cargo.toml declares the [[bench]] targets: their files must exist for the manifest to parse
# (building the binary does not compile them; editing one rebuilds this layer, which is rare).
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked --bin fargate-operator \
    && rm -rf src
COPY src ./src
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin fargate-operator \
    && cp target/release/fargate-operator /fargate-operator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /fargate-operator /usr/local/bin/fargate-operator
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/fargate-operator"]
CMD ["run", "--metrics-addr", "0.0.0.0:8080"]
