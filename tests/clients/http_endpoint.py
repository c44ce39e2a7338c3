"""A local HTTP stand-in for a Supabase project's API gateway, for real client libraries.

supabase-js, supabase-py and the WatermelonDB adapter talk HTTP; the database
behind this server is the test's real sandbox database. It answers:

- ``POST /rest/v1/rpc/<function>``: PostgREST's RPC. The ``apikey`` header must
  hold the anon or service key (as the gateway, Kong, checks); the
  ``Authorization: Bearer`` JWT (HS256, checked like PostgREST: signature,
  ``exp``) gives the claims, whose ``role`` the request runs as. The request
  itself is a :class:`supabase_sync.rpc.Request`, executed by
  :func:`supabase_sync.rpc.respond` on a connection logged in as
  ``authenticator``: the same definition ``rpc.call`` uses, so the
  transaction, the role switch, the role's settings (``statement_timeout``),
  READ ONLY for STABLE functions, named arguments and the SQLSTATE -> HTTP
  table are PostgREST's in both.
- ``POST /auth/v1/token?grant_type=password``: a minimal stand-in for Supabase
  Auth's password sign-in (users made by :meth:`SupabaseStandIn.create_user`),
  answering a session with an access token, so clients sign in as apps do.
- ``POST /_test/<hook>``: callables the test registers (purge, inspect), so a
  Node scenario can ask the test for what no API user may do.

It stands in for the gateway, PostgREST and that one Auth call only; nothing
of the database is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from supabase_sync import rpc

#: The schemas PostgREST exposes on Supabase (db-schemas), when the database does not say.
DEFAULT_EXPOSED_SCHEMAS = ("public", "graphql_public")

_TOKEN_LIFETIME_SECONDS = 3600
_PASSWORD_ITERATIONS = 1000  # a test stand-in: cheap on purpose


# --- JWT (HS256), as Supabase signs its API keys and access tokens ----------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_jwt(claims: Mapping[str, Any], secret: str) -> str:
    """Return an HS256 JWT of ``claims``."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


class JwtRejected(Exception):
    """A token PostgREST would refuse: ``code`` and ``message`` as PostgREST words them (HTTP 401)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_jwt(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """Return the claims of an HS256 ``token`` signed with ``secret``, or raise :class:`JwtRejected`."""
    if not token:
        raise JwtRejected("PGRST301", "Empty JWT is sent in Authorization header")
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtRejected("PGRST301", f"Expected 3 parts in JWT; got {len(parts)}")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except ValueError as error:
        raise JwtRejected("PGRST301", "JWT couldn't be decoded") from error
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise JwtRejected("PGRST301", "Wrong or unsupported encoding algorithm")
    expected = hmac.new(secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise JwtRejected("PGRST301", "JWT cryptographic operation failed")
    if not isinstance(claims, dict):
        raise JwtRejected("PGRST303", "Parsing claims failed")
    exp = claims.get("exp")
    if exp is not None and not isinstance(exp, int | float):
        raise JwtRejected("PGRST303", "The JWT 'exp' claim must be a number")
    if exp is not None and exp <= (time.time() if now is None else now):
        raise JwtRejected("PGRST303", "JWT expired")
    return claims


# --- the server ---------------------------------------------------------------------------


@dataclass
class _Pool:
    """Connections as ``authenticator``, reused across requests (PostgREST keeps a pool too)."""

    dsn: str
    idle: queue.LifoQueue[psycopg.Connection] = field(default_factory=queue.LifoQueue)
    opened: list[psycopg.Connection] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = self.idle.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(self.dsn, autocommit=True)
            with self.lock:
                self.opened.append(conn)
        try:
            yield conn
        finally:
            if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.close()
            else:
                self.idle.put(conn)

    def close(self) -> None:
        with self.lock:
            for conn in self.opened:
                conn.close()
            self.opened.clear()


class SupabaseStandIn:
    """A running stand-in on 127.0.0.1: ``url``, ``anon_key`` and ``service_key`` for clients.

    ``authenticator_dsn`` is where PostgREST's role logs in; ``admin_dsn`` (a
    superuser's or the owner's) is what the Auth stand-in reads ``auth.users``
    with and what :meth:`create_user` writes it with.
    """

    def __init__(self, *, authenticator_dsn: str, admin_dsn: str, jwt_secret: str | None = None) -> None:
        self.jwt_secret = jwt_secret or secrets.token_urlsafe(32)
        self.admin_dsn = admin_dsn
        self._pool = _Pool(authenticator_dsn)
        self.hooks: dict[str, Callable[[dict[str, Any]], Any]] = {}
        issued = int(time.time())
        self.anon_key = sign_jwt({"iss": "supabase", "role": "anon", "iat": issued, "exp": issued + 10 * 365 * 86400}, self.jwt_secret)
        self.service_key = sign_jwt(
            {"iss": "supabase", "role": "service_role", "iat": issued, "exp": issued + 10 * 365 * 86400}, self.jwt_secret
        )
        self.requests: list[tuple[str, int]] = []  # (path, status) of every request, for assertions
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="supabase-stand-in", daemon=True)
        self.exposed_schemas = self._read_exposed_schemas()

    @property
    def url(self) -> str:
        """The project URL clients are created with (``createClient(url, anonKey)``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SupabaseStandIn:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the pooled connections."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._pool.close()

    def __enter__(self) -> SupabaseStandIn:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- users and tokens --------------------------------------------------------------

    def create_user(self, email: str, password: str, *, user_id: uuid.UUID | None = None) -> uuid.UUID:
        """Sign up a user (a row in ``auth.users``) who can then sign in with ``password``."""
        new_id = user_id or uuid.uuid4()
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(
                "insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, "
                "raw_app_meta_data, raw_user_meta_data) values (%s, 'authenticated', 'authenticated', %s, %s, now(), "
                """'{"provider": "email", "providers": ["email"]}', '{}')""",
                (new_id, email, _hash_password(password)),
            )
        return new_id

    def user_token(self, user_id: uuid.UUID | str, *, email: str | None = None, lifetime: int = _TOKEN_LIFETIME_SECONDS) -> str:
        """An access token for ``user_id`` as Supabase Auth issues it (``sub``, ``role`` authenticated)."""
        claims = rpc.default_claims(user_id, "authenticated")
        claims["exp"] = int(time.time()) + lifetime
        if email is not None:
            claims["email"] = email
        return sign_jwt(claims, self.jwt_secret)

    # -- what the handler calls ----------------------------------------------------------

    def _read_exposed_schemas(self) -> tuple[str, ...]:
        with self._pool.connection() as conn:
            row = conn.execute("select current_setting('pgrst.db_schemas', true)").fetchone()
        listed = tuple(part.strip() for part in (row[0] or "").split(",") if part.strip()) if row else ()
        return listed or DEFAULT_EXPOSED_SCHEMAS

    def answer_rpc(self, function: str, headers: Mapping[str, str], body: bytes) -> rpc.Response:
        """Answer ``POST /rest/v1/rpc/<function>`` like the gateway and PostgREST."""
        lowered = {name.lower(): value for name, value in headers.items()}
        gate = self._check_api_key(lowered.get("apikey"))
        if gate is not None:
            return gate
        try:
            claims = self._claims(lowered.get("authorization"))
        except JwtRejected as rejected:
            return _error_response(
                401,
                {"code": rejected.code, "message": rejected.message, "details": None, "hint": None},
                {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{rejected.message}"'},
            )
        schema = lowered.get("content-profile", self.exposed_schemas[0])
        if schema not in self.exposed_schemas:
            return _error_response(
                406,
                {
                    "code": "PGRST106",
                    "message": f"Invalid schema: {schema}",
                    "details": None,
                    "hint": f"Only the following schemas are exposed: {', '.join(self.exposed_schemas)}",
                },
            )
        try:
            args = json.loads(body) if body.strip() else {}
        except ValueError:
            args = None
        if not isinstance(args, dict):
            return _error_response(
                400, {"code": "PGRST102", "message": "Empty or invalid json", "details": None, "hint": None}
            )
        request = rpc.Request(function=function, args=args, claims=claims, schema=schema, headers=lowered)
        with self._pool.connection() as conn:
            return rpc.respond(conn, request)

    def answer_password_grant(self, body: bytes) -> rpc.Response:
        """Answer Supabase Auth's ``POST /token?grant_type=password`` for users of :meth:`create_user`."""
        try:
            credentials = json.loads(body)
        except ValueError:
            credentials = {}
        email, password = credentials.get("email"), credentials.get("password")
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            row = conn.execute(
                "select id, email, encrypted_password, created_at, raw_app_meta_data, raw_user_meta_data "
                "from auth.users where email = %s",
                (email,),
            ).fetchone()
        if row is None or not isinstance(password, str) or not _password_matches(password, row[2] or ""):
            return _error_response(
                400, {"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"}
            )
        user_id, user_email, _hash, created_at, app_metadata, user_metadata = row
        access_token = self.user_token(user_id, email=user_email)
        session = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": _TOKEN_LIFETIME_SECONDS,
            "expires_at": int(time.time()) + _TOKEN_LIFETIME_SECONDS,
            "refresh_token": secrets.token_urlsafe(16),
            "user": {
                "id": str(user_id),
                "aud": "authenticated",
                "role": "authenticated",
                "email": user_email,
                "app_metadata": app_metadata or {},
                "user_metadata": user_metadata or {},
                "created_at": created_at.isoformat(),
                "identities": [],
                "is_anonymous": False,
            },
        }
        return rpc.Response(200, json.dumps(session).encode(), {"Content-Type": "application/json"})

    def answer_hook(self, name: str, body: bytes) -> rpc.Response:
        """Run the test's hook ``name`` with the JSON body and answer its JSON result."""
        hook = self.hooks.get(name)
        if hook is None:
            return _error_response(404, {"message": f"no test hook {name!r}"})
        result = hook(json.loads(body) if body.strip() else {})
        return rpc.Response(200, json.dumps(result, default=str).encode(), {"Content-Type": "application/json"})

    def _check_api_key(self, api_key: str | None) -> rpc.Response | None:
        # The gateway (Kong's key-auth) refuses requests without a project key.
        if api_key is None:
            return _error_response(401, {"message": "No API key found in request"})
        if api_key not in (self.anon_key, self.service_key):
            return _error_response(401, {"message": "Invalid API key"})
        return None

    def _claims(self, authorization: str | None) -> dict[str, Any]:
        if authorization is None:
            return {}  # PostgREST: no token, the anon role
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise JwtRejected("PGRST301", "Empty JWT is sent in Authorization header")
        return verify_jwt(token.strip(), self.jwt_secret)


def _error_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> rpc.Response:
    return rpc.Response(status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})


def _hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _PASSWORD_ITERATIONS).hex()
    return f"pbkdf2_sha256${salt}${digest}"


def _password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _PASSWORD_ITERATIONS).hex()
    return hmac.compare_digest(candidate, digest)


def _handler_for(stand_in: SupabaseStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if path.startswith("/rest/v1/rpc/"):
                response = stand_in.answer_rpc(path.removeprefix("/rest/v1/rpc/"), dict(self.headers.items()), body)
            elif path == "/auth/v1/token" and parse_qs(parts.query).get("grant_type") == ["password"]:
                response = stand_in.answer_password_grant(body)
            elif path.startswith("/_test/"):
                response = stand_in.answer_hook(path.removeprefix("/_test/"), body)
            else:
                response = _error_response(404, {"message": f"the test stand-in does not serve POST {path}"})
            self._send(response)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._send(_error_response(404, {"message": "the test stand-in serves POST requests only"}))

        def _send(self, response: rpc.Response) -> None:
            stand_in.requests.append((self.path, response.status))
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            return

    return Handler
