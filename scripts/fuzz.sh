#!/usr/bin/env bash
# Runs every fuzz target (fuzz/src/lib.rs) under AFL++ through cargo-afl, on
# stable Rust, for FUZZ_SECONDS each (default 60), two at a time on this
# 2-core machine. A crash is copied to fuzz/regressions/<target>/ (replayed by
# `make test` from then on) and fails the run. Called by `make fuzz`.
#
#   FUZZ_SECONDS=600 FUZZ_TARGETS="jwt pipeline" scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"jwt md5 mask options pipeline progressive playlist heif jxl svg raster animation font"}
jobs=${FUZZ_JOBS:-2}
target_dir=target/afl
out=$target_dir/out

# AFL++ is built by cargo-afl's install; this is a no-op (an "already built"
# error) unless the data folder went missing.
cargo afl config --build >/dev/null 2>&1 || true

# Thin LTO and debug info only slow the instrumented build down. No
# `--cfg fuzzing`: nothing of ours depends on that cfg, and a dependency that
# reads it may link libfuzzer-sys, whose coverage hooks clash with AFL++'s
# runtime (rav1e did, when it was the AVIF encoder).
AFL_NO_CFG_FUZZING=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_DEBUG=false \
	cargo afl build --release -j2 --locked -p signet-fuzz --features afl --bins \
	--target-dir "$target_dir"

# No UI, no CPU pinning or governor checks, and no need for a core_pattern
# change (containers cannot make one).
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
	AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CRASHES=0

run() {
	local t=$1
	rm -rf "${out:?}/$t"
	mkdir -p "$out"
	# -t: an input taking over 5 s is a hang (reported, not a crash).
	cargo afl fuzz -V "$seconds" -t 5000 -i "fuzz/seeds/$t" -o "$out/$t" \
		-- "$target_dir/release/$t" >"$out/$t.log" 2>&1 ||
		{ echo "afl-fuzz failed for $t; see $out/$t.log" >&2; tail -20 "$out/$t.log" >&2; return 1; }
}

pids=()
for t in $targets; do
	run "$t" &
	pids+=($!)
	if ((${#pids[@]} >= jobs)); then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

stat() { sed -n "s/^$2 *: *//p" "$out/$1/default/fuzzer_stats"; }
status=0
printf '%-9s %10s %9s %7s %7s %6s %s\n' target execs exec/s corpus crashes hangs stability
for t in $targets; do
	printf '%-9s %10s %9s %7s %7s %6s %s\n' "$t" "$(stat "$t" execs_done)" \
		"$(stat "$t" execs_per_sec)" "$(stat "$t" corpus_count)" \
		"$(stat "$t" saved_crashes)" "$(stat "$t" saved_hangs)" "$(stat "$t" stability)"
	for crash in "$out/$t"/default/crashes/id:*; do
		[ -e "$crash" ] || continue
		mkdir -p "fuzz/regressions/$t"
		name=crash-$(sha1sum "$crash" | cut -c1-12)
		cp "$crash" "fuzz/regressions/$t/$name"
		echo "CRASH: $t → fuzz/regressions/$t/$name" >&2
		status=1
	done
done
exit $status
