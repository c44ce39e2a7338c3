"""Act as a Supabase user: PostgREST's per-request transaction, in one place.

PostgREST serves every API request in one transaction that first sets the
search path, applies the role's own settings (Supabase gives ``authenticated``
an 8 s statement timeout), switches to the role named by the JWT (``anon``,
``authenticated``, ``service_role``), publishes the JWT claims as
``request.jwt.claims`` (read by ``auth.uid()`` and RLS policies), and then runs
the request, READ ONLY when it calls a STABLE or IMMUTABLE function.

:class:`Request` is that request for ``POST /rpc/<function>``, and
:func:`execute` / :func:`respond` run it: the one definition shared by
:func:`call` (tests and ``verify`` acting as a user) and the test suite's HTTP
stand-in for PostgREST (``tests/clients/http_endpoint.py``, which turns real
supabase-js and supabase-py requests into a :class:`Request`). :func:`as_user`
opens the same transaction for table requests, and :func:`http_status` maps a
SQLSTATE to the status PostgREST would answer.

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
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from supabase_sync.errors import RpcError
from supabase_sync.resources import read_sql

__all__ = [
    "ANON_ROLE",
    "EXTRA_SEARCH_PATH",
    "Request",
    "Response",
    "RpcError",
    "as_user",
    "call",
    "default_claims",
    "execute",
    "http_status",
    "respond",
    "user_request",
]

#: The extra search path Supabase configures for PostgREST (db-extra-search-path).
EXTRA_SEARCH_PATH = ("public", "extensions")

#: The role of a request without a JWT role claim (PostgREST's db-anon-role on Supabase).
ANON_ROLE = "anon"


@dataclass(frozen=True)
class Request:
    """One PostgREST RPC request: ``POST /rpc/<function>`` with a JSON object body.

    ``claims`` are the verified JWT's claims; their ``role`` is the role the
    request runs as (``anon`` without one), as PostgREST's
    ``jwt-role-claim-key`` reads it. ``args`` are the body's keys and values
    (named arguments); ``schema`` is the ``Content-Profile`` schema;
    ``headers`` become ``request.headers`` (lower-case names, as PostgREST
    publishes them).
    """

    function: str
    args: Mapping[str, Any] = field(default_factory=dict)
    claims: Mapping[str, Any] = field(default_factory=dict)
    schema: str = "public"
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        """The database role the request switches to."""
        return str(self.claims.get("role") or ANON_ROLE)

    @property
    def authenticated(self) -> bool:
        """Whether the request runs as another role than anon (42501 is then 403, not 401)."""
        return self.role != ANON_ROLE

    @property
    def path(self) -> str:
        """The request path as PostgREST publishes it in ``request.path``."""
        return f"/rpc/{self.function}"


@dataclass(frozen=True)
class Response:
    """What PostgREST answers to a :class:`Request`: status, JSON body (bytes) and headers."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The decoded body (None for an empty one, e.g. a 204 of a void function)."""
        return json.loads(self.body) if self.body else None


def user_request(
    function: str,
    args: Mapping[str, Any] | None = None,
    *,
    user_id: uuid.UUID | str | None = None,
    role: str | None = None,
    schema: str = "public",
    claims: Mapping[str, Any] | None = None,
) -> Request:
    """Return the request a Supabase client signed in as ``user_id`` (or anon) makes.

    ``user_id`` becomes the JWT ``sub``; ``role`` defaults to "authenticated"
    when a user is given, else "anon"; ``claims`` adds to (or overrides) the
    claims Supabase Auth would put in the token.
    """
    request_claims = _claims(user_id, _resolve_role(user_id, role), claims)
    return Request(function=function, args=dict(args or {}), claims=request_claims, schema=schema)


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

    The request is :func:`user_request`'s (``user_id``, ``role`` and
    ``claims`` as there), run by :func:`execute` on ``conn``: its own
    transaction, committed on success, rolled back on error, which is raised
    as :class:`RpcError`.
    """
    request = user_request(function, args, user_id=user_id, role=role, schema=schema, claims=claims)
    return execute(conn, request)


def execute(conn: psycopg.Connection, request: Request) -> Any:
    """Run ``request`` on ``conn`` as PostgREST would and return the function's decoded JSON result.

    The arguments travel as one JSON object cast to the declared parameter
    types, as PostgREST sends a request body. ``conn`` must not be inside a
    transaction (the request opens its own); it is the project owner's in
    tests, or ``authenticator``'s, as PostgREST logs in. Errors are raised as
    :class:`RpcError` with PostgREST's status and body.
    """
    return _execute(conn, request)[1]


def respond(conn: psycopg.Connection, request: Request) -> Response:
    """Run ``request`` on ``conn`` and return PostgREST's HTTP answer, errors included.

    200 with the JSON result; 204 with no body for a function returning void;
    on error the status of :func:`http_status` and the JSON error body
    (``code``, ``message``, ``details``, ``hint``).
    """
    try:
        target, result = _execute(conn, request)
    except RpcError as error:
        headers = {"Content-Type": _JSON_CONTENT_TYPE, **error.headers}
        return Response(error.status, _json_bytes(error.to_json()), headers)
    if target.returns_void:
        return Response(204, b"", {})
    return Response(200, _json_bytes(result), {"Content-Type": _JSON_CONTENT_TYPE})


_JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False).encode("utf-8")


def _execute(conn: psycopg.Connection, request: Request) -> tuple[_Signature, Any]:
    _require_idle(conn, "rpc.execute")
    try:
        target = _find_function(conn, request.schema, request.function, request.args)
        return target, _run_call(conn, request, target)
    except psycopg.Error as error:
        if error.sqlstate != "42883":
            raise _rpc_error(error, authenticated=request.authenticated) from error
    # 42883: the function was dropped and recreated with other parameter types
    # since it was looked up; look it up again, once.
    _forget_signatures(conn, request.schema, request.function)
    target = _find_function(conn, request.schema, request.function, request.args)
    try:
        return target, _run_call(conn, request, target)
    except psycopg.Error as error:
        raise _rpc_error(error, authenticated=request.authenticated) from error


def _run_call(conn: psycopg.Connection, request: Request, target: _Signature) -> Any:
    statement = _call_statement(request.schema, request.function, target, request.args)
    payload = json.dumps(request.args, default=_json_default)
    with conn.transaction(), conn.cursor() as cur:
        # PostgREST runs a POST to a STABLE or IMMUTABLE function read-only.
        _begin_request(
            cur,
            role=request.role,
            claims=request.claims,
            schema=request.schema,
            method="POST",
            path=request.path,
            headers=request.headers,
            read_only=not target.is_volatile,
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
                method="GET" if read_only else "POST",
                path="/",
                headers={},
                read_only=read_only,
            )
            yield cur
    except psycopg.Error as error:
        raise _rpc_error(error, authenticated=resolved_role != ANON_ROLE) from error


def http_status(sqlstate: str, *, authenticated: bool, message: str = "", detail: str | None = None) -> int:
    """Return the HTTP status PostgREST answers for an error with ``sqlstate``.

    ``authenticated`` is whether the request ran as another role than anon
    (42501 is 403 then, 401 otherwise); ``message`` matters for three codes
    PostgREST special-cases (a nonexistent JWT role, pg-safeupdate, xmlagg),
    ``detail`` for ``RAISE SQLSTATE 'PGRST'``, whose detail is the JSON status.
    The table is PostgREST's ``mapSQLtoHTTP`` (src/PostgREST/Error.hs).
    """
    code = sqlstate.upper()
    if code == "PGRST":
        raised = _parse_pgrst_raise(message, detail)
        return raised.status if raised is not None else 500
    if code in _STATUS_BY_SQLSTATE:
        return _STATUS_BY_SQLSTATE[code]
    if code == "42501":
        return 403 if authenticated else 401
    if code == "42883":
        return 406 if message.startswith("function xmlagg(") else 404
    if code == "21000":
        return 400 if message.endswith("requires a WHERE clause") else 500
    if code == "22023":
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if code.startswith("PT"):
        # PTxyz answers status xyz: the way a function picks its HTTP status.
        digits = code[2:]
        return int(digits) if digits.isdigit() and 100 <= int(digits) <= 599 else 500
    return _STATUS_BY_CLASS.get(code[:2], 400)


_STATUS_BY_SQLSTATE = {
    "23503": 409,  # foreign_key_violation
    "23505": 409,  # unique_violation
    "25006": 405,  # read_only_sql_transaction
    "53400": 500,  # configuration_limit_exceeded
    "57P01": 503,  # admin_shutdown
    "P0001": 400,  # raise_exception, plpgsql's default
    "42P01": 404,  # undefined_table
    "42P17": 500,  # invalid_object_definition (infinite recursion in a policy)
}

_STATUS_BY_CLASS = {
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


@dataclass(frozen=True)
class _PgrstRaise:
    body: dict[str, Any]
    status: int
    headers: dict[str, str]


def _parse_pgrst_raise(message: str, detail: str | None) -> _PgrstRaise | None:
    """Read ``RAISE SQLSTATE 'PGRST'``: MESSAGE is the JSON body, DETAIL the JSON status and headers."""
    try:
        body = json.loads(message)
        status = json.loads(detail) if detail is not None else None
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(status, dict):
        return None
    if not {"code", "message"} <= body.keys() or not isinstance(status.get("status"), int):
        return None
    if not isinstance(status.get("headers"), dict):
        return None
    return _PgrstRaise(body=body, status=status["status"], headers={str(k): str(v) for k, v in status["headers"].items()})


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
    searched = f" with parameter{'s' if len(names) > 1 else ''} {listed}" if names else " without parameters"
    raise RpcError(
        404,
        "PGRST202",
        f"Could not find the function {schema}.{function}"
        f"{f'({listed})' if names else ' without parameters'} in the schema cache",
        f"Searched for the function {schema}.{function}{searched}, but no matches were found in the schema cache.",
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
    cur: psycopg.Cursor,
    *,
    role: str,
    claims: Mapping[str, Any],
    schema: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    read_only: bool,
) -> None:
    if read_only:
        cur.execute("set transaction read only")
    search_path = ", ".join(dict.fromkeys((schema, *EXTRA_SEARCH_PATH)))
    cur.execute("select set_config('search_path', %s, true)", (search_path,))
    # PostgREST applies the impersonated role's own settings (ALTER ROLE ... SET),
    # e.g. Supabase's statement_timeout of 8s for authenticated, before it
    # switches to the role (PostgREST issue 3045).
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
    cur.execute(
        """
        select
            set_config('role', %(role)s, true),
            set_config('request.jwt.claims', %(claims)s, true),
            set_config('request.method', %(method)s, true),
            set_config('request.path', %(path)s, true),
            set_config('request.headers', %(headers)s, true),
            set_config('request.cookies', '{}', true)
        """,
        {
            "role": role,
            "claims": json.dumps(claims, default=_json_default),
            "method": method,
            "path": path,
            "headers": json.dumps({name.lower(): value for name, value in headers.items()}),
        },
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
    if sqlstate == "PGRST":
        return _pgrst_raise_error(message, diag.message_detail)
    status = http_status(sqlstate, authenticated=authenticated, message=message)
    # PostgREST asks for a token on every 401.
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return RpcError(status, sqlstate, message, diag.message_detail, diag.message_hint, headers=headers)


def _pgrst_raise_error(message: str, detail: str | None) -> RpcError:
    raised = _parse_pgrst_raise(message, detail)
    if raised is None:
        return RpcError(
            500,
            "PGRST121",
            "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error",
            f"MESSAGE {message!r}, DETAIL {detail!r}",
            hint="raise the body as MESSAGE (JSON with code and message, optionally details and hint) and the "
            "response as DETAIL (JSON with status and headers)",
        )
    body = raised.body
    return RpcError(
        raised.status,
        str(body["code"]),
        str(body["message"]),
        None if body.get("details") is None else str(body["details"]),
        None if body.get("hint") is None else str(body["hint"]),
        headers=raised.headers,
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
