# Tasks for contributors; `make ci` is exactly what .ci/run runs.
CARGO ?= cargo

.PHONY: ci lint drift test

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
