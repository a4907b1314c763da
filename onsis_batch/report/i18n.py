"""The words people read, in English or French: `report/labels.yaml` and plural forms.

A label is text, or (for a count) its plural forms keyed by CLDR category, e.g.
`{one: "{n} erreur", other: "{n} erreurs"}`; Babel tells which category a count takes in
the language (French counts 0 and 1 as singular, English only 1), so a count always reads
right ("0 erreur", "2 erreurs"; "0 errors", "1 error"). Numbers keep plain digits, as the
files and logs show them; decimals take the language's separator ("12,4 s"). D890.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from onsis_batch.findings import Finding, Severity
from onsis_batch.reasons import RulebookRef
from onsis_batch.resources import language_labels

if TYPE_CHECKING:
    from babel import Locale

LABELS = "report/labels.yaml"


@cache
def labels(lang: str) -> dict[str, str]:
    """The text labels of one language (`en` or `fr`); counts are read with `counted`."""
    raw = language_labels(LABELS, lang)
    return {str(key): value for key, value in raw.items() if isinstance(value, str)}


@cache
def plural_forms(lang: str) -> dict[str, dict[str, str]]:
    """The labels of counts in `lang`: key -> {CLDR category: text with `{n}`}."""
    raw = language_labels(LABELS, lang)
    return {str(key): value for key, value in raw.items() if isinstance(value, dict)}


@cache
def _locale(lang: str) -> Locale:
    from babel import Locale  # Babel loads only for what _COUNT_CATEGORY does not cover

    return Locale.parse(lang)


def _english_count(n: int) -> str:
    return "one" if n == 1 else "other"


def _french_count(n: int) -> str:
    if n in (0, 1):
        return "one"
    return "many" if n % 1_000_000 == 0 else "other"


# CLDR's plural categories of a whole number in the two languages of the labels, as Babel
# tells them (`en` one: i = 1 and v = 0; `fr` one: i = 0,1, many: i != 0 and
# i % 1000000 = 0 and v = 0), so that printing a count does not load Babel and its locale
# data on every run (D1003); tests check them against Babel.
_COUNT_CATEGORY = {"en": _english_count, "fr": _french_count}


def counted(lang: str, key: str, n: int, **values: Any) -> str:
    """`n` with the label `key` in the plural form `n` takes in `lang`: `2 avertissements`."""
    return plural(lang, plural_forms(lang)[key], n, **values)


def plural(lang: str, forms: Mapping[str, str], n: int, **values: Any) -> str:
    """`n` in the one of `forms` (CLDR category -> text with `{n}`) that `n` takes in
    `lang`; labels files other than labels.yaml keep their counts this way too."""
    whole = _COUNT_CATEGORY.get(lang) if type(n) is int else None
    category = whole(abs(n)) if whole else _locale(lang).plural_form(n)
    text = forms.get(category, forms["other"])
    return text.format(n=n, **values)


def word(lang: str, key: str, **values: Any) -> str:
    """The label `key` in `lang`, its `{placeholders}` filled from `values`."""
    return labels(lang)[key].format(**values)


def seconds(lang: str, value: float, places: int = 1) -> str:
    """A duration in seconds with the language's decimal separator: `12.4 s`, `12,4 s`."""
    from babel.numbers import format_decimal

    pattern = "0." + "0" * places if places else "0"
    return f"{format_decimal(value, format=pattern, locale=lang)} s"


SEVERITY_COUNTS = {
    Severity.ERROR: "n_errors",
    Severity.WARNING: "n_warnings",
    Severity.INFO: "n_notes",
}


def severity_counts(lang: str, by_severity: dict[str, int]) -> str:
    """`0 errors, 2 warnings, 1 note` (or in French) from counts by severity."""
    return ", ".join(
        counted(lang, SEVERITY_COUNTS[Severity(name)], n) for name, n in by_severity.items()
    )


def severity_word(lang: str, severity: Severity) -> str:
    """The severity as a finding line starts with it: `ERROR`, `AVERTISSEMENT`."""
    return labels(lang)[f"severity_{severity}"]


def location(item: Finding, lang: str) -> str:
    """Where a finding points, in `lang`: `students, ligne 5, colonne oen`."""
    if lang == "en":
        return item.location
    words = labels(lang)
    parts = [item.file] if item.file else []
    if item.row is not None:
        parts.append(words["at_row"].format(n=item.row))
    if item.column:
        parts.append(words["at_column"].format(name=item.column))
    if item.segment:
        parts.append(item.segment if not item.key else f"{item.segment} {item.key}")
    if item.line is not None:
        parts.append(words["at_line"].format(n=item.line))
    return ", ".join(parts)


def finding_line(item: Finding, lang: str) -> str:
    """One finding as a line of text in `lang`: severity, code, location, message."""
    if lang == "en":
        return str(item)
    where = location(item, lang)
    shown = f" [{where}]" if where else ""
    message = item.message_fr if lang == "fr" else item.message_en
    return f"{severity_word(lang, item.severity)} {item.code}{shown}: {message}"


def retold(text: str, english: Mapping[str, str], local: Mapping[str, str]) -> str:
    """`text`, which the code words in English after one of the `english` templates, told
    with the `local` template of the same key; `text` itself when no template fits."""
    for key, template in english.items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+)", re.escape(template))
        matched = re.fullmatch(pattern, text)
        if matched and key in local:
            return local[key].format(**matched.groupdict())
    return text


def stage_text(stage: str, lang: str) -> str:
    """A pipeline stage (`reading school data`, `planning BSID 999001`) in `lang`: the run
    names its stages in English, the `stage_*` labels say them in each language."""
    stages = {key: text for key, text in labels("en").items() if key.startswith("stage_")}
    return retold(stage, stages, labels(lang))


def rulebook_ref(ref: RulebookRef, lang: str) -> str:
    """A rule-book passage: its (English) section heading, then its lines in `lang`."""
    section = word(lang, "quoted", text=ref.section)  # the rule book is in English
    if ref.first_line == ref.last_line:
        return f"{section} ({word(lang, 'at_line', n=ref.first_line)})"
    lines = word(lang, "at_lines", first=ref.first_line, last=ref.last_line)
    return f"{section} ({lines})"
