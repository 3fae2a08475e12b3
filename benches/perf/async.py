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

It also counts instructions per message under callgrind (inproc, 64 B,
async and blocking): unlike wall time, those do not move with the load of a
shared machine. Per message = (total at N2 - total at N1) / (N2 - N1), so
start-up and tear-down cancel out.

Writes docs/perf/async.md, docs/perf/async.json and docs/perf/async.svg.
Cost: with the defaults (5 sizes, 7 repetitions) about 12 minutes of runs on
a 2-CPU machine, plus the release builds.

Usage: benches/perf/async.py [--reps N] [--sizes 1,64,1024,65536,1048576] [--scale F]
                             [--no-callgrind] [--out DIR]
       benches/perf/async.py --thread-safe [--reps N]

--thread-safe measures the thread-safe (draft) socket types instead, async
(zmq::tokio::AsyncThreadSafeSocket) against blocking (ThreadSafeSocket),
64 B over tcp and inproc: CLIENT/SERVER round trips (ts_lat, ts_async_lat)
and SCATTER/GATHER throughput (ts_thr, ts_async_thr), the two programs of a
case alternating, the order rotating; plus callgrind instructions per
message. It prints a Markdown section (the one in docs/perf/async.md) and
writes nothing. Build: `--features draft,tokio` into target/draft.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in benches/perf
sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare  # noqa: E402
from compare import LAT_RE, ROOT, SIZE_NAMES, THR_RE, free_port, log, parse, run, run_pair  # noqa: E402

LANGS = ("async", "blocking", "c", "zeromq", "tmq")
LABEL = {"async": "ours, async", "blocking": "ours, blocking", "c": "C (libzmq perf)",
         "zeromq": "zmq.rs 0.7", "tmq": "tmq 0.5"}
TCP_ONLY = {"zeromq", "tmq"}
# Per-run counts: about a second of work for the fastest program of a case
# (shorter runs are mostly start-up and noise), a few seconds for the slowest
# (zmq.rs, tmq), so that a full run (5 sizes x 2 transports x 2 tests x 3-5
# programs x 7 repetitions) takes about 12 minutes on 2 CPUs.
THR_COUNT = {"tcp": {1: 1_000_000, 64: 1_000_000, 1024: 300_000, 65536: 20_000, 1 << 20: 1_000},
             "inproc": {1: 5_000_000, 64: 5_000_000, 1024: 2_000_000, 65536: 1_000_000,
                        1 << 20: 300_000}}
LAT_COUNT = {"tcp": {1: 20_000, 64: 20_000, 1024: 20_000, 65536: 5_000, 1 << 20: 500},
             "inproc": {size: 100_000 for size in (1, 64, 1024, 65536, 1 << 20)}}
TIMEOUT = 300
# Callgrind: (N1, N2) messages for thr, round trips for lat; 64 B, inproc.
CG_CASES = {"thr": (100_000, 300_000), "lat": (10_000, 30_000)}
CG_SIZE = 64


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


def one_run(bins: dict, lang: str, transport: str, test: str, size: int, count: int) -> float:
    """msg/s for thr, one-way microseconds for lat."""
    env = dict(os.environ, ZMQ_PERF_PAYLOAD="shared")
    pattern = THR_RE if test == "thr" else LAT_RE
    if transport == "inproc":
        out = run(cmd(bins, lang, f"inproc_{test}") + [str(size), str(count)],
                  stdout=subprocess.PIPE, timeout=TIMEOUT, env=env).stdout
        return parse(pattern, out, f"{lang} inproc_{test} {size}")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    args = [endpoint, str(size), str(count)]
    return run_pair(cmd(bins, lang, f"local_{test}") + args,
                    cmd(bins, lang, f"remote_{test}") + args, endpoint, test, env, TIMEOUT,
                    f"{lang} {size}")


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



def callgrind_total(bins: dict, lang: str, program: str, size: int, count: int) -> int:
    """Instructions of one whole run (all threads) under callgrind."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               *cmd(bins, lang, program), str(size), str(count)]
    env = dict(os.environ, ZMQ_PERF_PAYLOAD="shared")
    proc = subprocess.run(command, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=TIMEOUT * 4, env=env)
    match = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or not match:
        raise RuntimeError(f"callgrind {command} failed:\n{proc.stderr[-2000:]}")
    return int(match.group(1))


def measure_instructions(bins: dict) -> list[dict]:
    """Marginal instructions per message (thr) and per round trip (lat),
    async and blocking, inproc at 64 B; two runs at a time (the counts do not
    depend on the load)."""
    jobs = [(test, lang, count) for test, counts in CG_CASES.items()
            for lang in ("async", "blocking") for count in counts]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {job: pool.submit(callgrind_total, bins, job[1], f"inproc_{job[0]}",
                                    CG_SIZE, job[2]) for job in jobs}
        totals = {job: future.result() for job, future in futures.items()}
    rows = []
    for test, (low, high) in CG_CASES.items():
        per = {lang: (totals[(test, lang, high)] - totals[(test, lang, low)]) / (high - low)
               for lang in ("async", "blocking")}
        rows.append({"test": test, "size": CG_SIZE, "counts": [low, high], **per,
                     "ratio": per["async"] / per["blocking"]})
        log(f"  callgrind inproc {test}: async {per['async']:.0f}, blocking "
            f"{per['blocking']:.0f} instructions per {'message' if test == 'thr' else 'round trip'}")
    return rows


def instructions_table(rows: list[dict]) -> str:
    lines = ["| inproc, 64 B | unit | ours, async | ours, blocking | async ÷ blocking |",
             "|---|---|---:|---:|---:|"]
    for row in rows:
        unit = "per message" if row["test"] == "thr" else "per round trip"
        lines.append(f"| {row['test']} | {unit} | {row['async']:,.0f} | {row['blocking']:,.0f} "
                     f"| {row['ratio']:.2f} |")
    return "\n".join(lines)


def find(rows: list[dict], transport: str, test: str, size: int) -> dict | None:
    return next((r for r in rows if (r["transport"], r["test"], r["size"]) == (transport, test, size)),
                None)


def targets(rows: list[dict]) -> str:
    """Issue 13's targets, from this run's paired ratios."""
    def speed(row: dict | None, other: str) -> str:
        return f"{row['speed'][other]['median']:.2f}×" if row and other in row["speed"] else "–"

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    out = []
    thr = find(rows, "tcp", "thr", 64)
    if thr:
        b, z = thr["speed"]["blocking"]["median"], thr["speed"].get("zeromq", {}).get("median")
        out.append(f"- async throughput at 64 B over tcp: {b:.2f}× blocking (target ≥ 0.9×: "
                   f"{verdict(b >= 0.9)})" + (f", {z:.2f}× zmq.rs (target ≥ 2×: {verdict(z >= 2)})"
                                             if z else "") + ";")
    for transport in ("tcp", "inproc"):
        lats = [r for r in rows if r["transport"] == transport and r["test"] == "lat"]
        if not lats:
            continue
        # Latency as a cost: blocking ÷ async speed inverted = async time ÷ blocking time.
        worst = max(lats, key=lambda r: 1 / r["speed"]["blocking"]["median"])
        cost = 1 / worst["speed"]["blocking"]["median"]
        # Each with the range of its paired ratios: how far one pair can stray.
        each = ", ".join(f"{SIZE_NAMES[r['size']]} {1 / r['speed']['blocking']['median']:.2f}× "
                         f"({1 / r['speed']['blocking']['max']:.2f}–"
                         f"{1 / r['speed']['blocking']['min']:.2f})" for r in lats)
        out.append(f"- round-trip latency over {transport}, async ÷ blocking (median of the "
                   f"paired ratios, their range in brackets): {each}; target ≤ 1.15×: "
                   f"{verdict(cost <= 1.15)}"
                   + ("" if cost <= 1.15 else f", worst at {SIZE_NAMES[worst['size']]}") + ";")
    inproc = [r for r in rows if r["transport"] == "inproc" and r["test"] == "thr"]
    if inproc:
        out.append("- throughput over inproc (no target), async ÷ blocking: " + ", ".join(
            f"{SIZE_NAMES[r['size']]} {speed(r, 'blocking')}" for r in inproc) + ";")
    out.append("- zero Rust allocations per message in a receive loop, waits included: "
               "`tests/async_alloc.rs` (a counting global allocator) checks it.")
    return "\n".join(out)

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


# Where the async layer's extra cost is: from profiling the inproc programs
# (strace, perf record, callgrind); the figures it quotes are per wait and
# do not depend on the run above.
COST = """## Where the extra cost is

Profiled on the inproc programs at 64 B (`strace -f`, `perf stat`,
`perf record`, callgrind), async against blocking:

- **A receive that has to wait** (every message of a latency test). The
  blocking API lets libzmq block in `poll` on the socket's mailbox eventfd.
  The async layer's receive attempt fails (libzmq polls the eventfd with a
  zero timeout), then reads `ZMQ_EVENTS` before waiting (a second such
  `poll`: the readiness rule of issue 13, which stays), returns `Pending`,
  and tokio's reactor waits in `epoll_wait`; after the wake-up both do the
  same `read` and `poll`. That is 12 system calls per receive-and-reply
  against 10 (`perf stat`: 19.4 against 16.0 per round trip), and the
  peer's eventfd write wakes the waiter through epoll's callback instead of
  a plain wait queue. The kernel is about 75 % of both programs' CPU time,
  and that is where most of the difference is. In user space callgrind
  counts about 2,000 more instructions per wait: about 750 in tokio's park
  and wake-up (I/O driver turn, time driver, scheduler), about 650 in the
  layer's wait path (of which about 320 are the `ZMQ_EVENTS` read), the
  rest in the futures around it.
- **A message that needs no wait** (most of a throughput test). The layer
  adds the socket's mutex (two atomic operations), the future, and moves of
  the 64-byte `Message` through each future's `Result`; the blocking
  program also reuses one `Message` for every receive (`recv_msg_into`),
  the async one gets a fresh one per `recv`. The first attempt of a send
  or receive is now inline and the wait path out of line: 1,459
  instructions per message before, 1,247 after, with the counts of the
  table above (the blocking API: 949).
- **Tried and rejected.** A bounded spin of retries before waiting (4 or
  32 attempts): on this loaded 2-CPU machine the spinning thread takes the
  CPU its peer needs, and inproc latency got worse (one way, medians of
  three interleaved runs: 14 µs with 4, 83 µs with 32, 12 µs without). Skipping the
  `ZMQ_EVENTS` read before waiting would save two system calls per wait but
  breaks the readiness rule (a receive can consume the fd edge a send
  waits for), so it stays. The `ZMQ_EVENTS` read after a completed call
  already happens only when another task waits on the socket.

**Not met, and why.** Round-trip latency over inproc stays above the
1.15× target in every run so far: a one-way trip there costs 4–8 µs, and
the extra system call, the epoll wake-up and tokio's park per wait (above)
add about a microsecond to it. Besides the `ZMQ_EVENTS` read, the
layer's own wait path is some 330 instructions per wait, far too little to
close the gap; what would close it is skipping that read (the readiness
rule forbids it) or spinning (rejected above). Over
tcp the network stack's own cost hides most of it, and the latency ratios
scatter around 1.0–1.2× with the load, within the run-to-run noise; a
receiver that keeps catching up with its sender (inproc throughput) pays
the same per-wait cost, hence the 0.85–0.95× there.
"""

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


def write_report(out: Path, report: dict) -> None:
    rows, instructions = report["rows"], report.get("instructions", [])
    (out / "async.json").write_text(json.dumps(report, indent=1) + "\n")
    write_svg(out / "async.svg", rows)
    instr = ""
    if instructions:
        instr = f"""
## Instructions per message

Counted by callgrind over a whole run, all threads, as the difference
between {instructions[0]['counts'][0]:,} and {instructions[0]['counts'][1]:,} messages (thr)
or {instructions[-1]['counts'][0]:,} and {instructions[-1]['counts'][1]:,} round trips (lat),
so start-up cancels out. These do not move with the machine's load;
callgrind runs one thread at a time, so receivers wait less often than in
the wall-clock runs.

{instructions_table(instructions)}
"""
    text = f"""# The async layer's speed

Written by `benches/perf/async.py`: {report['reps']} interleaved repetitions per
case (the programs of a case take turns, the order rotating every
repetition), {report['machine']}, {report['load_end']:.1f} at the end; the
runs took {report['minutes']:.1f} minutes. Medians; the ratio columns are
medians of the paired ratios (run *i* of async against run *i* of the
other), oriented as speed: above 1 the async layer is faster. Throughput is
counted by the receiver, latency is one way (half a REQ/REP round trip).
The machine is shared with other work (two CPUs), so single figures move
between runs by tens of percent; the paired ratios are the figures to quote,
and even they move by about ±15 % from one run to the next.

![async speed ratios](async.svg)

{table(rows)}

## Against the targets of issue 13

{targets(rows)}
{instr}
{COST}

## What runs

- **ours, async**: `examples/perf.rs` built with `--features tokio`, programs
  `async_*` (`examples/common/async_perf.rs`): one current-thread tokio
  runtime per program (`enable_all`, as `#[tokio::main]` has), an
  `AsyncSocket`, `send`/`recv` futures.
- **ours, blocking**: the same binary's blocking ports of libzmq's programs.
- **C**: libzmq 4.3.5's own perf programs, compiled against our `libzmq.a`.
- **zmq.rs**: `benches/zeromq/`, the `zeromq` 0.7 crate (pure Rust; no inproc).
- **tmq**: `benches/tmq/`, tmq 0.5 over the incumbent `zmq` 0.10 (its own libzmq 4.3.4).
  Its sender builds a fresh message per send (its API takes multipart messages by value).
"""
    (out / "async.md").write_text(text)
    log(f"wrote {out / 'async.md'}")


# The thread-safe cases: (test, transport) -> messages or round trips per run.
TS_COUNT = {("lat", "tcp"): 20_000, ("lat", "inproc"): 50_000,
            ("thr", "tcp"): 2_000_000, ("thr", "inproc"): 2_000_000}
TS_CG_CASES = {"thr": (100_000, 300_000), "lat": (2_000, 6_000)}


def thread_safe(reps: int, callgrind: bool) -> None:
    """The --thread-safe mode: see the module docs."""
    log("building examples/perf --features draft,tokio (release, target/draft)...")
    perf, _ = cargo_exe(["cargo", "build", "--release", "--features", "draft,tokio",
                         "--target-dir", str(ROOT / "target" / "draft"), "--example", "perf"],
                        ROOT, "perf")
    endpoint = {"tcp": "tcp://127.0.0.1:*", "inproc": "inproc://ts-perf"}
    started = time.monotonic()
    rows = []
    for (test, transport), count in TS_COUNT.items():
        pattern = THR_RE if test == "thr" else LAT_RE
        runs: dict[str, list[float]] = {"async": [], "blocking": []}
        for rep in range(reps):
            order = ["async", "blocking"] if rep % 2 == 0 else ["blocking", "async"]
            for lang in order:
                program = f"ts_async_{test}" if lang == "async" else f"ts_{test}"
                out = run([str(perf), program, endpoint[transport], "64", str(count)],
                          stdout=subprocess.PIPE, timeout=TIMEOUT).stdout
                runs[lang].append(parse(pattern, out, f"{program} {transport}"))
        # As speed: above 1 the async socket is faster.
        ratios = [(a / b if test == "thr" else b / a)
                  for a, b in zip(runs["async"], runs["blocking"])]
        rows.append({"test": test, "transport": transport, "count": count,
                     "async": summary(runs["async"]), "blocking": summary(runs["blocking"]),
                     "ratio": summary(ratios)})
        log(f"{test} {transport}: {rows[-1]}")
    minutes = (time.monotonic() - started) / 60
    print(f"\n{reps} repetitions per case, {compare.machine()}, "
          f"{os.getloadavg()[0]:.1f} at the end; {minutes:.1f} minutes.\n")
    print("| 64 B | blocking | async | async ÷ blocking, as speed (median, range) |")
    print("|---|---:|---:|---:|")
    names = {"lat": "CLIENT/SERVER round trip, µs one way",
             "thr": "SCATTER/GATHER throughput, msg/s"}
    for row in rows:
        value = (lambda v: f"{v:,.0f}") if row["test"] == "thr" else (lambda v: f"{v:.1f}")
        r = row["ratio"]
        print(f"| {row['transport']} {names[row['test']]} | {value(row['blocking']['median'])} "
              f"| {value(row['async']['median'])} "
              f"| {r['median']:.2f} ({r['min']:.2f}–{r['max']:.2f}) |")
    if not callgrind:
        return
    print("\n| inproc, 64 B | blocking | async | async ÷ blocking |")
    print("|---|---:|---:|---:|")
    for test, (n1, n2) in TS_CG_CASES.items():
        per = {}
        for lang, program in (("blocking", f"ts_{test}"), ("async", f"ts_async_{test}")):
            totals = []
            for n in (n1, n2):
                command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           str(perf), program, "inproc://ts-cg", "64", str(n)]
                proc = subprocess.run(command, text=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, timeout=TIMEOUT * 4)
                match = re.search(r"Collected : (\d+)", proc.stderr)
                if proc.returncode != 0 or not match:
                    raise RuntimeError(f"callgrind {command} failed:\n{proc.stderr[-2000:]}")
                totals.append(int(match.group(1)))
            per[lang] = (totals[1] - totals[0]) / (n2 - n1)
        unit = "per message (thr)" if test == "thr" else "per round trip (lat)"
        print(f"| {unit} | {per['blocking']:,.0f} | {per['async']:,.0f} "
              f"| {per['async'] / per['blocking']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--sizes", default="1,64,1024,65536,1048576")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    parser.add_argument("--from-json", type=Path, help="rewrite the report from an async.json")
    parser.add_argument("--thread-safe", action="store_true",
                        help="the thread-safe (draft) types instead; prints, writes nothing")
    args = parser.parse_args()
    if args.thread_safe:
        thread_safe(args.reps, not args.no_callgrind)
        return
    if args.from_json:
        report = json.loads(args.from_json.read_text())
    else:
        bins = build()
        machine = compare.machine()
        started = time.monotonic()
        rows = measure(bins, args.reps, [int(s) for s in args.sizes.split(",")], args.scale)
        minutes = (time.monotonic() - started) / 60
        load_end = os.getloadavg()[0]
        instructions = [] if args.no_callgrind else measure_instructions(bins)
        report = {"reps": args.reps, "machine": machine, "load_end": load_end,
                  "minutes": minutes, "rows": rows, "instructions": instructions}
    args.out.mkdir(parents=True, exist_ok=True)
    write_report(args.out, report)


if __name__ == "__main__":
    main()
