"""Tiny hand-written batch and results files for the tools' tests (diff, results)."""

from __future__ import annotations

from pathlib import Path

BSID = "999001"


def segment(tag: str, *parts: str, **values: str | None) -> str:
    """`<TAG><NAME>value</NAME>...children...</TAG>`; a None value is an empty element."""
    leaves = "".join(f"<{k}/>" if v is None else f"<{k}>{v}</{k}>" for k, v in values.items())
    return f"<{tag}>{leaves}{''.join(parts)}</{tag}>"


def errors(*entries: tuple[str, str, str, str]) -> str:
    """DATA_ERROR_DETAILS with ERRORs of (field, value, message code, English message)."""
    body = "".join(
        "<ERROR>"
        f"<FIELD_NAME>{field}</FIELD_NAME><FIELD_VALUE>{value}</FIELD_VALUE>"
        f"<MESSAGE_CODE>{code}</MESSAGE_CODE><E_MESSAGE>{message}</E_MESSAGE>"
        f"<F_MESSAGE>FR {message}</F_MESSAGE>"
        "</ERROR>"
        for field, value, code, message in entries
    )
    return f"<DATA_ERROR_DETAILS>{body}</DATA_ERROR_DETAILS>"


def batch(
    *children: str,
    root: str = "ONSIS_BATCH_FILE",
    bsid: str = BSID,
    period: str = "OCTSEC1",
    header_extra: str = "",
    school_extra: str = "",
    data_extra: str = "",
) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f"<{root}><HEADER><VERSION>1.0</VERSION><DATE>2025/10/31</DATE>"
        f"<TIME>093000</TIME>{header_extra}</HEADER>"
        f"<DATA>{data_extra}<SCHOOL_SUBMISSION><ACADEMIC_YEAR>2025-2026</ACADEMIC_YEAR>"
        f"<SUBMISSION_PERIOD_TYPE>{period}</SUBMISSION_PERIOD_TYPE>"
        f"<SCHOOL><SCHOOL_NUMBER>{bsid}</SCHOOL_NUMBER>{school_extra}{''.join(children)}"
        f"</SCHOOL></SCHOOL_SUBMISSION></DATA></{root}>"
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="iso-8859-1")
    return path
