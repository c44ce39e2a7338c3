"""Names of database objects: a schema-qualified table name, and how names are shown.

Two forms, never mixed up: SQL always gets identifiers through
:class:`psycopg.sql.Identifier` (every part quoted); people get
:func:`display_identifier` (bare when PostgreSQL would accept the name bare,
double-quoted otherwise), so ``public."order"`` reads back as the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import sql

from supabase_sync.errors import ConfigError

_MAX_IDENTIFIER_BYTES = 63

#: Keywords PostgreSQL does not accept as a bare column or table name (every
#: category of ``pg_get_keywords()`` but "unreserved"), so ``quote_ident``
#: quotes them. From PostgreSQL 15; ``tests/test_names.py`` compares it with the
#: server the tests run on.
QUOTED_KEYWORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both
    case cast char character check coalesce collate collation column concurrently constraint create cross
    current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
    decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
    freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
    interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural
    nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
    placing position precision primary real references returning right row select session_user setof similar
    smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union
    unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat
    xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
    """.split()
)

_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def display_identifier(name: str) -> str:
    """``name`` as people read it and PostgreSQL reads it back: bare when plain, else double-quoted.

    Plain means what ``quote_ident`` leaves bare: lowercase ASCII letters,
    digits and underscores, not starting with a digit, and not a keyword
    PostgreSQL reserves (``order``, ``user``, ``select`` are quoted).
    """
    if _PLAIN_IDENTIFIER.match(name) and name not in QUOTED_KEYWORDS:
        return name
    return sql.Identifier(name).as_string(None)


@dataclass(frozen=True)
class TableName:
    """A schema-qualified table name, kept as its two raw parts."""

    schema: str
    name: str

    @property
    def identifier(self) -> sql.Identifier:
        """The quoted ``schema.table`` identifier."""
        return sql.Identifier(self.schema, self.name)

    @property
    def display(self) -> str:
        """``schema.table`` for people: parts quoted only when needed (``public.task``, ``public."order"``)."""
        return f"{display_identifier(self.schema)}.{display_identifier(self.name)}"

    @property
    def regclass(self) -> sql.Literal:
        """A string literal that casts to this table's ``regclass`` (every part quoted)."""
        return sql.Literal(self.identifier.as_string(None))

    def __str__(self) -> str:
        return self.display


def truncate_identifier(name: str) -> str:
    """Cut ``name`` to 63 bytes on a character boundary, as Postgres does to long names."""
    encoded = name.encode("utf-8")
    if len(encoded) <= _MAX_IDENTIFIER_BYTES:
        return name
    return encoded[:_MAX_IDENTIFIER_BYTES].decode("utf-8", errors="ignore")


_UNQUOTED_PART = re.compile(r"[^\s.\"]+")


def parse_table_name(text: str, *, default_schema: str = "public") -> TableName:
    """Parse ``table``, ``schema.table`` or quoted forms (``"my schema"."a""b"``) like Postgres.

    Unquoted parts are folded to lowercase; quoted parts are kept as written,
    with ``""`` meaning one ``"``. Raises :class:`ConfigError` on anything else.
    """
    parts: list[str] = []
    position, length = 0, len(text)
    while True:
        if position < length and text[position] == '"':
            part, position = _quoted_part(text, position)
            parts.append(part)
        else:
            match = _UNQUOTED_PART.match(text, position)
            if not match:
                raise _bad_table_name(text, "expected a name")
            parts.append(match.group(0).lower())
            position = match.end()
        if position == length:
            break
        if text[position] != ".":
            raise _bad_table_name(text, f"unexpected {text[position]!r}")
        position += 1
    if len(parts) == 1:
        return TableName(default_schema, parts[0])
    if len(parts) == 2:
        return TableName(parts[0], parts[1])
    raise _bad_table_name(text, "too many dots")


def _quoted_part(text: str, position: int) -> tuple[str, int]:
    """Read the quoted name starting at ``text[position]``; return it and the index after it."""
    end = position + 1
    value: list[str] = []
    while True:
        close = text.find('"', end)
        if close < 0:
            raise _bad_table_name(text, "unterminated quoted name")
        value.append(text[end:close])
        if text.startswith('"', close + 1):
            value.append('"')
            end = close + 2
            continue
        break
    part = "".join(value)
    if not part:
        raise _bad_table_name(text, "empty quoted name")
    return part, close + 1


def _bad_table_name(text: str, reason: str) -> ConfigError:
    return ConfigError(
        f"cannot read table name {text!r}: {reason}",
        hint='write schema.table; quote names with spaces or capitals like "My Schema"."My Table"',
    )
