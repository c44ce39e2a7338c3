"""Act as a Supabase user: PostgREST's per-request transaction, in one place.

PostgREST serves every API request in one transaction that first sets the
search path, switches to the role named by the JWT (``anon``,
``authenticated``, ``service_role``), publishes the JWT claims as
``request.jwt.claims`` (read by ``auth.uid()`` and RLS policies), applies the
role's own settings (Supabase gives ``authenticated`` an 8 s statement
timeout), and then runs the request. :func:`call` reproduces that for
``POST /rpc/<function>``, :func:`as_user` for table requests, and
:func:`http_status` maps a SQLSTATE to the status PostgREST would answer.

Tests and ``verify`` use these helpers and never set those settings by hand.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from supabase_sync.errors import SupabaseSyncError
from supabase_sync.resources import read_sql

#: The extra search path Supabase configures for PostgREST (db-extra-search-path).
EXTRA_SEARCH_PATH = ("public", "extensions")


class RpcError(SupabaseSyncError):
    """A request failed in the database; carries what PostgREST would answer.

    ``status`` is the HTTP status, ``sqlstate`` the error code (PostgREST's
    ``code``), ``message``, ``detail`` and ``hint`` the error's fields.
    """

    def __init__(
        self,
        status: int,
        sqlstate: str,
        message: str,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.sqlstate = sqlstate
        self.detail = detail

    def __str__(self) -> str:
        text = f"HTTP {self.status} ({self.sqlstate}): {self.message}"
        if self.detail:
            text += f" DETAIL: {self.detail}"
        if self.hint:
            text += f" HINT: {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        """Return the error as PostgREST's JSON body (``code``, ``message``, ``details``, ``hint``)."""
        return {"code": self.sqlstate, "message": self.message, "details": self.detail, "hint": self.hint}


def call(
    conn: psycopg.Connection,
    function: str,
    args: Mapping[str, Any] | None = None,
    *,
    user_id: uuid.UUID | str | None = None,
    role: str | None = None,
    schema: str = "public",
    claims: Mapping[str, Any] | None = None,
) -> Any:
    """Call ``schema.function`` with named ``args`` as PostgREST would, and return its decoded JSON result.

    ``user_id`` becomes the JWT ``sub``; ``role`` defaults to "authenticated"
    when a user is given, else "anon"; ``claims`` adds to (or overrides) the
    JWT claims. The arguments travel as one JSON object cast to the declared
    parameter types, as PostgREST sends a request body. The call runs in its
    own transaction on ``conn`` (which must not be inside one): committed on
    success, rolled back on error, which is raised as :class:`RpcError`.
    """
    resolved_role = _resolve_role(user_id, role)
    authenticated = resolved_role != "anon"
    arguments = dict(args or {})
    _require_idle(conn, "rpc.call")
    request_claims = _claims(user_id, resolved_role, claims)
    try:
        target = _find_function(conn, schema, function, arguments)
        return _run_call(conn, schema, function, target, arguments, role=resolved_role, claims=request_claims)
    except psycopg.Error as error:
        if error.sqlstate != "42883":
            raise _rpc_error(error, authenticated=authenticated) from error
    # 42883: the function was dropped and recreated with other parameter types
    # since it was looked up; look it up again, once.
    _forget_signatures(conn, schema, function)
    target = _find_function(conn, schema, function, arguments)
    try:
        return _run_call(conn, schema, function, target, arguments, role=resolved_role, claims=request_claims)
    except psycopg.Error as error:
        raise _rpc_error(error, authenticated=authenticated) from error


def _run_call(
    conn: psycopg.Connection,
    schema: str,
    function: str,
    target: _Signature,
    arguments: Mapping[str, Any],
    *,
    role: str,
    claims: Mapping[str, Any],
) -> Any:
    statement = _call_statement(schema, function, target, arguments)
    payload = json.dumps(arguments, default=_json_default)
    with conn.transaction(), conn.cursor() as cur:
        # PostgREST runs a POST to a STABLE or IMMUTABLE function read-only.
        _begin_request(
            cur, role=role, claims=claims, schema=schema, path=f"/rpc/{function}", read_only=not target.is_volatile
        )
        cur.execute(statement, (payload,))
        row = cur.fetchone()
    return None if row is None else row[0]


@contextmanager
def as_user(
    conn: psycopg.Connection,
    *,
    user_id: uuid.UUID | str | None = None,
    role: str | None = None,
    claims: Mapping[str, Any] | None = None,
    schema: str = "public",
    read_only: bool = False,
) -> Iterator[psycopg.Cursor]:
    """Yield a cursor inside a PostgREST-like transaction acting as a user, for plain DML.

    The same setup as :func:`call` (role, JWT claims, search path, role
    settings); what the block executes then runs under RLS as that user.
    ``read_only`` makes it a GET: PostgREST runs those in a READ ONLY
    transaction. The transaction commits when the block ends and rolls back on
    any exception; database errors raised in the block come out as
    :class:`RpcError`.
    """
    resolved_role = _resolve_role(user_id, role)
    _require_idle(conn, "rpc.as_user")
    try:
        with conn.transaction(), conn.cursor() as cur:
            _begin_request(
                cur,
                role=resolved_role,
                claims=_claims(user_id, resolved_role, claims),
                schema=schema,
                path="/",
                read_only=read_only,
            )
            yield cur
    except psycopg.Error as error:
        raise _rpc_error(error, authenticated=resolved_role != "anon") from error


def http_status(sqlstate: str, *, authenticated: bool, message: str = "") -> int:
    """Return the HTTP status PostgREST answers for an error with ``sqlstate``.

    ``authenticated`` is whether the request carried a non-anonymous role
    (42501 is 403 then, 401 otherwise); ``message`` matters for two codes
    PostgREST special-cases (a nonexistent JWT role, pg-safeupdate).
    """
    code = sqlstate.upper()
    exact = {
        "23503": 409,
        "23505": 409,
        "25006": 405,
        "53400": 500,
        "57P01": 503,
        "P0001": 400,
        "42883": 404,
        "42P01": 404,
        "42P17": 500,
    }
    if code in exact:
        return exact[code]
    if code == "42501":
        return 403 if authenticated else 401
    if code == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code.startswith("PT") and code != "PGRST":
        digits = code[2:]
        return int(digits) if digits.isdigit() and 100 <= int(digits) <= 999 else 500
    by_class = {
        "08": 503,
        "09": 500,
        "0L": 403,
        "0P": 403,
        "25": 500,
        "28": 403,
        "2D": 500,
        "38": 500,
        "39": 500,
        "3B": 500,
        "40": 500,
        "53": 503,
        "54": 500,
        "55": 500,
        "57": 500,
        "58": 500,
        "F0": 500,
        "HV": 500,
        "P0": 500,
        "XX": 500,
    }
    return by_class.get(code[:2], 400)


def default_claims(user_id: uuid.UUID | str | None, role: str) -> dict[str, Any]:
    """Return the JWT claims Supabase Auth would put in a token for ``user_id`` with ``role``."""
    issued_at = int(time.time())
    if user_id is None:
        return {"iss": "supabase", "role": role, "iat": issued_at, "exp": issued_at + 3600}
    return {
        "iss": "supabase",
        "sub": str(user_id),
        "aud": "authenticated",
        "role": role,
        "aal": "aal1",
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
        "iat": issued_at,
        "exp": issued_at + 3600,
    }


@dataclass(frozen=True)
class _Signature:
    signature: str
    default_count: int
    returns_set: bool
    returns_void: bool
    is_volatile: bool
    input_names: tuple[str, ...]
    input_types: tuple[str, ...]

    def accepts(self, names: set[str]) -> bool:
        required = set(self.input_names[: len(self.input_names) - self.default_count])
        return names <= set(self.input_names) and required <= names


# Catalog lookups are cached per server, database, schema and name, as
# PostgREST's schema cache is. A function recreated with other parameters is
# looked up again when no cached signature matches or the call fails with 42883.
_signature_cache: dict[tuple[str, str, int, str, str], list[_Signature]] = {}


def _signatures(conn: psycopg.Connection, schema: str, function: str) -> list[_Signature]:
    key = _cache_key(conn, schema, function)
    cached = _signature_cache.get(key)
    if cached:
        return cached
    with conn.cursor() as cur:
        cur.execute(read_sql("queries/rpc_function_signatures.sql"), {"schema": schema, "name": function})
        found = [
            _Signature(
                signature=row[0],
                default_count=row[1],
                returns_set=row[2],
                returns_void=row[3],
                is_volatile=row[4],
                input_names=tuple(row[5]),
                input_types=tuple(row[6]),
            )
            for row in cur.fetchall()
        ]
    if conn.info.transaction_status == TransactionStatus.INTRANS:
        conn.rollback()
    if found:
        _signature_cache[key] = found
    return found


def _cache_key(conn: psycopg.Connection, schema: str, function: str) -> tuple[str, str, int, str, str]:
    return (conn.info.host, conn.info.dbname, conn.info.port, schema, function)


def _forget_signatures(conn: psycopg.Connection, schema: str, function: str) -> None:
    _signature_cache.pop(_cache_key(conn, schema, function), None)


def clear_signature_cache() -> None:
    """Forget the cached function signatures (after a function was replaced with other parameters)."""
    _signature_cache.clear()


def _find_function(conn: psycopg.Connection, schema: str, function: str, arguments: Mapping[str, Any]) -> _Signature:
    names = set(arguments)
    for refresh in (False, True):
        if refresh:
            _forget_signatures(conn, schema, function)
        matches = [candidate for candidate in _signatures(conn, schema, function) if candidate.accepts(names)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise RpcError(
                300,
                "PGRST203",
                f"Could not choose the best candidate function between: {', '.join(m.signature for m in matches)}",
                hint="Try renaming the parameters or the function itself in the database "
                "so function overloading can be resolved",
            )
    listed = ", ".join(sorted(names))
    raise RpcError(
        404,
        "PGRST202",
        f"Could not find the function {schema}.{function}({listed}) in the schema cache",
        hint="check the function's name, schema and parameter names",
    )


def _call_statement(schema: str, function: str, target: _Signature, arguments: Mapping[str, Any]) -> sql.Composed:
    given = [(name, kind) for name, kind in zip(target.input_names, target.input_types) if name in arguments]
    named = sql.SQL(", ").join(
        sql.SQL("{name} := pgrst_args.{name}").format(name=sql.Identifier(name)) for name, _kind in given
    )
    invocation = sql.SQL("{schema}.{function}({named})").format(
        schema=sql.Identifier(schema), function=sql.Identifier(function), named=named
    )
    if target.returns_set:
        result = sql.SQL(
            "select coalesce(jsonb_agg(to_jsonb(pgrst_row)), '[]'::jsonb) as result from {invocation} as pgrst_row"
        )
    elif target.returns_void:
        result = sql.SQL("select null::jsonb as result from (select {invocation}) as pgrst_void")
    else:
        result = sql.SQL("select to_jsonb({invocation}) as result")
    # Arguments arrive like a PostgREST request body: one JSON object turned
    # into a typed record, so PostgreSQL itself casts every value. The types
    # come from pg_catalog.format_type, which quotes what needs quoting.
    if given:
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in given
        )
        source = sql.SQL("json_to_record(%s::json) as pgrst_args({columns})").format(columns=columns)
    else:
        source = sql.SQL("(select %s::json as body) as pgrst_args")
    return sql.SQL("select pgrst_call.result from {source}, lateral ({result}) as pgrst_call").format(
        source=source, result=result.format(invocation=invocation)
    )


def _begin_request(
    cur: psycopg.Cursor, *, role: str, claims: Mapping[str, Any], schema: str, path: str, read_only: bool
) -> None:
    if read_only:
        cur.execute("set transaction read only")
    search_path = ", ".join(dict.fromkeys((schema, *EXTRA_SEARCH_PATH)))
    cur.execute(
        """
        select
            set_config('search_path', %(search_path)s, true),
            set_config('role', %(role)s, true),
            set_config('request.jwt.claims', %(claims)s, true),
            set_config('request.method', %(method)s, true),
            set_config('request.path', %(path)s, true),
            set_config('request.headers', '{}', true),
            set_config('request.cookies', '{}', true)
        """,
        {
            "search_path": search_path,
            "role": role,
            "claims": json.dumps(claims, default=_json_default),
            "method": "POST" if path.startswith("/rpc/") or not read_only else "GET",
            "path": path,
        },
    )
    # PostgREST applies the impersonated role's own settings (ALTER ROLE ... SET),
    # e.g. Supabase's statement_timeout of 8s for authenticated.
    cur.execute(
        """
        select set_config(split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), true)
        from pg_catalog.pg_db_role_setting as s
        cross join lateral unnest(s.setconfig) as setting
        where s.setrole = (select oid from pg_catalog.pg_roles where rolname = %(role)s)
            and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
        order by s.setdatabase
        """,
        {"role": role},
    )


def _resolve_role(user_id: uuid.UUID | str | None, role: str | None) -> str:
    if role is not None:
        return role
    return "authenticated" if user_id is not None else "anon"


def _claims(user_id: uuid.UUID | str | None, role: str, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    claims = default_claims(user_id, role)
    if extra:
        claims.update(extra)
    return claims


def _require_idle(conn: psycopg.Connection, what: str) -> None:
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError(
            f"{what} needs a connection that is not inside a transaction: the request opens its own, "
            "as PostgREST does (use an autocommit connection, or commit first)"
        )


def _rpc_error(error: psycopg.Error, *, authenticated: bool) -> RpcError:
    diag = error.diag
    sqlstate = error.sqlstate or "XX000"
    message = diag.message_primary or str(error)
    return RpcError(
        http_status(sqlstate, authenticated=authenticated, message=message),
        sqlstate,
        message,
        diag.message_detail,
        diag.message_hint,
    )


def _json_default(value: object) -> object:
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send a {type(value).__name__} as a JSON argument")
