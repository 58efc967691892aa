# Tasks for contributors; `make ci` is exactly what .ci/run runs.
CARGO ?= cargo

.PHONY: ci lint drift test schema bench

ci: lint drift test

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# Committed artefacts must match what the tool generates, and the examples must pass.
drift:
	$(CARGO) run --locked --quiet -- schema --check
	$(CARGO) run --locked --quiet -- check
	$(CARGO) run --locked --quiet -- render --check

test:
	INSTA_UPDATE=no $(CARGO) test --locked --workspace

# After a change to the model. The compiler validates against the committed
# schema (compiled in at build time), so write it through a temporary file: a
# shell redirect would empty it before cargo rebuilds.
schema:
	$(CARGO) run --locked --quiet -- schema > target/spec.schema.json
	mv target/spec.schema.json schema/spec.schema.json

# Timings against the peers (bench/README.md); not part of `ci`.
bench:
	bench/run.sh
