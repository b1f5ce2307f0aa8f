#!/usr/bin/env bash
# Runs the cargo-fuzz targets of porch-server, each for a bounded time, one after another:
#
#     fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (defaults: 60, every target)
#
# Each fuzzer starts from the committed corpus fuzz/corpus/<target>/ (read only) and a working
# corpus under fuzz/target/corpus/<target>/ (kept between runs, not committed). A crash (a panic,
# a 5xx, a hang over 30 s) leaves its input in fuzz/artifacts/<target>/ and makes the script
# exit 1 after the other targets ran; reproduce it with
# `fuzz/target/x86_64-unknown-linux-gnu/release/<target> <artifact>` (under the same `unshare`).
#
# Toolchain: cargo-fuzz's instrumentation flags (-Cpasses=sancov-module, -Cllvm-args=...) are
# stable rustc flags; only sanitizers need -Z flags. The targets are safe Rust looking for
# panics and 5xx answers, so they are built with `--sanitizer none` on the default toolchain
# (stable here and in CI) and need no nightly. FUZZ_TOOLCHAIN=nightly picks another one.
#
# Network: the server under test clones whatever git URL an input names, so each fuzzer runs in
# a network namespace of its own with no interface up (`unshare --net`, as root, or as a user
# with `--map-root-user`): it reaches no address at all, not even loopback. The targets refuse
# to start outside one.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
seconds="${1:-60}"
shift || true
all_targets=(http decode selectors continue_tokens names patch kptfile)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then toolchain=("+${FUZZ_TOOLCHAIN}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz (cargo install)"
    cargo install cargo-fuzz --locked
fi

# A network namespace with nothing in it, or stop here.
if unshare --net true 2>/dev/null; then
    isolate=(unshare --net --)
elif unshare --net --map-root-user true 2>/dev/null; then
    isolate=(unshare --net --map-root-user --)
else
    echo "fuzz/run.sh: cannot create a network namespace (unshare --net); not fuzzing" >&2
    exit 1
fi

triple="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"
echo "==> cargo ${toolchain[*]} fuzz build --sanitizer none"
start=$(date +%s)
cargo "${toolchain[@]}" fuzz build --sanitizer none
echo "==> built in $(( $(date +%s) - start )) s"

failed=()
for target in "${targets[@]}"; do
    binary="target/$triple/release/$target"
    work="target/corpus/$target"
    tmp="target/tmp/$target"
    mkdir -p "$work" "artifacts/$target" "$tmp"
    echo "==> fuzzing $target for ${seconds} s"
    # -timeout: one input (a few requests) answered within 30 s, or it is a hang.
    # -max_len: request bodies up to 16 KiB; -rss_limit_mb: the server keeps what inputs create.
    if TMPDIR="$PWD/$tmp" "${isolate[@]}" "$binary" "$work" "corpus/$target" \
        -dict=porch.dict -max_total_time="$seconds" -timeout=30 -max_len=16384 -rss_limit_mb=4096 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 2>"target/$target.log"; then
        grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "target/$target.log" | sed "s/^/    $target /" || true
    else
        echo "!!! $target failed; the log is fuzz/target/$target.log:" >&2
        grep -E -A30 'panicked at|==ERROR|ALARM|deadly signal' "target/$target.log" | head -60 >&2 || tail -40 "target/$target.log" >&2
        failed+=("$target")
    fi
    rm -rf "$tmp"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/run.sh: failing targets: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "==> fuzzing: ${#targets[@]} targets, ${seconds} s each, no failure"
