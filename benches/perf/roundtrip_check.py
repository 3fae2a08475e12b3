#!/usr/bin/env python3
"""Fails when a blocking round trip costs more instructions than libzmq's C.

The cheap guard of issue 21: `compare.py` measures everything in about ten
minutes; this runs only the inproc REQ/REP round trip (`inproc_lat`, 64 B)
under `valgrind --tool=callgrind`, ours and libzmq's own C program linked
with the very same `libzmq.a`, and fails when ours costs more than
`--max-ratio` (1.02) times C's instructions per round trip.

Per round trip = (instructions at the high count - at the low count) /
(round trips between them): the start-up of each process is not in it.
Instruction counts do not depend on the machine's load, so the check is
stable on a busy CI machine: runs of one program mostly agree within 1 %,
but under heavy load one run in a dozen came out ~8 % high (more wake-ups),
hence the median of `--reps` (5) runs at each count.

It exists because a correctness fix once made every blocking call that had
to wait try a non-blocking call first (1.17x C per round trip), and nothing
measured it for weeks.

Usage: benches/perf/roundtrip_check.py [--max-ratio 1.02] [--reps 5]
                                       [--size 64] [--counts 5000 25000]
Cost: the release build of examples/perf, the C program (seconds), and
4 x reps callgrind runs of about 2 s each, one at a time: ~40 s in all.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402  (the same build and run helpers as the full comparison)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-ratio", type=float, default=1.02,
                        help="fail above this Rust/C ratio (1.02)")
    parser.add_argument("--reps", type=int, default=5, help="callgrind runs per count (5)")
    parser.add_argument("--size", type=int, default=64, help="message size in bytes (64)")
    parser.add_argument("--counts", type=int, nargs=2, default=(5_000, 25_000),
                        metavar=("LOW", "HIGH"), help="round trips (5000 25000)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    low, high = args.counts
    if not 0 < low < high:
        sys.exit("--counts: LOW must be positive and below HIGH")

    rust, zmq_out, sodium_out = compare.build_rust()
    c_bins = compare.build_c(zmq_out, sodium_out, compare.ROOT / "target" / "perf-c")
    runner = compare.Runner(c_bins, rust)

    # One run at a time, C and Rust in turn: two valgrind processes side by
    # side on two cores shift how often a thread finds its peer asleep, which
    # moved the per-trip figures by ~3 % where one at a time moves them < 1 %.
    runs: dict[tuple[str, int], list[int]] = {}
    for _ in range(args.reps):
        for count in (low, high):
            for lang in ("c", "rust"):
                runs.setdefault((lang, count), []).append(
                    runner.callgrind(lang, "inproc_lat", args.size, count))

    per_trip = {}
    for lang in ("c", "rust"):
        lo = statistics.median(runs[(lang, low)])
        hi = statistics.median(runs[(lang, high)])
        per_trip[lang] = (hi - lo) / (high - low)
        compare.log(f"{lang:>4}: {per_trip[lang]:,.0f} instructions per round trip "
                    f"(runs at {low}: {runs[(lang, low)]}, at {high}: {runs[(lang, high)]})")
    ratio = per_trip["rust"] / per_trip["c"]
    verdict = "ok" if ratio <= args.max_ratio else "FAIL"
    print(f"inproc_lat {args.size} B: Rust {per_trip['rust']:,.0f}, C {per_trip['c']:,.0f} "
          f"instructions per round trip; Rust/C {ratio:.3f} (limit {args.max_ratio}): {verdict}")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
