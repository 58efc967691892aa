# The runner image: `dagster-scripts-runner` alone, static, in an empty base,
# run as a numeric non-root user. The rendered Job runs it as
#   command: ["dagster-scripts-runner"], args: ["/etc/dagster-scripts/spec.yaml"]
# with runAsUser/runAsGroup 10001 and a read-only root filesystem.
#
#   docker build -t dagster-scripts-runner:0.1.0 .
#
# The compiler (`dagster-scripts`) is not in this image: CI installs it with
# `cargo install --locked` (see ci/README.md).

# The toolchain the repository is tested with, pinned by tag and by digest:
# the digest (of the tag's multi-arch index) is what is pulled, so a rebuild of
# the tag upstream cannot change what builds the runner, and the tag says what
# it is. tests/gitops/image.rs fails on a build stage without a digest. To
# move to another Rust, take the index's digest from the registry:
#   docker buildx imagetools inspect docker.io/library/rust:<tag>   (its `Digest:`)
ARG RUST_IMAGE=docker.io/library/rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Only what the runner's build reads: the workspace manifests and lock, the
# library it shares with the compiler (built without the compiler feature) and
# the runner crate. Cargo loads every workspace member's manifest, so the
# test-server crate (tests/dagster/, a dev-dependency) comes too; nothing of it
# is built.
COPY Cargo.toml Cargo.lock ./
COPY src/ src/
COPY runner/ runner/
COPY tests/dagster/ tests/dagster/
# crt-static on the glibc target links everything in: the binary needs no
# loader and no shared library, so it runs in `scratch`. Its TLS roots are
# compiled in (rustls with webpki-roots), so the image needs no CA bundle.
ENV RUSTFLAGS="-C target-feature=+crt-static"
RUN ["cargo", "build", "--locked", "--release", "-p", "dagster-scripts-runner", "--target", "x86_64-unknown-linux-gnu"]

FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-gnu/release/dagster-scripts-runner /usr/local/bin/dagster-scripts-runner
# The Job names the command, not a path: the runtime finds it on PATH.
ENV PATH=/usr/local/bin
USER 10001:10001
ENTRYPOINT ["dagster-scripts-runner"]
LABEL org.opencontainers.image.title="dagster-scripts-runner" \
      org.opencontainers.image.description="Launches and follows one dagster-scripts request (a Dagster backfill or run) from a Kubernetes Job" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.source="https://github.com/your-org/dagster-scripts"
