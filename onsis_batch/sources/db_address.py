"""Where a database is: a URI, a libpq keyword string or a database file, as a `Database`.

Only addresses are handled here (no driver is imported): recognising one, masking its
secrets for every label and message, and quoting identifiers for SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# URI scheme -> database kind; plain files are recognised by their suffix.
SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
SUFFIXES = {".sqlite": "sqlite", ".sqlite3": "sqlite", ".db": "sqlite", ".duckdb": "duckdb"}
DRIVERS = {"postgresql": "psycopg", "sqlite": "sqlite3", "duckdb": "duckdb"}
# libpq's keyword/value connection string (`host=db dbname=sis password='a b'`): one pair,
# its value bare (backslash escapes) or single-quoted (\' and \\ inside).
_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)\s*")
# fmt: off
LIBPQ_KEYWORDS = frozenset((
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
    "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
    "requiressl", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslpassword",
    "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
    "gssdelegation", "service", "target_session_attrs", "load_balance_hosts",
))
# fmt: on
SECRETS = ("password", "sslpassword")  # values never shown: in URIs and keyword strings
# The driver's or polars' message would quote the value, which may be personal.


@dataclass(frozen=True)
class Database:
    """Where the data is: a database kind and the URI or file that reaches it."""

    kind: str  # postgresql | sqlite | duckdb
    target: str  # the connection URI (postgresql) or the database file

    @property
    def label(self) -> str:
        """The database as findings and logs name it, with any password masked."""
        return mask_password(self.target) if self.kind == "postgresql" else self.target


def parse_database(data: str | Path) -> Database | None:
    """The database `data` names (URI or *.sqlite/*.db/*.duckdb file); None for a folder.

    `sqlite:///x.db` is the relative file x.db and `sqlite:////srv/x.db` the absolute one,
    as in SQLAlchemy URLs; the same holds for `duckdb:`. A libpq keyword string
    (`host=db dbname=sis user=onsis`) is a PostgreSQL database too; ValueError when one
    names a keyword libpq does not know (a typo would otherwise be read as a folder).
    """
    text = str(data)
    pairs = conninfo_pairs(text)
    if pairs and not Path(text).is_dir():
        unknown = sorted({key for key, _ in pairs} - LIBPQ_KEYWORDS)
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a PostgreSQL connection keyword")
        return Database("postgresql", text)
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in SCHEMES:
        kind = SCHEMES[scheme.lower()]
        if kind == "postgresql":
            return Database(kind, text)
        return Database(kind, rest[1:] if rest.startswith("/") else rest)
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        raise ValueError(f"{scheme}:// is not a supported database (postgresql, sqlite, duckdb)")
    suffix = Path(text).suffix.lower()
    if suffix in SUFFIXES and not Path(text).is_dir():
        return Database(SUFFIXES[suffix], text)
    return None


def conninfo_pairs(text: str) -> list[tuple[str, str]]:
    """(keyword, value as written) of a libpq keyword/value string; [] when `text` is not
    one (it must be nothing but `keyword=value` pairs)."""
    pairs, at = [], 0
    while at < len(text):
        match = _PAIR.match(text, at)
        if match is None or match.end() == at:
            return []
        pairs.append((match[1].lower(), match[2]))
        at = match.end()
    return pairs


def mask_password(uri: str) -> str:
    """`uri` with the password of its user part and any password= parameter replaced; a
    keyword string with its password and sslpassword values replaced."""
    if conninfo_pairs(uri):
        return _PAIR.sub(_masked_pair, uri)
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = re.sub(r"(?i)(^|&)((?:ssl)?password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _masked_pair(match: re.Match[str]) -> str:
    """One `keyword=value` pair as written, its value replaced when it is a secret."""
    if match[1].lower() not in SECRETS:
        return match[0]
    start, end = match.span(2)
    return match[0][: start - match.start()] + "***" + match[0][end - match.start() :]


def quote(name: str) -> str:
    """A table (optionally schema.table) or column name as a quoted SQL identifier."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))
