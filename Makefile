# Tasks for contributors; `make ci` is exactly what .ci/run runs.
CARGO ?= cargo

# cargo-deny, built once from crates.io into target/ (a version bump builds the
# new one beside it); about 6 minutes on two cores.
DENY_VERSION = 0.20.2
DENY = target/tools/cargo-deny-$(DENY_VERSION)/bin/cargo-deny

.PHONY: ci lint doc deny advisories msrv drift test schema bench

# Cheap checks first: a slip fails before the 20-minute suite starts.
ci: lint doc msrv deny advisories drift test

# The workspace build turns every feature on; the runner builds the library
# with `dagster` only, and the model alone has no feature: each is linted too.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) clippy --locked -p dagster-scripts-runner -- -D warnings
	$(CARGO) clippy --locked -p dagster-scripts --no-default-features --lib -- -D warnings

# Every doc comment renders and every intra-doc link resolves, private items included.
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --locked --no-deps --workspace --document-private-items

# The declared rust-version: no dependency needs a newer Rust (offline, always),
# and the workspace builds with that Rust where rustup can install it.
msrv:
	$(CARGO) test --locked --quiet --test main -- msrv::
	.ci/msrv

# The dependency policy in deny.toml: licenses, banned crates, sources.
deny: $(DENY)
	$(DENY) --locked --workspace check licenses bans sources

# Security advisories: reports, never fails `make ci` (see .ci/advisories).
advisories: $(DENY)
	.ci/advisories $(DENY)

$(DENY):
	$(CARGO) install --locked --quiet cargo-deny@$(DENY_VERSION) --root target/tools/cargo-deny-$(DENY_VERSION)

# Committed artefacts must match what the tool generates, and the examples must pass.
drift:
	$(CARGO) run --locked --quiet -- schema --check
	$(CARGO) run --locked --quiet -- check
	$(CARGO) run --locked --quiet -- render --check

# Snapshots never change silently (INSTA_UPDATE=no), and one no test asserts
# any more fails the run (insta lists each one it asserts in the references file).
test:
	rm -f target/snapshot-references.txt
	INSTA_UPDATE=no INSTA_SNAPSHOT_REFERENCES_FILE="$(CURDIR)/target/snapshot-references.txt" \
		$(CARGO) test --locked --workspace
	.ci/unreferenced-snapshots target/snapshot-references.txt tests/snapshots

# After a change to the model. The compiler validates against the committed
# schema (compiled in at build time), so write it through a temporary file: a
# shell redirect would empty it before cargo rebuilds.
schema:
	$(CARGO) run --locked --quiet -- schema > target/spec.schema.json
	mv target/spec.schema.json schema/spec.schema.json

# Timings against the peers (bench/README.md); not part of `ci`.
bench:
	bench/run.sh
