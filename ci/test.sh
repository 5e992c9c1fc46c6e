#!/usr/bin/env bash
# The project's test command (README.md): formatting, lints, docs, every test (the Python
# package's too), the benches' sanity runs, and the protocol tests under Miri. CI (.ci/run)
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "toolchain components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "fmt"
cargo fmt --all -- --check

step "atomics only through src/sync.rs"
if grep -rnE 'core::sync::atomic|std::sync::atomic' src --include=*.rs | grep -v '^src/sync.rs' \
  | grep -vE '^[^:]+:[0-9]+:\s*//'; then
  echo "ring code must use crate::sync, not the atomics directly"; exit 1
fi

step "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "other platforms: the library builds for macOS and Windows (it is tested on Linux only)"
rustup target add x86_64-apple-darwin x86_64-pc-windows-gnu >/dev/null
for target in x86_64-apple-darwin x86_64-pc-windows-gnu; do
  cargo clippy -p bcast --target "$target" --all-features -- -D warnings
done

step "minimum supported Rust version (rust-version in Cargo.toml)"
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
rustup toolchain install "$msrv" --profile minimal >/dev/null
cargo "+$msrv" check -p bcast -p bcast-derive -p bcast-cli -p bcast-relay --all-features

step "docs"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --all-features

step "tests"
cargo test --workspace --all-features

step "the concurrent tests again with portable copies (the run above takes 16-byte copies on AVX)"
BCAST_PORTABLE_COPY=1 cargo test --all-features -p bcast \
  --test stress --test overrun --test corrupt --test crash --test model --test ring

step "python: the package (pip install ./python, as the README says) and its tests, in a venv"
venv="${BCAST_PYTHON_VENV:-python/.venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "pytest>=8" "numpy>=1.24" "mypy>=1.18"
(cd python && cargo fmt -- --check && cargo clippy --all-targets -- -D warnings)
"$venv/bin/pip" install --quiet --disable-pip-version-check ./python
"$venv/bin/pytest" -q python/tests
# The stubs say what the module has, and the example, bench and tests type-check against them.
"$venv/bin/python" -m mypy.stubtest bcast
"$venv/bin/python" -m mypy python/examples python/tests python/bench
# The benches run once, briefly, with the fixture the tests built (their figures are in
# BENCHMARKS.md, not checked here).
every_field=$(cargo build --quiet --profile test -p bcast-fixtures --bin every-field \
  --message-format=json | "$venv/bin/python" -c \
  'import json, sys; print(next(m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")))')
export BCAST_EVERY_FIELD="$every_field"
"$venv/bin/python" python/bench/reader_rate.py --pairs 1000 --rounds 1 --core 0 >/dev/null
"$venv/bin/python" python/bench/publish_rate.py --records 1000 --rounds 1 --core 0 >/dev/null
"$venv/bin/python" python/bench/compare.py "$venv/bin/python" "$venv/bin/python" --pairs 1000 \
  --turns 1 --core 0 >/dev/null
unset BCAST_EVERY_FIELD

step "benches compile and pass their sanity runs"
cargo test --workspace --benches

step "fuzz: the generic decoder and the ring, a bounded run each"
ci/fuzz.sh "${FUZZ_RUNS:-300000}"

step "miri"
ci/miri.sh "${MIRI_SEEDS:-16}"

step "protocol mutants (each must fail the racing test under Miri)"
ci/mutants.sh "${MUTANT_SEEDS:-8}"

step "all checks passed"
