"""Reading policy expressions as PostgreSQL prints them (``pg_get_expr``).

Three questions are answered here, on the deparsed text rather than on raw SQL, so
every spelling a migration used arrives in one canonical form:

- which calls of ``auth.uid()``, ``auth.jwt()``, ``current_setting()``... are not
  wrapped in a scalar subquery (``(select auth.uid())``)? PostgreSQL evaluates an
  unwrapped call once per row; a wrapped one once per statement (an InitPlan).
- which column does a policy compare with ``auth.uid()`` (the owner column)?
- is an expression exactly the owner predicate, ``auth.uid() = <owner column>``
  (wrapped or not, either side), and nothing more?
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CALL = re.compile(r"(?<![\w.\"])(?P<name>auth\.uid|auth\.jwt|auth\.role|auth\.email|current_setting)\s*\(", re.I)
_SELECT_AFTER_PAREN = re.compile(r"\(\s*select\b", re.I)
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_UID = r"(?:\(\s*SELECT\s+auth\.uid\(\)\s+AS\s+uid\s*\)|auth\.uid\(\))"
_OWNER_COMPARISON = re.compile(
    rf"(?:{_UID}\s*=\s*(?:{_IDENT}\.)?(?P<right>{_IDENT}))|(?:(?:{_IDENT}\.)?(?P<left>{_IDENT})\s*=\s*{_UID})",
    re.I,
)


@dataclass(frozen=True)
class RequestCall:
    """One call of a request function in an expression: ``text[start:end]``."""

    name: str
    start: int
    end: int
    wrapped: bool


def _skip_quoted(text: str, index: int) -> int:
    """Return the index just after the quoted token starting at ``index``."""
    quote = text[index]
    index += 1
    while index < len(text):
        if text[index] == quote:
            if index + 1 < len(text) and text[index + 1] == quote:
                index += 2
                continue
            return index + 1
        index += 1
    return index


def _matching_paren(text: str, open_index: int) -> int:
    """Return the index just after the parenthesis closing the one at ``open_index``."""
    depth = 0
    index = open_index
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _skip_quoted(text, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(text)


def request_calls(expression: str) -> list[RequestCall]:
    """Find the request-function calls of ``expression`` and whether each sits in a subquery."""
    calls: list[RequestCall] = []
    select_stack: list[bool] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        if char in "'\"":
            index = _skip_quoted(expression, index)
            continue
        match = _CALL.match(expression, index)
        if match and (index == 0 or not (expression[index - 1].isalnum() or expression[index - 1] in "_.\"")):
            open_index = match.end() - 1
            end = _matching_paren(expression, open_index)
            calls.append(RequestCall(match["name"].lower(), index, end, any(select_stack)))
            index = end
            continue
        if char == "(":
            select_stack.append(bool(_SELECT_AFTER_PAREN.match(expression, index)))
        elif char == ")" and select_stack:
            select_stack.pop()
        index += 1
    return calls


def unwrapped_calls(expression: str | None) -> list[RequestCall]:
    """The calls of ``expression`` evaluated once per row (not inside a subquery)."""
    if not expression:
        return []
    return [call for call in request_calls(expression) if not call.wrapped]


def wrap_request_calls(expression: str) -> str:
    """Return ``expression`` with every unwrapped request call put inside ``(select ...)``."""
    text = expression
    for call in sorted(unwrapped_calls(expression), key=lambda c: c.start, reverse=True):
        text = f"{text[: call.start]}(select {text[call.start : call.end]}){text[call.end :]}"
    return text


def _unquote(identifier: str) -> str:
    if identifier.startswith('"'):
        return identifier[1:-1].replace('""', '"')
    return identifier.lower()


def owner_columns(expression: str | None) -> set[str]:
    """Column names ``expression`` compares with ``auth.uid()`` (``auth.uid() = c`` or ``c = auth.uid()``)."""
    if not expression:
        return set()
    names: set[str] = set()
    for match in _OWNER_COMPARISON.finditer(expression):
        identifier = match["right"] or match["left"]
        if identifier and identifier.upper() not in {"SELECT", "AS", "UID"}:
            names.add(_unquote(identifier))
    return names


def _strip_outer_parentheses(expression: str) -> str:
    text = expression.strip()
    while text.startswith("(") and _matching_paren(text, 0) == len(text):
        text = text[1:-1].strip()
    return text


_OWNER_PREDICATE = re.compile(
    rf"^(?:{_UID}\s*=\s*(?:{_IDENT}\.)?(?P<right>{_IDENT})|(?:{_IDENT}\.)?(?P<left>{_IDENT})\s*=\s*{_UID})$",
    re.I,
)


def is_owner_predicate(expression: str | None, owner_column: str) -> bool:
    """True when ``expression`` is exactly ``auth.uid() = owner_column`` (either side, wrapped or not).

    What PostgreSQL prints for ``(select auth.uid()) = user_id`` is
    ``(( SELECT auth.uid() AS uid) = user_id)``; any other condition joined to
    it (``or true``, ``and ...``) makes it something else.
    """
    if not expression:
        return False
    match = _OWNER_PREDICATE.match(_strip_outer_parentheses(expression))
    if match is None:
        return False
    return _unquote(match["right"] or match["left"]) == owner_column


def is_always_true(expression: str | None) -> bool:
    """True when ``expression`` is the constant ``true`` (in any number of parentheses)."""
    return bool(expression) and _strip_outer_parentheses(expression or "").lower() == "true"
