#!/usr/bin/env python3
"""Our binding against the pure-Rust ZeroMQ crates and the kernel's floor,
over tcp and ipc, 1 B to 1 MiB, the way compare.py and async.py measure
wall clock (issue 21).

Programs, all with libzmq's perf arguments and output lines:

* ours, blocking and async: examples/perf.rs built with `--features tokio`;
* C: libzmq 4.3.5's perf programs, built by compare.py against our libzmq.a;
* zmq.rs 0.7: benches/zeromq/ (current-thread tokio);
* rzmq 0.5: benches/rzmq/ (current-thread tokio; RZMQ_PERF_RUNTIME=multi
  for the multi-thread runtime);
* omq-tokio 0.33: benches/omq/ (its own IO runtime: one current-thread IO
  thread unless OMQ_IO_THREADS says otherwise);
* floor, std and tokio: benches/floor/, a plain byte stream (TcpStream or
  UnixStream) with a 4-byte length per message and 8 KiB buffers (libzmq's
  default batch): what the kernel allows, blocking and on a current-thread
  tokio runtime.

Every case runs each program in turn, the order rotating every repetition
(async.py's runner), and reports medians and, per repetition, the ratio of
our blocking figure to each other's (paired, so a drift of the machine's
speed cancels out).

One command builds every port and runs the whole comparison:

    benches/perf/rivals.py                  # ~25 min on 2 CPUs: 2 transports x 5 sizes
    benches/perf/rivals.py --quick          # a minute: checks every program runs
    benches/perf/rivals.py --from-json docs/perf/rivals.json   # rewrite the report

Writes docs/perf/rivals.md, docs/perf/rivals.json and docs/perf/rivals.svg.
Usage: benches/perf/rivals.py [--reps 5] [--sizes 1,64,1024,65536,1048576]
                              [--transports tcp,ipc] [--scale 0.5] [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402
from compare import ROOT, SIZE_NAMES, free_port, log, run_pair  # noqa: E402

# async.py's runner (its name is a keyword, so it is loaded by path).
_spec = importlib.util.spec_from_file_location("async_perf", HERE / "async.py")
aperf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(aperf)

LANGS = ("blocking", "async", "c", "zeromq", "rzmq", "omq", "floor", "floor_tokio")
LABEL = {"blocking": "ours, blocking", "async": "ours, async", "c": "libzmq C",
         "zeromq": "zmq.rs 0.7", "rzmq": "rzmq 0.5", "omq": "omq-tokio 0.33",
         "floor": "floor, std", "floor_tokio": "floor, tokio"}
CHALLENGERS = ("zeromq", "rzmq", "omq")
CRATES = {"zeromq": ("zeromq", "zeromq-perf"), "rzmq": ("rzmq", "rzmq-perf"),
          "omq": ("omq", "omq-perf"), "floor": ("floor", "floor-perf")}
# Seconds before a run counts as hung (the longest run takes a few seconds).
TIMEOUT = 30
# Over ipc, libzmq (C and ours alike) sometimes loses the tail of a
# throughput run at 1 B: the receiver, stopped at its high-water mark,
# takes the sender's hang-up (EPOLLHUP, which a Unix socket raises on close
# and epoll cannot mask) as an error and closes the connection with bytes
# unread, then waits forever for the rest (strace: 30,666 of 60,000 bytes
# read, then close; zeromq/libzmq#4660 reports the same loss over ipc).
# A run that hangs is run again, and counted.
RETRIES = 2
PARTIAL = ROOT / "target" / "rivals-partial.json"


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


def cmd(bins: dict, lang: str, program: str) -> list[str]:
    if lang == "c":
        return [str(bins["c"][program])]
    if lang == "blocking":
        return [str(bins["perf"]), program]
    if lang == "async":
        return [str(bins["perf"]), f"async_{program}"]
    if lang == "floor_tokio":
        return [str(bins["floor"]), f"tokio_{program}"]
    return [str(bins[lang]), program]


def one_run(bins: dict, lang: str, transport: str, test: str, size: int, count: int,
            ipc_dir: Path) -> float:
    """msg/s for thr, one-way microseconds for lat."""
    env = dict(os.environ, ZMQ_PERF_PAYLOAD="shared")
    if transport == "tcp":
        endpoint = f"tcp://127.0.0.1:{free_port()}"
    else:
        path = ipc_dir / f"{lang}-{test}-{size}.sock"
        path.unlink(missing_ok=True)
        endpoint = f"ipc://{path}"
    args = [endpoint, str(size), str(count)]
    return run_pair(cmd(bins, lang, f"local_{test}") + args,
                    cmd(bins, lang, f"remote_{test}") + args, endpoint, test, env, TIMEOUT,
                    f"{lang} {transport} {size}")


def one_run_retried(bins: dict, lang: str, transport: str, test: str, size: int, count: int,
                    ipc_dir: Path, hung: dict) -> float:
    for attempt in range(RETRIES + 1):
        try:
            return one_run(bins, lang, transport, test, size, count, ipc_dir)
        except subprocess.TimeoutExpired:
            hung[lang] = hung.get(lang, 0) + 1
            log(f"    {lang} {transport} {test} {SIZE_NAMES[size]}: hung, run again")
    log(f"    {lang} {transport} {test} {SIZE_NAMES[size]}: hung {RETRIES + 1} times, "
        "left out of this repetition")
    return math.nan


def summary(values: list[float]) -> dict:
    """Median, min and max of the runs that finished (a hung run is NaN)."""
    done = [v for v in values if not math.isnan(v)]
    if not done:
        return {"median": math.nan, "min": math.nan, "max": math.nan, "runs": values}
    return {"median": statistics.median(done), "min": min(done), "max": max(done),
            "runs": values}


def measure(bins: dict, reps: int, cases: list[tuple[str, str, int]], scale: float) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="zmq-rivals-") as tmp:
        for transport, test, size in cases:
            table = aperf.THR_COUNT if test == "thr" else aperf.LAT_COUNT
            count = max(10, int(table["tcp"][size] * scale))
            runs: dict[str, list[float]] = {lang: [] for lang in LANGS}
            hung: dict[str, int] = {}
            for rep in range(reps):
                order = LANGS[rep % len(LANGS):] + LANGS[:rep % len(LANGS)]
                for lang in order:
                    runs[lang].append(one_run_retried(bins, lang, transport, test, size, count,
                                                      Path(tmp), hung))
            row = {"transport": transport, "test": test, "size": size, "count": count,
                   "load": os.getloadavg()[0], "hung": hung,
                   **{lang: summary(values) for lang, values in runs.items()}}
            # Our blocking speed over each other's, pair by pair (>1: ours faster).
            row["blocking_speed"] = {}
            for other in LANGS:
                if other == "blocking":
                    continue
                pairs = zip(runs["blocking"], runs[other])
                ratios = [b / o if test == "thr" else o / b for b, o in pairs]
                row["blocking_speed"][other] = summary(ratios)
            rows.append(row)
            # Kept as it goes: a run cut short still leaves its rows
            # (rewrite the report from them with --from-json).
            PARTIAL.write_text(json.dumps(
                {"machine": compare.machine(), "date": "partial", "reps": reps,
                 "scale": scale, "seconds": 0, "rows": rows}, indent=1) + "\n")
            unit = "msg/s" if test == "thr" else "us"
            log(f"  {transport} {test} {SIZE_NAMES[size]:>6}: " + ", ".join(
                f"{lang} {row[lang]['median']:.6g}" for lang in LANGS)
                + f" {unit} (load {row['load']:.1f})")
    return rows


def fmt(test: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    if test == "lat":
        return f"{value:.1f} µs"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.1f} k"


NAME = {"thr": "PUSH/PULL msg/s", "lat": "REQ/REP one-way latency"}


def fastest_challenger(row: dict) -> str:
    sign = 1 if row["test"] == "thr" else -1
    return max(CHALLENGERS, key=lambda lang: -math.inf if math.isnan(row[lang]["median"])
               else sign * row[lang]["median"])


def targets(rows: list[dict]) -> list[str]:
    """Issue 21's targets, from this run's paired ratios (ours, blocking)."""
    out = []
    for transport in sorted({r["transport"] for r in rows}, key=("tcp", "ipc").index):
        for test, size, goal, what in (("thr", 64, 1.0, "throughput at 64 B ≥ the fastest "
                                        "challenger"),
                                       ("thr", 1024, 0.85, "throughput at 1 KiB ≥ 0.85× the "
                                        "fastest challenger")):
            row = next((r for r in rows if (r["transport"], r["test"], r["size"])
                        == (transport, test, size)), None)
            if not row:
                continue
            best = fastest_challenger(row)
            s = row["blocking_speed"][best]
            verdict = "met" if s["median"] >= goal else "**not met**"
            out.append(f"- {transport}, {what}: ours, blocking, {s['median']:.2f}× "
                       f"{LABEL[best]} ({s['min']:.2f}–{s['max']:.2f}): {verdict};")
    return out


def hung_note(rows: list[dict]) -> list[str]:
    """Which runs hung and were run again (see RETRIES)."""
    hung = [f"{r['transport']} {r['test']} {SIZE_NAMES[r['size']]}: "
            + ", ".join(f"{LABEL[lang]} {n}" for lang, n in r.get("hung", {}).items())
            for r in rows if r.get("hung")]
    if not hung:
        return []
    return ["Runs that hung (no result within 30 s) and were run again, at most "
            f"{RETRIES} times before the repetition is left out: " + "; ".join(hung)
            + ". Over ipc at 1 B libzmq itself (C and ours alike) sometimes loses the "
            "tail of a throughput run: the receiver, stopped at its high-water mark, takes "
            "the sender's hang-up (EPOLLHUP, which a Unix socket raises on close) as an "
            "error and closes the connection with bytes unread (strace: 30,666 of 60,000 "
            "bytes read, then `close`), then waits for the rest forever; libzmq issue "
            "zeromq/libzmq#4660 (open) reports the same loss over ipc with a small receive "
            "high-water mark.", ""]


def markdown(report: dict) -> str:
    rows = report["rows"]
    loads = [r["load"] for r in rows]
    lines = [
        "# Against the pure-Rust crates and the kernel's floor",
        "",
        f"Generated by `benches/perf/rivals.py` on {report['date']} "
        f"({report['seconds'] / 60:.1f} min); machine: {report['machine']}; load average "
        f"during the runs {min(loads):.1f}–{max(loads):.1f} (one-minute, read after each "
        f"case). {report['reps']} runs of each program per case, the order rotating; "
        "medians. Throughput is what the receiver measures; latency is what the REQ side "
        "measures, one way (half a round trip), as libzmq's perf programs print it. Both "
        "processes of a run share this 2-CPU machine with whatever else runs on it: read "
        "the paired ratios, not the absolute figures.",
        "",
        "![every program against ours, per case](rivals.svg)",
        "",
        "## Against the targets of issue 21",
        "",
        *targets(rows),
        "",
        "## Medians",
        "",
        "| transport | case | size | " + " | ".join(LABEL[lang] for lang in LANGS) + " |",
        "|---|---|---:|" + "---:|" * len(LANGS),
    ]
    for row in rows:
        best = fastest_challenger(row)
        cells = []
        for lang in LANGS:
            text = fmt(row["test"], row[lang]["median"])
            cells.append(f"**{text}**" if lang == best else text)
        lines.append(f"| {row['transport']} | {NAME[row['test']]} | {SIZE_NAMES[row['size']]} | "
                     + " | ".join(cells) + " |")
    lines += [
        "",
        "Bold: the fastest of the three pure-Rust ZeroMQ crates in that case.",
        "",
        *hung_note(rows),
        "## Paired ratios",
        "",
        "Our blocking API's speed over each other's, per interleaved pair (median, "
        "min–max; above 1: ours faster):",
        "",
        "| transport | case | size | " + " | ".join(
            LABEL[lang] for lang in LANGS if lang != "blocking") + " |",
        "|---|---|---:|" + "---:|" * (len(LANGS) - 1),
    ]
    for row in rows:
        cells = []
        for lang in LANGS:
            if lang == "blocking":
                continue
            s = row["blocking_speed"][lang]
            cells.append("–" if math.isnan(s["median"])
                         else f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})")
        lines.append(f"| {row['transport']} | {NAME[row['test']]} | {SIZE_NAMES[row['size']]} | "
                     + " | ".join(cells) + " |")
    lines += [
        "",
        "## What runs",
        "",
        "- **ours**: `examples/perf.rs` built with `--features tokio` (blocking: "
        "`local_thr`...; async: `async_local_thr`..., one current-thread tokio runtime); "
        "libzmq's defaults (one I/O thread, 8 KiB batches).",
        "- **libzmq C**: libzmq's own `perf/*.cpp` against the same `libzmq.a`.",
        "- **zmq.rs**: `benches/zeromq`, current-thread tokio.",
        "- **rzmq**: `benches/rzmq`, current-thread tokio (its default features, no io_uring).",
        "- **omq-tokio**: `benches/omq`, omq's own IO runtime (one IO thread), default "
        "options.",
        "- **floor, std / tokio**: `benches/floor`, a plain `TcpStream` (ipc: `UnixStream`) "
        "with a 4-byte length per message, 8 KiB buffers both ways, `TCP_NODELAY`; blocking "
        "std sockets, or the same loops on a current-thread tokio runtime.",
        "",
        "The senders of every program send the same zeroed body again (a reference count "
        "per message where the API allows it). Reproduce: `benches/perf/rivals.py` (it "
        "builds everything it runs; `--quick` checks the harness in about a minute).",
        "",
    ]
    return "\n".join(lines)


COLORS = {"blocking": "#1f4e9c", "async": "#6f9fe0", "c": "#2e8b57", "zeromq": "#c44e52",
          "rzmq": "#e0892b", "omq": "#8e44ad", "floor": "#555555", "floor_tokio": "#999999"}
DASH = {"floor": "6,3", "floor_tokio": "2,3", "async": "4,2"}


def svg(rows: list[dict]) -> str:
    """One panel per transport and test: each program's figure against the
    message size, log-log, so every row is seen, the ones we lose included."""
    transports = [t for t in ("tcp", "ipc") if any(r["transport"] == t for r in rows)]
    panels = [(t, test) for t in transports for test in ("thr", "lat")]
    pw, ph, ml, mt, gap = 330, 230, 62, 52, 40
    width = ml + len(panels) * (pw + gap) + 10
    height = mt + ph + 110
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" '
           f'font-weight="bold">Medians per message size (log-log): throughput higher is '
           f'better, latency lower is better</text>']
    for i, (transport, test) in enumerate(panels):
        x0 = ml + i * (pw + gap)
        sub = sorted((r for r in rows if r["transport"] == transport and r["test"] == test),
                     key=lambda r: r["size"])
        if not sub:
            continue
        values = [r[lang]["median"] for r in sub for lang in LANGS
                  if not math.isnan(r[lang]["median"])]
        lo = 10 ** math.floor(math.log10(min(values)))
        hi = 10 ** math.ceil(math.log10(max(values)))
        sizes = [r["size"] for r in sub]
        smin, smax = math.log2(sizes[0]), math.log2(sizes[-1])

        def px(size: int) -> float:
            span = (smax - smin) or 1
            return x0 + 10 + (pw - 20) * (math.log2(size) - smin) / span

        def py(value: float) -> float:
            return mt + ph * (1 - (math.log10(value) - math.log10(lo))
                              / (math.log10(hi) - math.log10(lo)))

        title = {"thr": "PUSH/PULL, msg/s", "lat": "REQ/REP, one-way µs"}[test]
        out.append(f'<text x="{x0 + pw / 2}" y="{mt - 10}" text-anchor="middle" '
                   f'font-weight="bold">{transport}: {title}</text>')
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" '
                   f'stroke="#888"/>')
        decade = lo
        while decade <= hi * 1.001:
            for mult in (1, 2, 5):
                v = decade * mult
                if v > hi * 1.001:
                    break
                y = py(v)
                out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                           f'stroke="{"#ccc" if mult == 1 else "#eee"}"/>')
                label = f"{v / 1e6:g} M" if v >= 1e6 else (f"{v / 1e3:g} k" if v >= 1e3
                                                           else f"{v:g}")
                out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
            decade *= 10
        for size in sizes:
            out.append(f'<text x="{px(size):.1f}" y="{mt + ph + 14}" text-anchor="middle">'
                       f'{SIZE_NAMES[size]}</text>')
        for lang in LANGS:
            done = [r for r in sub if not math.isnan(r[lang]["median"])]
            points = " ".join(f"{px(r['size']):.1f},{py(r[lang]['median']):.1f}" for r in done)
            dash = f' stroke-dasharray="{DASH[lang]}"' if lang in DASH else ""
            out.append(f'<polyline points="{points}" fill="none" stroke="{COLORS[lang]}" '
                       f'stroke-width="{2.5 if lang == "blocking" else 1.6}"{dash}>'
                       f'<title>{LABEL[lang]}</title></polyline>')
            for r in done:
                out.append(f'<circle cx="{px(r["size"]):.1f}" cy="{py(r[lang]["median"]):.1f}" '
                           f'r="2.5" fill="{COLORS[lang]}"><title>{LABEL[lang]}, '
                           f'{SIZE_NAMES[r["size"]]}: {fmt(test, r[lang]["median"])}</title>'
                           f'</circle>')
    for j, lang in enumerate(LANGS):
        lx = ml + (j % 4) * 190
        ly = mt + ph + 45 + (j // 4) * 20
        dash = f' stroke-dasharray="{DASH[lang]}"' if lang in DASH else ""
        out.append(f'<line x1="{lx}" x2="{lx + 26}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{COLORS[lang]}" stroke-width="2.5"{dash}/>')
        out.append(f'<text x="{lx + 32}" y="{ly}">{LABEL[lang]}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(out: Path, report: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "rivals.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "rivals.svg").write_text(svg(report["rows"]))
    (out / "rivals.md").write_text(markdown(report))
    log(f"wrote {out}/rivals.md, rivals.json and rivals.svg")


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sizes", type=sizes, default=[1, 64, 1024, 65536, 1 << 20])
    parser.add_argument("--transports", default="tcp,ipc")
    parser.add_argument("--scale", type=float, default=0.5, help="multiplies the counts")
    parser.add_argument("--quick", action="store_true",
                        help="1 repetition, tiny counts: checks that every program runs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    parser.add_argument("--from-json", type=Path, help="rewrite the report from a rivals.json")
    args = parser.parse_args()
    if args.from_json:
        write(args.out, json.loads(args.from_json.read_text()))
        return
    for size in args.sizes:
        if size not in SIZE_NAMES:
            sys.exit(f"size {size}: one of {sorted(SIZE_NAMES)}")
    transports = [t for t in args.transports.split(",") if t]
    if any(t not in ("tcp", "ipc") for t in transports):
        sys.exit("transports: tcp, ipc")
    if args.quick:
        args.reps, args.scale = 1, 0.02
        if args.out == ROOT / "docs" / "perf":
            args.out = ROOT / "target" / "rivals-quick"
    os.environ.setdefault("RZMQ_PERF_RUNTIME", "current")
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.monotonic()
    bins = build()
    cases = [(t, test, s) for t in transports for test in ("thr", "lat") for s in args.sizes]
    rows = measure(bins, args.reps, cases, args.scale)
    write(args.out, {"machine": compare.machine(), "date": started, "reps": args.reps,
                     "scale": args.scale, "seconds": time.monotonic() - t0, "rows": rows})


if __name__ == "__main__":
    main()
