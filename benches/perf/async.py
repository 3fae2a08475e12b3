#!/usr/bin/env python3
"""The async layer (zmq::tokio) next to our blocking API, libzmq's C perf
programs, zmq.rs (the pure-Rust `zeromq` crate) and tmq (tokio over the
incumbent `zmq` 0.10), measured the way compare.py measures wall clock.

* ours, blocking: examples/perf.rs (local_thr, remote_thr, ...);
* ours, async: the same example built with `--features tokio`, programs
  async_local_thr, async_remote_thr, ... (examples/common/async_perf.rs);
* C: libzmq 4.3.5's perf programs, built by compare.py against our libzmq.a;
* zmq.rs: benches/zeromq/ (tcp only: zmq.rs has no inproc);
* tmq: benches/tmq/ (tcp; it links its own libzmq 4.3.4 through zmq-sys 0.12).

Every case runs each program in turn, the order rotating every repetition,
and reports medians and the paired ratios of ours-async to each other.
Throughput is what the receiver (local_thr) measures; latency is what the
client (remote_lat) measures: one-way microseconds of a REQ/REP bounce.

Writes docs/perf/async.md, docs/perf/async.json and docs/perf/async.svg.

Usage: benches/perf/async.py [--reps N] [--sizes 64,65536] [--scale F] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402
from compare import LAT_RE, ROOT, SIZE_NAMES, THR_RE, free_port, log, parse, run  # noqa: E402

LANGS = ("async", "blocking", "c", "zeromq", "tmq")
LABEL = {"async": "ours, async", "blocking": "ours, blocking", "c": "C (libzmq perf)",
         "zeromq": "zmq.rs 0.4", "tmq": "tmq 0.5"}
TCP_ONLY = {"zeromq", "tmq"}
# Per-run counts: a fraction of a second to a few seconds of work each.
THR_COUNT = {"tcp": {1: 300_000, 64: 300_000, 1024: 100_000, 65536: 5_000, 1 << 20: 300},
             "inproc": {1: 1_000_000, 64: 1_000_000, 1024: 300_000, 65536: 50_000, 1 << 20: 3_000}}
LAT_COUNT = {"tcp": {1: 5_000, 64: 5_000, 1024: 5_000, 65536: 1_000, 1 << 20: 100},
             "inproc": {1: 20_000, 64: 20_000, 1024: 20_000, 65536: 10_000, 1 << 20: 1_000}}
TIMEOUT = 300


def cargo_exe(cmd: list[str], cwd: Path, name: str) -> tuple[Path, dict[str, Path]]:
    out = run(cmd + ["--message-format=json"], cwd=cwd, stdout=subprocess.PIPE).stdout
    exe, out_dirs = None, {}
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "build-script-executed":
            out_dirs[msg["package_id"]] = Path(msg["out_dir"])
        elif (msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == name
              and msg.get("executable")):
            exe = Path(msg["executable"])
    if not exe:
        sys.exit(f"could not find the {name} binary")
    return exe, out_dirs


def build() -> dict[str, object]:
    log("building examples/perf --features tokio (release)...")
    perf, out_dirs = cargo_exe(["cargo", "build", "--release", "--features", "tokio",
                                "--example", "perf"], ROOT, "perf")
    zmq_out = next(p for k, p in out_dirs.items() if "zmq-sys" in k)
    sodium_out = next(p for k, p in out_dirs.items() if "libsodium-sys" in k)
    c_bins = compare.build_c(zmq_out, sodium_out, ROOT / "target" / "perf-c")
    log("building benches/zeromq and benches/tmq (release)...")
    zeromq, _ = cargo_exe(["cargo", "build", "--release", "--target-dir",
                           str(ROOT / "target" / "zeromq")], ROOT / "benches" / "zeromq", "zeromq-perf")
    tmq, _ = cargo_exe(["cargo", "build", "--release", "--target-dir",
                        str(ROOT / "target" / "tmq")], ROOT / "benches" / "tmq", "tmq-perf")
    return {"perf": perf, "c": c_bins, "zeromq": zeromq, "tmq": tmq}


def cmd(bins: dict, lang: str, program: str) -> list[str]:
    if lang == "c":
        return [str(bins["c"][program])]
    if lang == "blocking":
        return [str(bins["perf"]), program]
    if lang == "async":
        return [str(bins["perf"]), f"async_{program}"]
    return [str(bins[lang]), program]


def wait_listening(port: int, deadline: float) -> None:
    """zmq.rs refuses to connect before the other side listens: wait for it."""
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.01)
    raise RuntimeError(f"nothing listens on port {port}")


def one_run(bins: dict, lang: str, transport: str, test: str, size: int, count: int) -> float:
    """msg/s for thr, one-way microseconds for lat."""
    env = dict(os.environ, ZMQ_PERF_PAYLOAD="shared")
    pattern = THR_RE if test == "thr" else LAT_RE
    if transport == "inproc":
        out = run(cmd(bins, lang, f"inproc_{test}") + [str(size), str(count)],
                  stdout=subprocess.PIPE, timeout=TIMEOUT, env=env).stdout
        return parse(pattern, out, f"{lang} inproc_{test} {size}")
    port = free_port()
    args = [f"tcp://127.0.0.1:{port}", str(size), str(count)]
    local = subprocess.Popen(cmd(bins, lang, f"local_{test}") + args, text=True,
                             stdout=subprocess.PIPE, env=env)
    try:
        wait_listening(port, time.monotonic() + 10)
        remote = subprocess.Popen(cmd(bins, lang, f"remote_{test}") + args, text=True,
                                  stdout=subprocess.PIPE, env=env)
        try:
            if test == "thr":
                out, _ = local.communicate(timeout=TIMEOUT)
                return parse(pattern, out, f"{lang} local_thr {size}")
            out, _ = remote.communicate(timeout=TIMEOUT)
            return parse(pattern, out, f"{lang} remote_lat {size}")
        finally:
            remote.kill()  # zmq.rs's sender waits to be killed (it has no linger)
            remote.wait()
    finally:
        local.kill()  # local_lat sleeps a second after the last reply
        local.wait()


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def measure(bins: dict, reps: int, sizes: list[int], scale: float) -> list[dict]:
    rows = []
    for transport in ("tcp", "inproc"):
        for test in ("thr", "lat"):
            for size in sizes:
                table = THR_COUNT if test == "thr" else LAT_COUNT
                count = max(10, int(table[transport][size] * scale))
                langs = [lang for lang in LANGS if transport == "tcp" or lang not in TCP_ONLY]
                runs: dict[str, list[float]] = {lang: [] for lang in langs}
                for rep in range(reps):
                    order = langs[rep % len(langs):] + langs[:rep % len(langs)]
                    for lang in order:
                        runs[lang].append(one_run(bins, lang, transport, test, size, count))
                row = {"transport": transport, "test": test, "size": size, "count": count,
                       **{lang: summary(values) for lang, values in runs.items()}}
                # Paired ratios of async to each other, as speed (>1: async faster).
                row["speed"] = {}
                for other in langs:
                    if other == "async":
                        continue
                    pairs = zip(runs["async"], runs[other])
                    ratios = [a / o if test == "thr" else o / a for a, o in pairs]
                    row["speed"][other] = summary(ratios)
                rows.append(row)
                unit = "msg/s" if test == "thr" else "us"
                log(f"  {transport:6} {test} {SIZE_NAMES[size]:>6}: " + ", ".join(
                    f"{lang} {row[lang]['median']:.6g}" for lang in langs) + f" {unit}")
    return rows


def fmt(test: str, value: float) -> str:
    return f"{value:,.0f}" if test == "thr" else f"{value:.2f}"


def table(rows: list[dict]) -> str:
    lines = ["| transport | test | size | " + " | ".join(LABEL[lang] for lang in LANGS)
             + " | async ÷ blocking | async ÷ C | async ÷ zmq.rs | async ÷ tmq |",
             "|---|---|---|" + "---:|" * (len(LANGS) + 4)]
    for row in rows:
        test = row["test"]
        cells = [fmt(test, row[lang]["median"]) if lang in row else "–" for lang in LANGS]
        speed = [f"{row['speed'][o]['median']:.2f}" if o in row["speed"] else "–"
                 for o in ("blocking", "c", "zeromq", "tmq")]
        unit = "msg/s" if test == "thr" else "µs one way"
        lines.append(f"| {row['transport']} | {test} ({unit}) | {SIZE_NAMES[row['size']]} | "
                     + " | ".join(cells) + " | " + " | ".join(speed) + " |")
    return "\n".join(lines)


COLORS = {"blocking": "#4c72b0", "c": "#55a868", "zeromq": "#c44e52", "tmq": "#8172b2"}


def write_svg(path: Path, rows: list[dict]) -> None:
    """Bars: ours-async's speed relative to each other, per case (log scale)."""
    import math
    cases = [r for r in rows]
    others = ("blocking", "c", "zeromq", "tmq")
    width, left, top, plot_h = 140 + 70 * len(cases), 60, 40, 260
    height = top + plot_h + 110
    lo, hi = math.log10(0.1), math.log10(10)
    y = lambda v: top + plot_h * (1 - (min(max(math.log10(v), lo), hi) - lo) / (hi - lo))  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">'
           f'ours, async: speed relative to each (median of paired runs; &gt;1 = async faster)</text>']
    for v in (0.1, 0.25, 0.5, 1, 2, 4, 10):
        out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   f'stroke="{"#444" if v == 1 else "#ddd"}"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:g}×</text>')
    group = 70
    for i, row in enumerate(cases):
        gx = left + 10 + i * group
        for j, other in enumerate(others):
            if other not in row["speed"]:
                continue
            value = row["speed"][other]["median"]
            bx = gx + j * 14
            base, top_y = y(1), y(value)
            out.append(f'<rect x="{bx}" y="{min(base, top_y):.1f}" width="12" '
                       f'height="{max(abs(base - top_y), 1):.1f}" fill="{COLORS[other]}">'
                       f'<title>{other}: {value:.3f}</title></rect>')
        label = f'{row["transport"]} {row["test"]} {SIZE_NAMES[row["size"]]}'
        out.append(f'<text transform="translate({gx + 28},{top + plot_h + 12}) rotate(40)" '
                   f'font-size="10">{label}</text>')
    for j, other in enumerate(others):
        lx = left + j * 150
        ly = height - 14
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{COLORS[other]}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly}" font-size="11">vs {LABEL[other]}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def write_report(out: Path, rows: list[dict], reps: int) -> None:
    (out / "async.json").write_text(json.dumps(rows, indent=1) + "\n")
    write_svg(out / "async.svg", rows)
    text = f"""# The async layer's speed

Written by `benches/perf/async.py` ({reps} interleaved repetitions per case,
{compare.machine()}). Medians; the ratio columns are medians of the paired
ratios (run *i* of async against run *i* of the other), oriented as speed:
above 1 the async layer is faster. Throughput is counted by the receiver,
latency is one way (half a REQ/REP round trip). The machine is shared with
other work, so single figures move between runs; the paired ratios are the
figures to quote.

![async speed ratios](async.svg)

{table(rows)}

What runs:
- **ours, async**: `examples/perf.rs` built with `--features tokio`, programs
  `async_*` (`examples/common/async_perf.rs`): one current-thread tokio
  runtime per program, an `AsyncSocket`, `send`/`recv` futures.
- **ours, blocking**: the same binary's blocking ports of libzmq's programs.
- **C**: libzmq 4.3.5's own perf programs, compiled against our `libzmq.a`.
- **zmq.rs**: `benches/zeromq/`, the `zeromq` 0.4 crate (pure Rust; no inproc).
- **tmq**: `benches/tmq/`, tmq 0.5 over the incumbent `zmq` 0.10 (its own libzmq 4.3.4).
  Its sender builds a fresh message per send (its API takes multipart messages by value).
"""
    (out / "async.md").write_text(text)
    log(f"wrote {out / 'async.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sizes", default="64,65536")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    parser.add_argument("--from-json", type=Path)
    args = parser.parse_args()
    if args.from_json:
        rows = json.loads(args.from_json.read_text())
    else:
        bins = build()
        rows = measure(bins, args.reps, [int(s) for s in args.sizes.split(",")], args.scale)
    args.out.mkdir(parents=True, exist_ok=True)
    write_report(args.out, rows, args.reps)


if __name__ == "__main__":
    main()
