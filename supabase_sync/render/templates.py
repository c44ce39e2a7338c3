"""Loading the SQL templates of ``sql/policies`` and ``sql/templates`` and filling them in.

Templates use :mod:`psycopg.sql` placeholders (``{table}``, ``{owner_column}``...);
identifiers are always passed as :class:`psycopg.sql.Identifier` and values as
:class:`psycopg.sql.Literal`, so hostile names are quoted, never pasted.
"""

from __future__ import annotations

from functools import cache

from psycopg import sql

from supabase_sync.resources import read_sql

_DOLLAR_TAG = "$supabase_sync$"

#: Templates that live in ``sql/policies`` (row level security); the others live in ``sql/templates``.
POLICY_TEMPLATES = frozenset(
    {
        "enable_rls",
        "owner_select",
        "owner_insert",
        "owner_update",
        "owner_delete",
        "drop_policy",
        "shared_select",
        "shared_insert",
        "shared_update",
        "shared_delete",
    }
)


def template_path(name: str) -> str:
    """The path of template ``name`` inside ``sql/``."""
    folder = "policies" if name in POLICY_TEMPLATES else "templates"
    return f"{folder}/{name}.sql"


@cache
def template_text(name: str) -> str:
    """Return a template without its leading comment lines (they document placeholders)."""
    lines = read_sql(template_path(name)).splitlines()
    while lines and (not lines[0].strip() or lines[0].startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()


def _free_dollar_tag(texts: list[str], base: str = "supabase_sync") -> str:
    """Return a dollar-quote tag that occurs in none of ``texts``."""
    tag, counter = f"${base}$", 0
    while any(tag in text for text in texts):
        counter += 1
        tag = f"${base}_{counter}$"
    return tag


def dollar_quote(text: str, *, base: str = "supabase_sync") -> sql.SQL:
    """Return ``text`` as a dollar-quoted string literal whose tag does not occur in it."""
    tag = _free_dollar_tag([text], base)
    return sql.SQL(f"{tag}\n{text}\n{tag}")  # type: ignore[arg-type]  # the tag occurs nowhere in the text


def render_template(name: str, **args: sql.Composable) -> sql.Composed:
    """Render the template ``name`` (``sql/policies`` or ``sql/templates``) with ``args``.

    A template's ``$supabase_sync$`` dollar quotes get a tag that none of the
    rendered arguments contains, so no identifier can end a DO block early.
    """
    text = template_text(name)
    if _DOLLAR_TAG in text:
        tag = _free_dollar_tag([arg.as_string(None) for arg in args.values()])
        text = text.replace(_DOLLAR_TAG, tag)
    return sql.SQL(text).format(**args)  # type: ignore[arg-type]  # template text is trusted package data
