#!/usr/bin/env python3
"""The incumbent binding (`zmq` 0.10 from crates.io) next to libzmq's C perf
programs and our examples/perf.rs, measured the way compare.py measures.

The incumbent's ports of inproc_thr and inproc_lat live in benches/incumbent/,
a standalone crate outside the workspace: its zmq-sys and ours both declare
`links = "zmq"`, so they cannot share one dependency graph. It follows that the
incumbent links its own libzmq: 4.3.4 (zeromq-src 0.2.6, pulled in by its
zmq-sys 0.12), compiled by that build script with its own flags and without
libsodium, not the 4.3.5 `libzmq.a` that the C programs and our binding share. The C programs here are the ones compare.py builds against our
libzmq; that difference is in the incumbent's figures.

Two measures, both reusing compare.py's functions:

* instructions per message under callgrind, (instructions at a high count −
  at a low count) / (messages in between), all threads, for inproc_thr,
  inproc_thr_zeroed and inproc_lat at 1 B … 1 MiB;
* wall clock: inproc_thr, C, ours and the incumbent interleaved (the order
  rotates every repetition), medians.

Writes docs/perf/incumbent.md and docs/perf/incumbent.json.

Usage: benches/perf/incumbent.py [--cg-reps N] [--reps N] [--quick]
                                 [--no-wallclock] [--no-callgrind] [--out DIR]
                                 [--from-json docs/perf/incumbent.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402
from compare import (ROOT, SIZES, SIZE_NAMES, CG_THR, CG_THR_ZEROED, CG_LAT,  # noqa: E402
                     THR_COUNT, THR_RE, cg_counts, log, parse, run, summary)

CRATE = ROOT / "benches" / "incumbent"
TARGET = ROOT / "target" / "incumbent"
LANGS = ("c", "rust", "incumbent")
LABEL = {"c": "C", "rust": "ours", "incumbent": "incumbent"}


def build_incumbent() -> Path:
    log("building benches/incumbent (zmq 0.10, release)...")
    out = run(["cargo", "build", "--release", "--target-dir", str(TARGET),
               "--message-format=json"], cwd=CRATE, stdout=subprocess.PIPE).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if (msg.get("reason") == "compiler-artifact"
                and msg["target"]["name"] == "zmq-incumbent-perf" and msg.get("executable")):
            return Path(msg["executable"])
    sys.exit("could not find the zmq-incumbent-perf binary")


class Runner(compare.Runner):
    def __init__(self, c_bins: dict[str, Path], rust: Path, incumbent: Path):
        super().__init__(c_bins, rust)
        self.incumbent = incumbent

    def cmd(self, lang: str, program: str) -> list[str]:
        if lang == "incumbent":
            # One mode only: a fresh zeroed Message::with_size per message.
            return [str(self.incumbent), program.removesuffix("_zeroed")]
        return super().cmd(lang, program)


# (case, counts for C and ours, counts for the incumbent, description). The
# incumbent's sender zero-fills every message (Message::with_size), so its thr
# runs get the zeroed counts; it has no other safe mode, so it runs the same
# program in both thr cases.
CASES = [
    ("inproc_thr", CG_THR, CG_THR_ZEROED,
     "C: fresh uninitialised `zmq_msg_init_size` per message; ours: clones of one zeroed "
     "message; incumbent: a fresh `Message::with_size` (zero-filled) per message"),
    ("inproc_thr_zeroed", CG_THR_ZEROED, CG_THR_ZEROED,
     "C built with `-DZMQ_MAKE_VALGRIND_HAPPY` (fresh message + memset), ours with "
     "`ZMQ_PERF_PAYLOAD=fresh`; the incumbent runs exactly what it runs in `inproc_thr`"),
    ("inproc_lat", CG_LAT, CG_LAT,
     "one message bounced REQ/REP; per message = per round trip / 2"),
]


def counts_for(case: str, lang: str, size: int, scale: float) -> tuple[int, int]:
    for name, ours, incumbent, _ in CASES:
        if name == case:
            return cg_counts((incumbent if lang == "incumbent" else ours)[size], scale)
    raise KeyError(case)


def measure_callgrind(runner: Runner, reps: int, scale: float) -> list[dict]:
    jobs = set()
    for case, _, _, _ in CASES:
        for size in SIZES:
            for lang in LANGS:
                # The incumbent's zeroed case is its thr case: measured once.
                prog = "inproc_thr" if (lang == "incumbent" and case != "inproc_lat") else case
                low, high = counts_for(case, lang, size, scale)
                for count in (low, high):
                    for rep in range(reps):
                        jobs.add((lang, prog, size, count, rep))
    jobs = sorted(jobs, key=lambda j: (j[2], j[0], j[1], j[3], j[4]))
    results: dict[tuple, list[int]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(runner.callgrind, lang, prog, size, count): (lang, prog, size, count)
                   for lang, prog, size, count, _ in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results.setdefault(futures[future], []).append(future.result())
            if done % 20 == 0:
                log(f"  callgrind: {done}/{len(jobs)} runs")
    rows = []
    for case, _, _, _ in CASES:
        per_msg_factor = 2 if case == "inproc_lat" else 1
        for size in SIZES:
            row = {"case": case, "size": size}
            for lang in LANGS:
                prog = "inproc_thr" if (lang == "incumbent" and case != "inproc_lat") else case
                low, high = counts_for(case, lang, size, scale)
                lo = statistics.median(results[(lang, prog, size, low)])
                hi = statistics.median(results[(lang, prog, size, high)])
                row[lang] = {"counts": [low, high], "marginal": (hi - lo) / ((high - low) * per_msg_factor),
                             "runs_low": results[(lang, prog, size, low)],
                             "runs_high": results[(lang, prog, size, high)]}
            for lang in ("rust", "incumbent"):
                row[f"{lang}/c"] = row[lang]["marginal"] / row["c"]["marginal"]
            rows.append(row)
            log(f"  {case:18} {SIZE_NAMES[size]:>6}: C {row['c']['marginal']:.0f}, "
                f"ours {row['rust']['marginal']:.0f}, incumbent {row['incumbent']['marginal']:.0f} "
                f"instr/msg; ours/C {row['rust/c']:.3f}, incumbent/C {row['incumbent/c']:.3f}")
    return rows


def measure_wallclock(runner: Runner, reps: int, scale: float) -> list[dict]:
    rows = []
    for size in SIZES:
        count = max(10, int(THR_COUNT["inproc"][size] * scale))
        runs = {lang: [] for lang in LANGS}
        for rep in range(reps):
            order = LANGS[rep % 3:] + LANGS[:rep % 3]
            for lang in order:
                out = run(runner.cmd(lang, "inproc_thr") + [str(size), str(count)],
                          stdout=subprocess.PIPE, timeout=compare.TIMEOUT,
                          env=runner.env(lang, "inproc_thr")).stdout
                runs[lang].append(parse(THR_RE, out, f"{lang} inproc_thr {size}"))
        row = {"size": size, "count": count, **{lang: summary(runs[lang]) for lang in LANGS}}
        for lang in ("rust", "incumbent"):
            row[f"{lang}/c"] = row[lang]["median"] / row["c"]["median"]
        rows.append(row)
        log(f"  inproc_thr {SIZE_NAMES[size]:>6}: C {row['c']['median']:,.0f}, "
            f"ours {row['rust']['median']:,.0f}, incumbent {row['incumbent']['median']:,.0f} msg/s")
    return rows


def write_report(out: Path, cg: list[dict], wall: list[dict], cg_reps: int, reps: int,
                 started: str, seconds: float, machine: str | None = None) -> None:
    """Writes incumbent.md, and incumbent.json unless `machine` comes from one."""
    out.mkdir(parents=True, exist_ok=True)
    if machine is None:
        machine = compare.machine()
        (out / "incumbent.json").write_text(json.dumps(
            {"machine": machine, "date": started, "cg_reps": cg_reps, "reps": reps,
             "seconds": seconds, "callgrind": cg, "wallclock": wall}, indent=1) + "\n")
    parts = [
        "# The incumbent (`zmq` 0.10) measured the same way",
        "",
        f"Generated by `benches/perf/incumbent.py` on {started} ({seconds / 60:.1f} min); "
        f"machine: {machine}.",
        "",
        "- **C**: libzmq's own `perf/inproc_thr.cpp` / `perf/inproc_lat.cpp`, built by "
        "`compare.py` against the `libzmq.a` of our `zmq-sys` (see [README.md](README.md)).",
        "- **ours**: `examples/perf.rs` of this crate, on that same `libzmq.a`.",
        "- **incumbent**: `benches/incumbent/src/main.rs`, the same two programs written "
        "against `zmq` 0.10 from crates.io the way a user of that crate writes them "
        "(`socket.send(zmq::Message::with_size(size), 0)`, `socket.recv(&mut msg, 0)` "
        "with `msg.len()` checked, `recv_msg`/`send` to bounce the latency message). It is "
        "a standalone crate outside the workspace — both `zmq-sys` crates declare "
        "`links = \"zmq\"`, so they cannot share one dependency graph — and therefore "
        "links **its own** libzmq: 4.3.4, vendored by `zeromq-src` 0.2.6 (what its "
        "`zmq-sys` 0.12 pulls in) and compiled by that build script with its own flags "
        "and without libsodium — not the 4.3.5 `libzmq.a` the C and ours columns share. "
        "Part of any incumbent/C difference can come from that libzmq build rather than "
        "from the binding; the C programs were not rebuilt against the incumbent's libzmq.",
        "",
    ]
    if cg:
        parts += [
            "## Instructions per message (callgrind)",
            "",
            "As in `compare.py`: per message = (instructions at the high count − at the low "
            f"count) / (messages in between), all threads, median of {cg_reps} run(s) at each "
            "count, so process start-up cancels out. `inproc_lat` counts a message as half "
            "a round trip.",
            "",
            "| case | size | C instr/msg | ours | incumbent | ours/C | incumbent/C |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in cg:
            parts.append(
                f"| {row['case']} | {SIZE_NAMES[row['size']]} | {row['c']['marginal']:,.0f} "
                f"| {row['rust']['marginal']:,.0f} | {row['incumbent']['marginal']:,.0f} "
                f"| {row['rust/c']:.3f} | {row['incumbent/c']:.3f} |")
        parts += ["", "Cases:", ""]
        parts += [f"- `{case}`: {desc}." for case, _, _, desc in CASES]
        parts.append("")
    if wall:
        parts += [
            "## Wall clock: inproc_thr",
            "",
            f"{reps} runs of each program, C, ours and the incumbent interleaved (the order "
            "rotates every repetition); median msg/s, ratios of medians. On this shared "
            "2-core machine wall-clock figures vary by 10–30% from run to run; the "
            "instruction counts above are the figures to trust. The three senders do not "
            "do the same work (see the `inproc_thr` case above): C allocates a fresh "
            "uninitialised message, ours sends clones of one message, the incumbent "
            "allocates and zero-fills a fresh one; from 64 KiB on, allocation and zero-fill "
            "dominate these figures, not the binding's overhead.",
            "",
            "| size | count | C msg/s | ours msg/s | incumbent msg/s | ours/C | incumbent/C |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in wall:
            parts.append(
                f"| {SIZE_NAMES[row['size']]} | {row['count']:,} | {row['c']['median']:,.0f} "
                f"| {row['rust']['median']:,.0f} | {row['incumbent']['median']:,.0f} "
                f"| {row['rust/c']:.3f} | {row['incumbent/c']:.3f} |")
        parts.append("")
    parts += [
        "## Reproduce",
        "",
        "```sh",
        "benches/perf/incumbent.py           # builds benches/incumbent into target/incumbent",
        "cd benches/incumbent && cargo run --release --target-dir ../../target/incumbent -- inproc_thr 64 1000000",
        "```",
        "",
    ]
    (out / "incumbent.md").write_text("\n".join(parts))
    log(f"wrote {out}/incumbent.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cg-reps", type=int, default=3, help="callgrind runs per count (3)")
    parser.add_argument("--reps", type=int, default=3, help="wall-clock runs per program (3)")
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the harness only")
    parser.add_argument("--no-wallclock", action="store_true")
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    parser.add_argument("--from-json", type=Path, metavar="JSON",
                        help="rewrite incumbent.md from an earlier incumbent.json, measuring nothing")
    args = parser.parse_args()
    scale = 0.01 if args.quick else 1.0
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        write_report(args.out, data["callgrind"], data["wallclock"], data["cg_reps"],
                     data["reps"], data["date"], data["seconds"], data["machine"])
        return

    started = time.strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.monotonic()
    incumbent = build_incumbent()
    rust, zmq_out, sodium_out = compare.build_rust()
    c_bins = compare.build_c(zmq_out, sodium_out, ROOT / "target" / "perf-c")
    runner = Runner(c_bins, rust, incumbent)
    cg, wall = [], []
    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            sys.exit("valgrind is not installed, or pass --no-callgrind")
        log("callgrind: instructions per message...")
        cg = measure_callgrind(runner, args.cg_reps, scale)
    if not args.no_wallclock:
        log("wall clock: inproc_thr, interleaved...")
        wall = measure_wallclock(runner, args.reps, scale)
    write_report(args.out, cg, wall, args.cg_reps, args.reps, started, time.monotonic() - t0)


if __name__ == "__main__":
    main()
