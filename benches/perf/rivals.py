#!/usr/bin/env python3
"""Our binding against the pure-Rust ZeroMQ crates and the kernel's floor,
over tcp loopback, the way compare.py and async.py measure wall clock
(issue 21).

Programs, all with libzmq's perf arguments and output lines:

* ours, blocking and async: examples/perf.rs built with `--features tokio`;
* C: libzmq 4.3.5's perf programs, built by compare.py against our libzmq.a;
* zmq.rs 0.7: benches/zeromq/ (current-thread tokio);
* rzmq 0.5: benches/rzmq/ (current-thread tokio; RZMQ_PERF_RUNTIME=multi
  for the multi-thread runtime);
* omq-tokio 0.33: benches/omq/ (its own IO runtime: one current-thread IO
  thread unless OMQ_IO_THREADS says otherwise);
* floor: benches/floor/, a plain std TcpStream with a 4-byte length per
  message and 8 KiB buffers (libzmq's default batch): what loopback allows.

Every case runs each program in turn, the order rotating every repetition
(async.py's runner), and reports medians and, per repetition, the ratio of
our blocking figure to each other's (paired, so a drift of the machine's
speed cancels out).

Writes docs/perf/rivals.md and docs/perf/rivals.json.
Usage: benches/perf/rivals.py [--reps 5] [--thr-sizes 64,1024] [--lat-sizes 64]
                              [--scale 1.0] [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402
from compare import ROOT, SIZE_NAMES, log  # noqa: E402

# async.py's runner (its name is a keyword, so it is loaded by path).
_spec = importlib.util.spec_from_file_location("async_perf", HERE / "async.py")
aperf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(aperf)

LANGS = ("blocking", "async", "c", "zeromq", "rzmq", "omq", "floor")
LABEL = {"blocking": "ours, blocking", "async": "ours, async", "c": "libzmq C",
         "zeromq": "zmq.rs 0.7", "rzmq": "rzmq 0.5", "omq": "omq-tokio 0.33",
         "floor": "floor (std TCP)"}
CRATES = {"zeromq": ("zeromq", "zeromq-perf"), "rzmq": ("rzmq", "rzmq-perf"),
          "omq": ("omq", "omq-perf"), "floor": ("floor", "floor-perf")}


def build() -> dict:
    log("building examples/perf --features tokio (release)...")
    perf, out_dirs = aperf.cargo_exe(["cargo", "build", "--release", "--features", "tokio",
                                      "--example", "perf"], ROOT, "perf")
    zmq_out = next(p for k, p in out_dirs.items() if "zmq-sys" in k)
    sodium_out = next(p for k, p in out_dirs.items() if "libsodium-sys" in k)
    bins = {"perf": perf,
            "c": compare.build_c(zmq_out, sodium_out, ROOT / "target" / "perf-c")}
    for lang, (folder, name) in CRATES.items():
        log(f"building benches/{folder} (release)...")
        bins[lang], _ = aperf.cargo_exe(
            ["cargo", "build", "--release", "--target-dir", str(ROOT / "target" / folder)],
            ROOT / "benches" / folder, name)
    return bins


def measure(bins: dict, reps: int, cases: list[tuple[str, int]], scale: float) -> list[dict]:
    rows = []
    for test, size in cases:
        table = aperf.THR_COUNT if test == "thr" else aperf.LAT_COUNT
        count = max(10, int(table["tcp"][size] * scale))
        runs: dict[str, list[float]] = {lang: [] for lang in LANGS}
        for rep in range(reps):
            order = LANGS[rep % len(LANGS):] + LANGS[:rep % len(LANGS)]
            for lang in order:
                runs[lang].append(aperf.one_run(bins, lang, "tcp", test, size, count))
        row = {"test": test, "size": size, "count": count,
               **{lang: aperf.summary(values) for lang, values in runs.items()}}
        # Our blocking speed over each other's, pair by pair (>1: ours faster).
        row["blocking_speed"] = {}
        for other in LANGS:
            if other == "blocking":
                continue
            pairs = zip(runs["blocking"], runs[other])
            ratios = [b / o if test == "thr" else o / b for b, o in pairs]
            row["blocking_speed"][other] = aperf.summary(ratios)
        rows.append(row)
        unit = "msg/s" if test == "thr" else "us"
        log(f"  tcp {test} {SIZE_NAMES[size]:>6}: " + ", ".join(
            f"{lang} {row[lang]['median']:.6g}" for lang in LANGS) + f" {unit}")
    return rows


def fmt(test: str, value: float) -> str:
    return f"{value / 1e6:.2f} M" if test == "thr" else f"{value:.1f} µs"


def report(out: Path, rows: list[dict], reps: int, started: str, seconds: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "rivals.json").write_text(json.dumps(
        {"machine": compare.machine(), "date": started, "reps": reps, "rows": rows},
        indent=1) + "\n")
    name = {"thr": "PUSH/PULL msg/s", "lat": "REQ/REP one-way latency"}
    lines = [
        "# Against the pure-Rust crates and the kernel's floor (tcp loopback)",
        "",
        f"Generated by `benches/perf/rivals.py` on {started} ({seconds / 60:.1f} min); "
        f"machine: {compare.machine()}. {reps} runs of each program per case, the order "
        "rotating; medians. Throughput is what the receiver measures; latency is what "
        "the REQ side measures, one way (half a round trip), as libzmq's perf programs "
        "print it. Both processes share this 2-CPU machine with whatever else runs on "
        "it: read the paired ratios, not the absolute figures.",
        "",
        "| case | size | " + " | ".join(LABEL[lang] for lang in LANGS) + " |",
        "|---|---:|" + "---:|" * len(LANGS),
    ]
    for row in rows:
        lines.append(f"| {name[row['test']]} | {SIZE_NAMES[row['size']]} | " + " | ".join(
            fmt(row["test"], row[lang]["median"]) for lang in LANGS) + " |")
    lines += [
        "",
        "Our blocking API's speed over each other's, per interleaved pair (median, "
        "min–max; above 1: ours faster):",
        "",
        "| case | size | " + " | ".join(LABEL[lang] for lang in LANGS if lang != "blocking")
        + " |",
        "|---|---:|" + "---:|" * (len(LANGS) - 1),
    ]
    for row in rows:
        cells = []
        for lang in LANGS:
            if lang == "blocking":
                continue
            s = row["blocking_speed"][lang]
            cells.append(f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})")
        lines.append(f"| {name[row['test']]} | {SIZE_NAMES[row['size']]} | "
                     + " | ".join(cells) + " |")
    lines += [
        "",
        "Programs: `examples/perf.rs` (ours; async with `--features tokio`), libzmq's "
        "`perf/*.cpp` against the same `libzmq.a`, `benches/zeromq` (zmq.rs, "
        "current-thread tokio), `benches/rzmq` (current-thread tokio), `benches/omq` "
        "(omq's own IO runtime, one IO thread), `benches/floor` "
        "(std `TcpStream`, 4-byte length per message, 8 KiB buffers both ways, "
        "`TCP_NODELAY`). Reproduce: `benches/perf/rivals.py`.",
        "",
    ]
    (out / "rivals.md").write_text("\n".join(lines))
    log(f"wrote {out}/rivals.md and rivals.json")


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--thr-sizes", type=sizes, default=[64, 1024])
    parser.add_argument("--lat-sizes", type=sizes, default=[64])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the counts")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    args = parser.parse_args()
    for size in args.thr_sizes + args.lat_sizes:
        if size not in SIZE_NAMES:
            sys.exit(f"size {size}: one of {sorted(SIZE_NAMES)}")
    os.environ.setdefault("RZMQ_PERF_RUNTIME", "current")
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.monotonic()
    bins = build()
    cases = [("thr", s) for s in args.thr_sizes] + [("lat", s) for s in args.lat_sizes]
    rows = measure(bins, args.reps, cases, args.scale)
    report(args.out, rows, args.reps, started, time.monotonic() - t0)


if __name__ == "__main__":
    main()
