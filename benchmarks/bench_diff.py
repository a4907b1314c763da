"""`make bench-diff`: peak memory of `diff`, `diff --pae` and `results` on large files.

Two batch files of about `--size-mb` each (default 100) are synthesised first, not timed:
the second changes, removes and adds some students; a results file echoes the first with
errors (and "Parent entry in error" echoes); a PAE folder holds 0001, 0003 and 0004 for
it. Each command then runs in a child process whose peak RSS is read from the kernel
(wait4), beside the largest input file and the issue's target (peak <= 3x the largest
file), and beside a floor measured in the same run: lxml iterparse of the same file with
element clearing, which holds nothing.

    .venv/bin/python benchmarks/bench_diff.py --size-mb 150
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent / "bench_out" / "diff"
TARGET_RATIO = 3.0
BSIDS = ("999001", "999002", "999003", "999004")
YEAR, PERIOD, DESCRIPTION = "2025-2026", "OCTSEC1", "October Secondary School"
CLASSES_PER_SCHOOL = 300
CLASSES_PER_STUDENT = 8
BYTES_PER_STUDENT = 9_900  # measured: a student with 8 class enrolments, all elements


def _leaves(values: dict[str, str]) -> str:
    return "".join(f"<{k}>{v}</{k}>" if v else f"<{k}/>" for k, v in values.items())


def _oen(school: int, n: int) -> str:
    return f"{school + 1}{n:08d}"


def _class_code(n: int) -> str:
    return f"C{n % CLASSES_PER_SCHOOL:03d}-{n % 7:02d}"


def _class(n: int) -> str:
    segment = _leaves(
        {
            "ACTION": "ADD",
            "MINISTRY_DFND_CRS": f"MCV{n % 4 + 1}U",
            "INSTITUTION_TYPE": "",
            "LOCAL_DEV_CRS": "",
            "LANGUAGE_TYPE": "E",
            "CREDIT_VALUE": "1.00",
            "TOTAL_CLASS_COURSE": "110",
        }
    )
    values = {
        "ACTION": "ADD",
        "CLASS_CODE": _class_code(n),
        "CLASS_START_DATE": "2025/09/02",
        "CLASS_END_DATE": "2026/01/30",
        "CLASS_TYPE": "R",
        "LANGUAGE_TYPE": "E",
        "CLASSROOM_TYPE": "R",
    }
    return f"<CLASS>{_leaves(values)}<SEGMENT>{segment}</SEGMENT></CLASS>"


def _enrolment_values(n: int, k: int, mark: str) -> dict[str, str]:
    return {
        "ACTION": "UPDATE",
        "CLASS_CODE": _class_code(n * 3 + k * 37),
        "MINISTRY_DFND_CRS": f"MCV{k % 4 + 1}U",
        "INSTITUTION_TYPE": "",
        "LOCAL_DEV_CRS": "",
        "LANGUAGE_TYPE": "E",
        "CREDIT_VALUE": "1.00",
        "COURSE_DELIVERY_TYPE": "01",
        "COURSE_SEM_TYPE": "S1",
        "WITHDRAWAL_TYPE": "",
        "WITHDRAWAL_DATE": "",
        "IEP_FLAG": "F",
        "CLASSES_MISSED": str((n + k) % 9),
        "SCHOOL_CLOSURE_CLASSES_MISSED": "0",
        "TIMES_LATE": str(k % 3),
        "TOTAL_CLASSES": "55",
        "COURSE_START_DATE": "2025/09/02",
        "COURSE_END_DATE": "2026/01/30",
        "EARNED_CREDIT_VALUE": "1.00",
        "FINAL_MARK": mark,
        "COURSE_SBST_FLAG": "F",
        "COURSE_COMPLETE_FLAG": "T",
        "COURSE_REPEAT_FLAG": "F",
        "COMPULSORY_COURSE_FLAG": "T",
        "COURSE_INCOMPLETE_FLAG": "F",
        "COURSE_CONTINUED_FLAG": "F",
    }


def _enrolment(n: int, k: int, mark: str, error: str) -> str:
    values = _enrolment_values(n, k, mark)
    info = _leaves({"ACTION": "ADD", "OTHER_COURSE_INFO_TYPE": "1"})
    child = f"<OTHER_COURSE_INFO>{info}</OTHER_COURSE_INFO>" if k == 0 else ""
    return f"<STUDENT_CLASS_ENROLMENT>{_leaves(values)}{error}{child}</STUDENT_CLASS_ENROLMENT>"


def _errors(field: str, value: str, code: str, message: str) -> str:
    return (
        "<DATA_ERROR_DETAILS><ERROR>"
        f"<FIELD_NAME>{field}</FIELD_NAME><FIELD_VALUE>{value}</FIELD_VALUE>"
        f"<MESSAGE_CODE>{code}</MESSAGE_CODE><E_MESSAGE>{message}</E_MESSAGE>"
        f"<F_MESSAGE>FR {message}</F_MESSAGE></ERROR></DATA_ERROR_DETAILS>"
    )


def _school_enrolment_values(n: int, changed: bool) -> dict[str, str]:
    return {
        "ACTION": "UPDATE",
        "GRADE_TYPE": str(9 + (n + changed) % 4),
        "GRADE_DESIGNATION_TYPE": "1",
        "LANGUAGE_TYPE": "E",
        "STU_BRD_RES_STAT_TYPE": "01",
        "CURRENT_RESIDENCE_COUNTRY": "CAN",
        "CURRENT_RESIDENCE_PROVINCE": "ON",
        "ATTENDANCE_TYPE": "FT",
        "LITERACY_STATUS_TYPE": "01",
        "RESIDENCE_STATUS_TYPE": "1",
        "INDIGENOUS_SELF_IDENTIFICATION": "",
        "STUDENT_MOBILITY_TYPE": "01",
        "COUNTRY_TYPE": "CAN",
        "PROVINCE_STATE_TYPE": "ON",
        "LANGUAGE_TYPE_PREVIOUS_SCH": "E",
        "POSTAL_AREA_TYPE": "K1A",
        "COUNTRY_TYPE_BIRTH": "CAN",
        "PROVINCE_STATE_TYPE_BIRTH": "ON",
        "MAIN_SCHOOL_FLAG": "T",
        "SCHOOL_STUDENT_NUMBER": f"S{n:07d}",
        "COMMUNITY_INVOLMENT_ACCU_HOURS": f"{n % 40}.00",
        "LOCAL_SCHOOL_PROGRAM_FLAG": "F",
        "FTE": "1.00",
        "HIGH_CREDIT_FTE": "0.00",
        "ADE": "0.0000",
        "HIGH_CREDIT_ADE": "0.0000",
        "SPECIAL_EDUCATION_FLAG": "F",
        "ENROLMENT_START_DATE": "2023/09/05",
        "REACH_AHEAD_FLAG": "F",
        "OYAP_FLAG": "F",
    }


def _student(school: int, n: int, variant: str) -> str:
    """One STUDENT; `variant` "b" changes some values, "out" adds errors and echoes."""
    changed = variant == "b" and n % 50 == 0
    wrong = variant == "out" and n % 40 == 0
    sse = _school_enrolment_values(n, changed)
    echo = _errors("", "", "", "Parent entry in error") if wrong else ""
    enrolments = "".join(
        _enrolment(
            n,
            k,
            str(60 + (n + k + (changed and k == 1)) % 40),
            _errors("FINAL_MARK", "101", "MCE0039", "Mark out of range")
            if wrong and k == 2
            else "",
        )
        for k in range(CLASSES_PER_STUDENT)
    )
    student = {
        "OEN": _oen(school, n),
        "STUDENT_LEGAL_GIVEN_NAME": f"Given{n % 997}",
        "STUDENT_LEGAL_SECOND_NAME": "",
        "STUDENT_LEGAL_LAST_NAME": f"Family{n % 991}",
        "STUDENT_DOB": f"20{8 + n % 3:02d}/0{1 + n % 9}/1{n % 9}",
        "LANGUAGE_TYPE": "01",
    }
    return (
        f"<STUDENT>{_leaves(student)}{echo}<STUDENT_SCHOOL_ENROLMENT>{_leaves(sse)}{echo}"
        f"{enrolments}</STUDENT_SCHOOL_ENROLMENT></STUDENT>"
    )


def _students(per_school: int, variant: str) -> Iterator[tuple[int, int]]:
    """(school, student number) of a variant: "b" drops every 97th and adds a few."""
    for school in range(len(BSIDS)):
        extra = per_school // 100 if variant == "b" else 0
        for n in range(per_school + extra):
            if variant == "b" and n % 97 == 5:
                continue
            if variant != "b" and n >= per_school:
                continue
            yield school, n


def write_batch(path: Path, per_school: int, variant: str) -> None:
    """A batch file ("a", "b") or a results file ("out") of len(BSIDS) schools."""
    root = "ONSIS_BATCH_FILE_RESULT" if variant == "out" else "ONSIS_BATCH_FILE"
    with path.open("w", encoding="iso-8859-1", buffering=1 << 20) as out:
        out.write(f'<?xml version="1.0" encoding="ISO-8859-1"?>\n<{root}>')
        out.write("<HEADER><VERSION>1.0</VERSION><DATE>2025/10/31</DATE><TIME>093000</TIME>")
        out.write(f"</HEADER><DATA><SCHOOL_SUBMISSION><ACADEMIC_YEAR>{YEAR}</ACADEMIC_YEAR>")
        out.write(f"<SUBMISSION_PERIOD_TYPE>{PERIOD}</SUBMISSION_PERIOD_TYPE>\n")
        current = -1
        for school, n in _students(per_school, variant):
            if school != current:
                if current >= 0:
                    out.write("</SCHOOL>\n")
                out.write(f"<SCHOOL><SCHOOL_NUMBER>{BSIDS[school]}</SCHOOL_NUMBER>\n")
                out.writelines(_class(c) + "\n" for c in range(CLASSES_PER_SCHOOL))
                current = school
            out.write(_student(school, n, variant) + "\n")
        out.write(f"</SCHOOL></SCHOOL_SUBMISSION></DATA></{root}>\n")


def _csv_line(cells: list[str]) -> str:
    return ",".join(f'"{c}"' for c in cells) + "\r\n"


def write_pae(folder: Path, per_school: int) -> None:
    """Extracts 0001, 0003 and 0004 holding what file "a" sends, some values changed."""
    from onsis_batch.pae.extracts import extract_file_name
    from onsis_batch.pae.layout import load_layouts

    folder.mkdir(parents=True, exist_ok=True)
    layouts = load_layouts()

    def row(extract: str, **values: str) -> str:
        names = [c.name for c in layouts[extract].columns]
        return _csv_line(["DT", *(values.get(name, "") for name in names)])

    for extract in ("0001", "0003", "0004"):
        path = folder / extract_file_name(extract)
        with path.open("w", encoding="cp1252", newline="", buffering=1 << 20) as out:
            header = ["H1", layouts[extract].file_type, "1", YEAR, DESCRIPTION, "2025/10/01"]
            out.write(_csv_line([*header, "08:00"]))
            for school, bsid in enumerate(BSIDS):
                out.write(_csv_line(["H2", bsid, "School", "02"]))
                _pae_rows(out, extract, school, per_school, row)


def _pae_rows(
    out: TextIO, extract: str, school: int, per_school: int, row: Callable[..., str]
) -> None:
    if extract == "0001":
        for c in range(CLASSES_PER_SCHOOL):
            values = {"class_code": _class_code(c), "class_start_date": "2025/09/02"}
            out.write(row("0001", **values, class_end_date="2026/01/30", class_type="R"))
        return
    for n in range(per_school):  # what file "a" sends, one grade in 60 changed since
        oen = _oen(school, n)
        if extract == "0003":
            values = _school_enrolment_values(n, n % 60 == 0)
            out.write(row("0003", oen=oen, **{k.lower(): v for k, v in values.items()}))
            continue
        for k in range(CLASSES_PER_STUDENT):
            values = _enrolment_values(n, k, str(60 + (n + k) % 40))
            out.write(row("0004", oen=oen, **{k.lower(): v for k, v in values.items()}))


def peak_of(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit status of a child process."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


FLOOR = """
import sys
from lxml import etree
for _, element in etree.iterparse(sys.argv[1], events=("end",), huge_tree=True):
    element.clear()
    while element.getprevious() is not None:
        del element.getparent()[0]
"""


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--size-mb", type=float, default=100.0, help="size of each batch file")
    size_mb = options.parse_args().size_mb
    ROOT.mkdir(parents=True, exist_ok=True)
    per_school = max(10, int(size_mb * 1e6 / BYTES_PER_STUDENT / len(BSIDS)))
    files = {name: ROOT / f"{name}.xml" for name in ("a", "b", "out")}
    started = time.perf_counter()
    for variant, path in files.items():
        write_batch(path, per_school, variant)
    write_pae(ROOT / "pae", per_school)
    print(
        f"onsis-batch diff benchmark, {os.cpu_count()} cores, python {sys.version.split()[0]}: "
        f"{per_school * len(BSIDS)} students in {len(BSIDS)} schools, synthesised in "
        f"{time.perf_counter() - started:.0f} s (not measured)"
    )
    command = [sys.executable, "-m", "onsis_batch"]
    a, b, out = (str(p) for p in files.values())
    runs = {
        "diff A B": ([*command, "diff", a, b, "--json"], [a, b]),
        "diff A --pae": ([*command, "diff", a, "--pae", str(ROOT / "pae"), "--json"], [a]),
        "results OUT": ([*command, "results", out, "--json"], [out]),
        "floor: iterparse A": ([sys.executable, "-c", FLOOR, a], [a]),
    }
    for label, (args, inputs) in runs.items():
        wall, peak, status = peak_of(args)
        largest = max(Path(p).stat().st_size for p in inputs) / 1e6
        ratio = peak / largest
        verdict = "" if label.startswith("floor") else ("ok" if ratio <= TARGET_RATIO else "MISSED")
        print(
            f"{label:20} file {largest:6.0f} MB  peak {peak:6.0f} MB  ratio {ratio:4.2f}x "
            f"(target {TARGET_RATIO:.0f}x) {verdict:6}  {wall:5.1f} s  exit {status}"
        )


if __name__ == "__main__":
    main()
