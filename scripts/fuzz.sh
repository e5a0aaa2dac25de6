#!/usr/bin/env bash
# `make fuzz`: runs each fuzz target for SECONDS with cargo fuzz (libFuzzer), installing the
# nightly toolchain and cargo-fuzz when missing. Exits non-zero when a target crashes; the
# crashing input is under fuzz/artifacts/<target>/ (turn it into a regression test).
# FUZZ_RUNS=N instead runs N inputs per target from a fixed seed: what CI runs, so that its
# verdict is repeatable.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pe_loader scenario ioctl)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
work=target/fuzz
# Seeds: our corpus drivers for the loader, our scenarios for the parser, a few requests.
mkdir -p "$work/seeds/pe_loader" "$work/seeds/scenario"
cp corpus/*/*.sys "$work/seeds/pe_loader/"
for f in corpus/*/*.toml; do cp "$f" "$work/seeds/scenario/$(basename "$(dirname "$f")")-$(basename "$f")"; done
for t in "${targets[@]}"; do
    mkdir -p "$work/corpus/$t"
    seeds="$work/seeds/$t"
    [ -d "$seeds" ] || seeds="fuzz/seeds/$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        budget=(-runs="$FUZZ_RUNS" -seed=1)
        echo "== fuzz $t: $FUZZ_RUNS inputs from seed 1"
    else
        budget=(-max_total_time="$seconds")
        echo "== fuzz $t for ${seconds}s"
    fi
    status=0
    cargo +nightly fuzz run --release --sanitizer none --fuzz-dir fuzz "$t" "$work/corpus/$t" "$seeds" -- \
        "${budget[@]}" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
        >"$work/$t.log" 2>&1 || status=$?
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|SUMMARY)|panicked' "$work/$t.log" || true
    if [ "$status" -ne 0 ]; then
        tail -40 "$work/$t.log"
        echo "fuzz $t: failed (exit $status); the input is under fuzz/artifacts/$t/" >&2
        exit "$status"
    fi
done
