"""`make bench`: wall time and peak memory of generate, each beside its floor measured in the
same run, against the issue's targets.

Two runs on synthetic data (made first, not timed; kept in bench_out/ and reused while the
sizes and seed are the same):
  * one school of 2,000 students: the whole `onsis-batch generate` command, Python start-up
    included, in a child process whose peak RSS is read from the kernel (wait4);
  * a board of 100 schools / 150,000 students: `onsis-batch board` with one worker and with
    two, XSD validation included.
Each figure is printed with its floor and the ratio to it: polars reading the same input
files plus lxml writing, parsing and validating the same output bytes, in as many
processes as the run has workers. The load average is printed beside every figure: the
machine may be shared, and the ratio to a floor taken under the same load travels better
than a wall time.
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

import onsis_batch
from onsis_batch.synth import synthesize
from onsis_batch.validate.xsd import schema_path

ROOT = Path(__file__).resolve().parent.parent / "bench_out"
YEAR, KIND, CODE = "2025-2026", "oct", "OCTSEC1"
STAMP = "2025-10-31T09:00:00"
# Issue 3 targets: every segment so far, ~16,000 class enrolments per 2,000-student school;
# issue 5 adds the educator segments (about 15,000 educators on the board) under the same targets.
TARGETS = {"school_s": 3.0, "board_s": 60.0, "memory_mb": 2048.0}


class Synthetic:
    """A synthesised data set: its school data, its PAE folder and its BSIDs."""

    def __init__(self, folder: Path, bsids: list[str], students: int) -> None:
        self.data_dir = folder / "data"
        self.pae_dir = folder / "pae" / CODE
        self.bsids = bsids
        self.students = students


def _synth(name: str, students: int, schools: int) -> Synthetic:
    """The data set `name`, synthesised unless bench_out/ holds it for these sizes."""
    folder = ROOT / name
    marker = folder / "synth.json"
    wanted = {"students": students, "schools": schools, "seed": 7, "year": YEAR}
    if marker.exists() and json.loads(marker.read_text())["sizes"] == wanted:
        kept = json.loads(marker.read_text())
        print(f"  reusing {name}: {kept['students']} students, {len(kept['bsids'])} BSIDs")
        return Synthetic(folder, kept["bsids"], kept["students"])
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    summary = synthesize(
        folder, students=students, schools=schools, seed=7, school_year=YEAR, periods=(KIND,)
    )
    marker.write_text(
        json.dumps({"sizes": wanted, "bsids": summary.bsids, "students": summary.students})
    )
    print(
        f"  synthesised {name}: {summary.students} students, {len(summary.bsids)} BSIDs "
        f"in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    return Synthetic(folder, list(summary.bsids), summary.students)


def load() -> str:
    """The 1-minute load average, for the line of a figure."""
    return f"load {os.getloadavg()[0]:.1f}"


class TreeMemory:
    """Peak of the summed resident memory of a process and all its descendants.

    Summing each process's own peak would overstate a run whose processes peak at
    different moments; sampling the live total every 20 ms measures what the machine needs.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.root))


def _tree_rss_mb(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(
                line.split(":", 1) for line in (entry / "status").read_text().splitlines()
            )
        except (OSError, ValueError):
            continue
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def _timed_child(args: list[str]) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MB, exit status and CPU seconds of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), cpu


# --- the floor -------------------------------------------------------------------------------


def _floor_part(inputs: list[str], outputs: list[str], scratch: str) -> float:
    """CPU seconds of one floor process: read its inputs, write, parse and validate its outputs."""
    pl.Config.set_streaming_chunk_size(50_000)
    started = time.process_time()
    for name in inputs:
        csv = Path(name)
        pl.read_csv(
            csv,
            infer_schema=False,
            truncate_ragged_lines=True,
            has_header=csv.parent.name != CODE,
            encoding="utf8-lossy",
        )
    schema = etree.XMLSchema(etree.parse(str(schema_path())))
    for xml in outputs:
        tree = etree.parse(xml, etree.XMLParser(huge_tree=True))
        tree.write(scratch, encoding="ISO-8859-1", xml_declaration=True)
        schema.assertValid(tree)
    Path(scratch).unlink(missing_ok=True)
    return time.process_time() - started


def floor(input_dirs: list[Path], outputs: list[Path], processes: int = 1) -> dict[str, float]:
    """Wall and CPU seconds of the floor of a run with `processes` processes: polars reads
    every input file (as text) and lxml writes, parses and XSD-validates every output byte,
    the files dealt out to the processes largest first."""
    files = sorted(
        (f for folder in input_dirs for f in folder.glob("*.csv")), key=lambda f: -f.stat().st_size
    )
    xmls = sorted(outputs, key=lambda f: -f.stat().st_size)
    parts = [
        ([str(f) for f in files[i::processes]], [str(f) for f in xmls[i::processes]])
        for i in range(processes)
    ]
    started = time.perf_counter()
    if processes == 1:
        cpu = [_floor_part(*parts[0], str(ROOT / "floor0.xml"))]
    else:
        env = os.environ.get("POLARS_MAX_THREADS")
        os.environ["POLARS_MAX_THREADS"] = str(max(1, (os.cpu_count() or 1) // processes))
        try:
            with ProcessPoolExecutor(processes) as pool:
                futures = [
                    pool.submit(_floor_part, *part, str(ROOT / f"floor{i}.xml"))
                    for i, part in enumerate(parts)
                ]
                cpu = [f.result() for f in futures]
        finally:
            if env is None:
                os.environ.pop("POLARS_MAX_THREADS", None)
            else:
                os.environ["POLARS_MAX_THREADS"] = env
    return {"wall_s": time.perf_counter() - started, "cpu_s": sum(cpu)}


def _ratio(figure: float, floor_figure: float) -> str:
    return f"{figure / floor_figure:4.2f}x" if floor_figure > 0 else "  -  "


# --- the runs --------------------------------------------------------------------------------


def bench_school(data: Synthetic) -> dict[str, Any]:
    """The whole `generate` command for one school, best of three, and `generate()` in-process."""
    out = ROOT / "school" / "out"
    args = [
        sys.executable,
        "-m",
        "onsis_batch",
        "generate",
        "--data",
        str(data.data_dir),
        "--pae",
        str(data.pae_dir),
        "--bsid",
        data.bsids[0],
        "--period",
        KIND,
        "--year",
        YEAR,
        "--out",
        str(out),
        "--timestamp",
        STAMP,
    ]
    runs = [_timed_child(args) for _ in range(3)]
    if any(r[2] not in (0, 1) for r in runs):
        raise SystemExit(f"generate failed with exit code {runs[0][2]}")
    figures: dict[str, Any] = {"wall_s": min(r[0] for r in runs)}
    figures["cpu_s"] = min(r[3] for r in runs)
    figures["memory_mb"] = max(r[1] for r in runs)
    figures["load"] = load()
    base = floor([data.data_dir, data.pae_dir], sorted(out.glob("*.xml")))
    floor_s = base["wall_s"]
    # The command's floor includes the interpreter starting: `python -c pass`.
    bare = [_timed_child([sys.executable, "-c", "pass"]) for _ in range(3)]
    started = min(r[0] for r in bare)
    figures["floor_s"], figures["startup_s"] = floor_s + started, started
    figures["floor_cpu_s"] = base["cpu_s"] + min(r[3] for r in bare)
    figures["in_process_s"] = min(_in_process(data, out) for _ in range(3))
    figures["in_process_floor_s"] = floor_s
    return figures


def _in_process(data: Synthetic, out: Path) -> float:
    """Seconds of `generate` called from Python: the command minus interpreter start-up."""
    from onsis_batch.run.pipeline import generate
    from onsis_batch.run.request import PlanRequest

    started = time.perf_counter()
    request = PlanRequest(data.data_dir, data.pae_dir, KIND, YEAR, (data.bsids[0],))
    generate(request, out, created=datetime.fromisoformat(STAMP))
    return time.perf_counter() - started


def bench_board(workers: int, data: Synthetic, name: str = "board") -> dict[str, Any]:
    """`onsis-batch board` with `workers` workers, in a child process, beside its floor."""
    out = ROOT / name / f"out{workers}"
    shutil.rmtree(out, ignore_errors=True)
    args = [
        sys.executable,
        "-m",
        "onsis_batch",
        "board",
        "--data",
        str(data.data_dir),
        "--pae",
        str(data.pae_dir),
        "--period",
        KIND,
        "--year",
        YEAR,
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--timestamp",
        STAMP,
        "--json",
    ]
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(child.pid) as memory:
        stdout, stderr = child.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode not in (0, 1):
        raise SystemExit(f"board run failed ({child.returncode}): {stderr[-2000:]}")
    figures: dict[str, Any] = {"load": load(), "wall_s": wall}
    figures["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    report = json.loads(stdout)
    figures["memory_mb"] = memory.peak_mb
    figures["worker_peaks_mb"] = report["worker_peaks_mb"]
    base = floor([data.data_dir, data.pae_dir], sorted(out.glob("*.xml")), workers)
    figures["floor_s"], figures["floor_cpu_s"] = base["wall_s"], base["cpu_s"]
    figures["students"] = report["students"]
    peaks = ", ".join(f"{mb:.0f}" for mb in report["worker_peaks_mb"])
    figures["note"] = (
        f"files {report['files_written']}/{report['bsids']}, "
        f"{report['students']} students, worker peaks {peaks} MB"
    )
    return figures


def board_lines(label: str, run: dict[str, Any]) -> list[str]:
    """A board run's figures, each beside its floor, with the load average of the run."""
    worst = max(run["worker_peaks_mb"] or [0.0])
    per_student = 1e6 * run["cpu_s"] / max(run["students"], 1)
    return [
        f"{label:<10} wall {run['wall_s']:7.1f} s  floor {run['floor_s']:6.1f} s  "
        f"ratio {_ratio(run['wall_s'], run['floor_s'])}   ({run['load']})",
        f"{'':<10} CPU  {run['cpu_s']:7.1f} s  floor {run['floor_cpu_s']:6.1f} s  "
        f"ratio {_ratio(run['cpu_s'], run['floor_cpu_s'])}   "
        f"({per_student:.0f} CPU-us per student)",
        f"{'':<10} peak per worker {worst:5.0f} MB, whole tree {run['memory_mb']:5.0f} MB"
        f"   ({run['note']})",
    ]


def main() -> None:
    """Make the data sets (or reuse them), run, print every figure beside its floor."""
    ROOT.mkdir(exist_ok=True)
    print(f"onsis-batch benchmark, {os.cpu_count()} cores, python {sys.version.split()[0]}")
    # An installed tool runs from bytecode pip compiled; a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module again in each child (D1005).
    compileall.compile_dir(Path(onsis_batch.__file__).parent, quiet=1)
    school = bench_school(_synth("school", 2000, 1))
    board_data = _synth("board", 150_000, 100)
    boards = {workers: bench_board(workers, board_data) for workers in (1, 2)}
    print()
    verdict = "ok" if school["wall_s"] <= TARGETS["school_s"] else "MISSED"
    print(
        f"school     wall {school['wall_s']:6.2f} s  floor {school['floor_s']:5.2f} s "
        f"(start-up {school['startup_s']:.2f} s included)  "
        f"ratio {_ratio(school['wall_s'], school['floor_s'])}  "
        f"peak {school['memory_mb']:.0f} MB  target {TARGETS['school_s']:.1f} s {verdict}   "
        f"({school['load']}; 2,000 students, whole command)"
    )
    print(
        f"{'':<10} CPU {school['cpu_s']:.2f} s  floor {school['floor_cpu_s']:.2f} s  "
        f"ratio {_ratio(school['cpu_s'], school['floor_cpu_s'])}"
    )
    print(
        f"{'':<10} in-process generate {school['in_process_s']:.2f} s  "
        f"floor {school['in_process_floor_s']:.2f} s  "
        f"ratio {_ratio(school['in_process_s'], school['in_process_floor_s'])}"
    )
    for workers, board in boards.items():
        for line in board_lines(f"board/{workers}", board):
            print(line)
    speedup = boards[1]["wall_s"] / boards[2]["wall_s"]
    print(f"{'':<10} speed-up with 2 workers: {speedup:.2f}x")


if __name__ == "__main__":
    main()
