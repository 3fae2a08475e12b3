#!/usr/bin/env python3
"""Runs libzmq's own C perf programs and our Rust ports side by side.

Both are linked against the very same libzmq: the C programs are compiled
from the `perf/` folder of the zeromq-src crate's vendored libzmq 4.3.5 and
linked with the `libzmq.a` and `libsodium.a` that `cargo build --release`
produced for the `perf` example.

Two measures:

* wall clock: throughput and latency over tcp (127.0.0.1) and inproc, C and
  Rust interleaved (the order alternates every repetition), medians and the
  spread of the paired Rust/C ratios;
* instructions per message under `valgrind --tool=callgrind`, for inproc_thr
  and inproc_lat: deterministic up to thread scheduling, so it is the figure to
  trust on a busy machine. Each program is run at two counts and the per-message
  figure is the difference divided by the difference of counts, which removes
  start-up costs (Rust's runtime, C's static initialisers) from the figure.

Writes docs/perf/README.md (tables), docs/perf/results.json (raw figures) and
docs/perf/ratios.svg (plot). Only the Python standard library is needed.

Usage: benches/perf/compare.py [--reps N] [--quick] [--no-wallclock]
                               [--no-callgrind] [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = [1, 64, 1024, 65536, 1 << 20]
SIZE_NAMES = {1: "1 B", 64: "64 B", 1024: "1 KiB", 65536: "64 KiB", 1 << 20: "1 MiB"}
PROGRAMS = ["local_thr", "remote_thr", "local_lat", "remote_lat", "inproc_thr", "inproc_lat"]

# Wall-clock counts: roughly half a second to a second of work per run on
# this kind of machine; latency counts are round trips.
THR_COUNT = {
    "tcp": {1: 1_000_000, 64: 1_000_000, 1024: 300_000, 65536: 20_000, 1 << 20: 1_000},
    "inproc": {1: 2_000_000, 64: 2_000_000, 1024: 1_000_000, 65536: 200_000, 1 << 20: 20_000},
}
LAT_COUNT = {
    "tcp": {1: 10_000, 64: 10_000, 1024: 10_000, 65536: 3_000, 1 << 20: 300},
    "inproc": {1: 50_000, 64: 50_000, 1024: 50_000, 65536: 20_000, 1 << 20: 2_000},
}
# Callgrind counts (low, high): messages for thr, round trips for lat. The
# zero-filled variants cost one instruction per byte (`rep stosb`), so they
# get fewer messages at large sizes.
CG_THR = {1: (10_000, 30_000), 64: (10_000, 30_000), 1024: (10_000, 30_000),
          65536: (5_000, 15_000), 1 << 20: (2_000, 6_000)}
CG_THR_ZEROED = {1: (10_000, 30_000), 64: (10_000, 30_000), 1024: (5_000, 15_000),
                 65536: (1_000, 3_000), 1 << 20: (100, 300)}
# A round trip costs the same at every size (the message is bounced, not
# copied); only the one memset before the loop grows with the size.
CG_LAT = {size: (2_000, 6_000) for size in SIZES}

TIMEOUT = 300


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, text=True, **kw)


# ---------------------------------------------------------------- building


def build_rust() -> tuple[Path, Path, Path]:
    """Builds the perf example; returns (perf binary, zmq-sys OUT_DIR, libsodium OUT_DIR)."""
    log("building examples/perf (release)...")
    out = run(["cargo", "build", "--release", "--example", "perf", "--message-format=json"],
              cwd=ROOT, stdout=subprocess.PIPE).stdout
    exe = zmq_out = sodium_out = None
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "build-script-executed":
            pkg = msg["package_id"]
            if "zmq-sys" in pkg:
                zmq_out = Path(msg["out_dir"])
            elif "libsodium-sys" in pkg:
                sodium_out = Path(msg["out_dir"])
        elif msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "perf":
            exe = Path(msg["executable"])
    if not (exe and zmq_out and sodium_out):
        sys.exit("could not find the perf example or the OUT_DIRs of zmq-sys/libsodium-sys")
    return exe, zmq_out, sodium_out


def zeromq_src_vendor() -> Path:
    meta = json.loads(run(["cargo", "metadata", "--format-version", "1"], cwd=ROOT,
                          stdout=subprocess.PIPE).stdout)
    for pkg in meta["packages"]:
        if pkg["name"] == "zeromq-src":
            return Path(pkg["manifest_path"]).parent / "vendor"
    sys.exit("zeromq-src is not in the dependency graph (is the vendored feature on?)")


def build_c(zmq_out: Path, sodium_out: Path, build_dir: Path) -> dict[str, Path]:
    """Compiles libzmq's perf programs against our libzmq.a.

    They include "../include/zmq.h" and "platform.hpp": the sources go to
    build_dir/perf/ next to a link build_dir/include -> OUT_DIR/source/include,
    and OUT_DIR (which holds zeromq-src's platform.hpp) is on the include path.
    """
    vendor = zeromq_src_vendor()
    libzmq = zmq_out / "lib" / "libzmq.a"
    libsodium = sodium_out / "installed" / "lib" / "libsodium.a"
    for path in (libzmq, libsodium):
        if not path.exists():
            sys.exit(f"missing {path}")
    (build_dir / "perf").mkdir(parents=True, exist_ok=True)
    include = build_dir / "include"
    if include.is_symlink() or include.exists():
        include.unlink()
    include.symlink_to(zmq_out / "source" / "include")
    binaries = {}
    variants = [(p, p, []) for p in PROGRAMS]
    # libzmq's own switch: the worker zero-fills each message, which is what
    # a safe Rust sender must do with a fresh buffer.
    variants.append(("inproc_thr_zeroed", "inproc_thr", ["-DZMQ_MAKE_VALGRIND_HAPPY"]))
    for name, program, defines in variants:
        src = build_dir / "perf" / f"{program}.cpp"
        shutil.copyfile(vendor / "perf" / f"{program}.cpp", src)
        exe = build_dir / name
        run(["g++", "-O2", "-pthread", *defines, f"-I{zmq_out}", "-o", str(exe), str(src),
             str(libzmq), str(libsodium)])
        binaries[name] = exe
    log(f"built the C perf programs in {build_dir} against {libzmq}")
    return binaries


# ---------------------------------------------------------------- running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


THR_RE = re.compile(r"mean throughput: (\d+) \[msg/s\]")
LAT_RE = re.compile(r"average latency: ([\d.]+) \[us\]")


def parse(pattern: re.Pattern, text: str, what: str) -> float:
    match = pattern.search(text)
    if not match:
        raise RuntimeError(f"{what}: no result in output:\n{text}")
    return float(match.group(1))


def wait_listening(endpoint: str, deadline: float) -> None:
    """Some peers (zmq.rs) refuse to connect before the other side listens:
    wait until a tcp:// or ipc:// endpoint accepts a connection."""
    while time.monotonic() < deadline:
        if endpoint.startswith("tcp://"):
            host, port = endpoint[len("tcp://"):].rsplit(":", 1)
            family, address = socket.AF_INET, (host, int(port))
        else:
            family, address = socket.AF_UNIX, endpoint[len("ipc://"):]
        with socket.socket(family) as s:
            if s.connect_ex(address) == 0:
                return
        time.sleep(0.01)
    raise RuntimeError(f"nothing listens on {endpoint}")


def run_pair(local: list[str], remote: list[str], endpoint: str, test: str,
             env: dict, timeout: float, what: str) -> float:
    """Runs a perf program pair (local_thr/remote_thr or local_lat/remote_lat,
    their arguments included) and returns the result line's figure: msg/s
    from local_thr, one-way microseconds from remote_lat."""
    pattern = THR_RE if test == "thr" else LAT_RE
    local_p = subprocess.Popen(local, text=True, stdout=subprocess.PIPE, env=env)
    try:
        wait_listening(endpoint, time.monotonic() + 10)
        remote_p = subprocess.Popen(remote, text=True, stdout=subprocess.PIPE, env=env)
        try:
            if test == "thr":
                out, _ = local_p.communicate(timeout=timeout)
                return parse(pattern, out, f"{what} local_thr")
            out, _ = remote_p.communicate(timeout=timeout)
            return parse(pattern, out, f"{what} remote_lat")
        finally:
            remote_p.kill()  # the pure-Rust senders wait to be killed (no linger)
            remote_p.wait()
    finally:
        local_p.kill()  # local_lat sleeps a second after the last reply
        local_p.wait()


class Runner:
    def __init__(self, c_bins: dict[str, Path], rust: Path):
        self.c_bins = c_bins
        self.rust = rust
        self.lingering: list[subprocess.Popen] = []

    def cmd(self, lang: str, program: str) -> list[str]:
        if lang == "c":
            return [str(self.c_bins[program])]
        return [str(self.rust), program.removesuffix("_zeroed")]

    def env(self, lang: str, program: str) -> dict[str, str]:
        env = dict(os.environ)
        env["ZMQ_PERF_PAYLOAD"] = "fresh" if program.endswith("_zeroed") else "shared"
        return env

    def wallclock(self, lang: str, transport: str, test: str, size: int, count: int,
                  variant: str = "") -> float:
        """One run: msg/s for thr, one-way microseconds for lat."""
        pattern = THR_RE if test == "thr" else LAT_RE
        if transport == "inproc":
            program = f"inproc_{test}" + (f"_{variant}" if variant else "")
            out = run(self.cmd(lang, program) + [str(size), str(count)],
                      stdout=subprocess.PIPE, timeout=TIMEOUT,
                      env=self.env(lang, program)).stdout
            return parse(pattern, out, f"{lang} inproc_{test} {size}")
        endpoint = f"tcp://127.0.0.1:{free_port()}"
        args = [endpoint, str(size), str(count)]
        local = subprocess.Popen(self.cmd(lang, f"local_{test}") + args, text=True,
                                 stdout=subprocess.PIPE, env=self.env(lang, ""))
        remote = run(self.cmd(lang, f"remote_{test}") + args, stdout=subprocess.PIPE,
                     timeout=TIMEOUT, env=self.env(lang, ""))
        if test == "lat":
            # local_lat sleeps a second before exiting; let it, off the clock.
            self.lingering.append(local)
            return parse(pattern, remote.stdout, f"{lang} remote_lat {size}")
        out, _ = local.communicate(timeout=TIMEOUT)
        if local.returncode != 0:
            raise RuntimeError(f"{lang} local_thr failed: {out}")
        return parse(pattern, out, f"{lang} local_thr {size}")

    def reap(self) -> None:
        for proc in self.lingering:
            proc.communicate(timeout=TIMEOUT)
        self.lingering.clear()

    def callgrind(self, lang: str, program: str, size: int, count: int) -> int:
        """Total instructions (all threads) of one run under callgrind."""
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               *self.cmd(lang, program), str(size), str(count)]
        proc = subprocess.run(cmd, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=TIMEOUT * 4, env=self.env(lang, program))
        match = re.search(r"Collected : (\d+)", proc.stderr)
        if proc.returncode != 0 or not match:
            raise RuntimeError(f"callgrind {cmd} failed:\n{proc.stderr[-2000:]}")
        return int(match.group(1))


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


# Wall-clock cases: (transport, test, variant). The "zeroed" variant of
# inproc thr compares the C worker built with -DZMQ_MAKE_VALGRIND_HAPPY with
# the Rust worker sending fresh zeroed messages: the same work on both sides.
WALL_CASES = [("tcp", "thr", ""), ("tcp", "lat", ""), ("inproc", "thr", ""),
              ("inproc", "thr", "zeroed"), ("inproc", "lat", "")]


def measure_wallclock(runner: Runner, reps: int, scale: float) -> list[dict]:
    rows = []
    for transport, test, variant in WALL_CASES:
        for size in SIZES:
            table = THR_COUNT if test == "thr" else LAT_COUNT
            count = max(10, int(table[transport][size] * scale))
            c_runs, rust_runs = [], []
            for rep in range(reps):
                order = ("c", "rust") if rep % 2 == 0 else ("rust", "c")
                for lang in order:
                    value = runner.wallclock(lang, transport, test, size, count, variant)
                    (c_runs if lang == "c" else rust_runs).append(value)
            runner.reap()
            # Paired ratios, each oriented as a throughput ratio (>1: Rust faster).
            if test == "thr":
                speed = [r / c for r, c in zip(rust_runs, c_runs)]
            else:
                speed = [c / r for r, c in zip(rust_runs, c_runs)]
            c, rust = summary(c_runs), summary(rust_runs)
            row = {"transport": transport, "test": test, "variant": variant, "size": size,
                   "count": count, "c": c, "rust": rust, "ratio": rust["median"] / c["median"],
                   "speed": summary(speed)}
            rows.append(row)
            unit = "msg/s" if test == "thr" else "us"
            log(f"  {transport:6} {test}{'_' + variant if variant else ''} {SIZE_NAMES[size]:>6}: "
                f"C {c['median']:.6g} {unit}, Rust {rust['median']:.6g} {unit}, "
                f"Rust/C {row['ratio']:.3f}")
    return rows


CG_CASES = [
    # (name, C program, Rust program, counts, description)
    ("inproc_thr", "inproc_thr", "inproc_thr", CG_THR,
     "C: fresh uninitialised zmq_msg_init_size per message; Rust: clones of one zeroed message"),
    ("inproc_thr_zeroed", "inproc_thr_zeroed", "inproc_thr_zeroed", CG_THR_ZEROED,
     "both: fresh zmq_msg_init_size + memset per message (C with -DZMQ_MAKE_VALGRIND_HAPPY)"),
    ("inproc_lat", "inproc_lat", "inproc_lat", CG_LAT,
     "one message bounced REQ/REP; per message = per round trip / 2"),
]


def cg_counts(counts: tuple[int, int], scale: float) -> tuple[int, int]:
    low = max(10, int(counts[0] * scale))
    return low, max(3 * low, int(counts[1] * scale))


def measure_callgrind(runner: Runner, reps: int, scale: float) -> list[dict]:
    jobs = []
    for case, c_prog, r_prog, counts, _ in CG_CASES:
        for size in SIZES:
            low, high = cg_counts(counts[size], scale)
            for lang, prog in (("c", c_prog), ("rust", r_prog)):
                for count in (low, high):
                    for rep in range(reps):
                        jobs.append((case, size, lang, prog, count, rep))
    # Instruction counts do not depend on the machine's load: two at a time.
    results: dict[tuple, list[int]] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {pool.submit(runner.callgrind, lang, prog, size, count):
                   (case, size, lang, count) for case, size, lang, prog, count, _ in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            results.setdefault(futures[future], []).append(future.result())
            if done % 20 == 0:
                log(f"  callgrind: {done}/{len(jobs)} runs")
    rows = []
    for case, _, _, counts, _ in CG_CASES:
        for size in SIZES:
            low, high = cg_counts(counts[size], scale)
            per_message = {}
            for lang in ("c", "rust"):
                lo = statistics.median(results[(case, size, lang, low)])
                hi = statistics.median(results[(case, size, lang, high)])
                messages = (high - low) * (2 if case == "inproc_lat" else 1)
                per_message[lang] = {
                    "marginal": (hi - lo) / messages,
                    "total_per_message": hi / (high * (2 if case == "inproc_lat" else 1)),
                    "runs_low": results[(case, size, lang, low)],
                    "runs_high": results[(case, size, lang, high)],
                }
            row = {"case": case, "size": size, "counts": [low, high], **per_message,
                   "ratio": per_message["rust"]["marginal"] / per_message["c"]["marginal"],
                   "ratio_total": per_message["rust"]["total_per_message"]
                   / per_message["c"]["total_per_message"]}
            rows.append(row)
            log(f"  {case:18} {SIZE_NAMES[size]:>6}: C {per_message['c']['marginal']:.0f}, "
                f"Rust {per_message['rust']['marginal']:.0f} instr/msg, Rust/C {row['ratio']:.3f}")
    return rows


# ---------------------------------------------------------------- reporting


def fmt_value(test: str, value: float) -> str:
    return f"{value:,.0f}" if test == "thr" else f"{value:.2f}"


def wallclock_table(rows: list[dict]) -> str:
    lines = [
        "| transport | test | size | count | C median | Rust median | Rust/C | paired Rust/C speed, min–max | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        test, unit = row["test"], "msg/s" if row["test"] == "thr" else "µs"
        name = test + (f" ({row['variant']})" if row.get("variant") else "")
        if test == "thr":
            target = "≥ 0.97" + (" ✓" if row["ratio"] >= 0.97 else " ✗")
        else:
            target = "≤ 1.03" + (" ✓" if row["ratio"] <= 1.03 else " ✗")
        sp = row["speed"]
        lines.append(
            f"| {row['transport']} | {name} | {SIZE_NAMES[row['size']]} | {row['count']:,} "
            f"| {fmt_value(test, row['c']['median'])} {unit} "
            f"| {fmt_value(test, row['rust']['median'])} {unit} "
            f"| {row['ratio']:.3f} | {sp['min']:.2f}–{sp['max']:.2f} | {target} |")
    return "\n".join(lines)


def callgrind_table(rows: list[dict]) -> str:
    lines = [
        "| case | size | C instr/msg | Rust instr/msg | Rust/C | Rust/C incl. start-up | ≤ 1.02 |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ok = "✓" if row["ratio"] <= 1.02 else "✗"
        lines.append(
            f"| {row['case']} | {SIZE_NAMES[row['size']]} | {row['c']['marginal']:,.0f} "
            f"| {row['rust']['marginal']:,.0f} | {row['ratio']:.3f} | {row['ratio_total']:.3f} | {ok} |")
    return "\n".join(lines)


HEIGHT = 340
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728"]


def svg_panel(x0: float, title: str, ylabel: str, series: list[tuple[str, list]],
              lo: float, hi: float, refs: list[tuple[float, str]]) -> list[str]:
    """One grouped bar chart: series of (label, [(value, err_lo, err_hi) or None per size])."""
    width, height, left, top, bottom = 520, HEIGHT, 60, 48, 80
    plot_w, plot_h = width - left - 20, height - top - bottom
    y = lambda v: top + plot_h * (1 - (min(max(v, lo), hi) - lo) / (hi - lo))  # noqa: E731
    out = [f'<g transform="translate({x0},0)">',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{title}</text>',
           f'<text transform="translate(16,{top + plot_h / 2}) rotate(-90)" text-anchor="middle" font-size="12">{ylabel}</text>']
    steps = 5
    for i in range(steps + 1):
        v = lo + (hi - lo) * i / steps
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.2f}</text>')
    for value, style in refs:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                   f'stroke="#444" {style}/>')
    group_w = plot_w / len(SIZES)
    bar_w = group_w * 0.8 / len(series)
    for g, size in enumerate(SIZES):
        gx = left + g * group_w
        out.append(f'<text x="{gx + group_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                   f'font-size="11">{SIZE_NAMES[size]}</text>')
        for s, (_, values) in enumerate(series):
            point = values[g]
            if point is None:
                continue
            value, err_lo, err_hi = point
            bx = gx + group_w * 0.1 + s * bar_w
            base, top_y = y(1.0), y(value)
            out.append(f'<rect x="{bx:.1f}" y="{min(base, top_y):.1f}" width="{bar_w - 1:.1f}" '
                       f'height="{abs(base - top_y):.1f}" fill="{COLORS[s]}"><title>{value:.3f}</title></rect>')
            if not lo <= value <= hi:
                # Off the scale: the bar is clipped, its value written at the edge.
                ty = y(value) + (-4 if value > hi else 12)
                out.append(f'<text x="{bx + bar_w / 2:.1f}" y="{ty:.1f}" text-anchor="middle" '
                           f'font-size="9">{value:.2g}</text>')
            if err_lo is not None:
                cx = bx + bar_w / 2
                out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(err_lo):.1f}" y2="{y(err_hi):.1f}" '
                           f'stroke="#000" stroke-width="1"/>')
    for s, (label, _) in enumerate(series):
        lx = left + 4 + (s % 2) * 230
        ly = top + plot_h + 32 + (s // 2) * 14
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{COLORS[s]}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly}" font-size="11">{label}</text>')
    out.append("</g>")
    return out


def write_svg(path: Path, wall: list[dict], cg: list[dict]) -> None:
    panels = []
    x = 0
    if wall:
        series = []
        for transport, test, variant in WALL_CASES:
            values = []
            for size in SIZES:
                row = next((r for r in wall
                            if (r["transport"], r["test"], r["variant"], r["size"])
                            == (transport, test, variant, size)), None)
                if row is None:
                    values.append(None)
                    continue
                median = row["ratio"] if test == "thr" else 1 / row["ratio"]
                values.append((median, row["speed"]["min"], row["speed"]["max"]))
            label = f"{transport} {'throughput' if test == 'thr' else '1 / latency'}"
            series.append((label + (f" ({variant})" if variant else ""), values))
        panels.append(svg_panel(x, "Wall clock: Rust speed / C speed", "ratio (1 = parity, higher = Rust faster)",
                                series, 0.5, 1.5, [(1.0, 'stroke-width="1.5"'),
                                                   (0.97, 'stroke-dasharray="4 3"')]))
        x += 540
    if cg:
        labels = {"inproc_thr": "inproc_thr (C fresh, Rust shared)",
                  "inproc_thr_zeroed": "inproc_thr (both fresh + zeroed)",
                  "inproc_lat": "inproc_lat"}
        series = []
        for case in labels:
            values = []
            for size in SIZES:
                row = next((r for r in cg if (r["case"], r["size"]) == (case, size)), None)
                values.append(None if row is None else (row["ratio"], None, None))
            series.append((labels[case], values))
        panels.append(svg_panel(x, "callgrind: Rust instructions / C instructions per message",
                                "ratio (1 = parity, lower = Rust cheaper)",
                                series, 0.6, 1.3, [(1.0, 'stroke-width="1.5"'),
                                                   (1.02, 'stroke-dasharray="4 3"')]))
        x += 540
    body = "\n".join(line for panel in panels for line in panel)
    path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{max(x, 540)}" height="{HEIGHT}" '
        f'font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n')


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu or platform.processor()}, {os.cpu_count()} CPUs, {platform.system()} "
            f"{platform.release()}; load average at the start {load:.1f}")


def write_report(out: Path, wall: list[dict], cg: list[dict], reps: int, cg_reps: int,
                 started: str, seconds: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(
        {"machine": machine(), "date": started, "reps": reps, "wallclock": wall, "callgrind": cg},
        indent=1) + "\n")
    write_svg(out / "ratios.svg", wall, cg)
    parts = [
        "# Performance: the Rust binding against libzmq's own C perf programs",
        "",
        "Generated by `benches/perf/compare.py` "
        f"on {started} ({seconds / 60:.1f} min); machine: {machine()}.",
        "",
        "Both sides link the same `libzmq.a` (libzmq 4.3.5 built by `zmq-sys`); the C side is "
        "libzmq's `perf/*.cpp` compiled with `g++ -O2`, the Rust side is `examples/perf.rs` "
        "(same arguments, same output lines, safe API only).",
        "",
        "![Rust/C ratios](ratios.svg)",
        "",
    ]
    if cg:
        parts += [
            "## Instructions per message (callgrind)",
            "",
            "Deterministic up to thread scheduling (runs of one program vary by about ±1%). "
            "Per message = (instructions at the high count − at the low count) / (messages "
            f"between them), median of {cg_reps} runs at each count, all threads; the "
            "start-up of each process (Rust runtime, thread spawn, C static initialisers) "
            "is not in it. The next column divides the whole run by its messages instead.",
            "",
            callgrind_table(cg),
            "",
            "Cases:",
            "",
        ]
        parts += [f"- `{case}`: {desc}." for case, _, _, _, desc in CG_CASES]
        parts.append("")
    if wall:
        parts += [
            "## Wall clock",
            "",
            f"{reps} runs of each program, C and Rust interleaved (the order alternates), "
            "tcp over 127.0.0.1 with both processes on this machine. Medians; the spread "
            "is the range of the Rust/C speed ratio of each interleaved pair (throughput "
            "ratio, or C latency / Rust latency). Wall-clock figures on a shared 2-core "
            "machine vary by 10–30% from run to run: the instruction counts above are the "
            "figures to trust.",
            "",
            wallclock_table(wall),
            "",
        ]
    parts += [
        "## What the ports send",
        "",
        "The C throughput senders send a fresh `zmq_msg_init_size` buffer per message "
        "and never write its bytes. Safe Rust cannot send uninitialised memory, so by "
        "default the port sends clones of one zeroed message (`Message::clone` is "
        "`zmq_msg_copy`: a reference count, no allocation, no copy); with "
        "`ZMQ_PERF_PAYLOAD=fresh` it sends a fresh zeroed `Message::with_size` per message, "
        "which is exactly the C program built with `-DZMQ_MAKE_VALGRIND_HAPPY` "
        "(`inproc_thr_zeroed` above). The receivers and the latency programs are the C "
        "loops call for call.",
        "",
    ]
    parts += [
        "## Reproduce",
        "",
        "```sh",
        "benches/perf/compare.py            # about 10 minutes: build, callgrind, wall clock",
        "benches/perf/compare.py --quick    # seconds per case: checks the harness only",
        "cargo run --release --example perf -- inproc_lat 64 100000",
        "cargo bench --bench core           # the binding's own costs (criterion)",
        "```",
        "",
        "Needs `g++` and `valgrind`; the C programs are built in `target/perf-c/`.",
        "",
    ]
    (out / "README.md").write_text("\n".join(parts))
    log(f"wrote {out}/README.md, results.json, ratios.svg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="wall-clock runs per program (5)")
    parser.add_argument("--cg-reps", type=int, default=3, help="callgrind runs per count (3)")
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the harness only")
    parser.add_argument("--no-wallclock", action="store_true")
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "perf")
    args = parser.parse_args()
    scale = 0.01 if args.quick else 1.0
    reps = 2 if args.quick else args.reps
    cg_reps = 1 if args.quick else args.cg_reps

    started = time.strftime("%Y-%m-%d %H:%M %Z")
    t0 = time.monotonic()
    rust, zmq_out, sodium_out = build_rust()
    c_bins = build_c(zmq_out, sodium_out, ROOT / "target" / "perf-c")
    runner = Runner(c_bins, rust)
    wall, cg = [], []
    if not args.no_callgrind:
        if shutil.which("valgrind") is None:
            sys.exit("valgrind is not installed (apt-get install valgrind), or pass --no-callgrind")
        log("callgrind: instructions per message...")
        cg = measure_callgrind(runner, cg_reps, scale)
    if not args.no_wallclock:
        log("wall clock: interleaved runs...")
        wall = measure_wallclock(runner, reps, scale)
    write_report(args.out, wall, cg, reps, cg_reps, started, time.monotonic() - t0)


if __name__ == "__main__":
    main()
