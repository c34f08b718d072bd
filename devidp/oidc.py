"""A development OpenID Connect provider. DEVELOPMENT ONLY.

Reading guide: `DevelopmentProvider` is a small, real OpenID Connect provider (the
authorization-code flow with PKCE S256, RS256 ID tokens signed with a key it makes
at start-up, a JWKS, userinfo and discovery). Its login page lists `SAMPLE_PEOPLE`,
whose claims follow Entra ID v1, Entra ID v2 and AD FS 4 tokens, so every claim
style can be tried without a corporate provider. `run_in_thread` serves it on an
ephemeral loopback port inside tests and benchmarks; `python -m devidp.oidc` serves
it for the one-command demo.

Tests make it misbehave on purpose with `DevelopmentProvider.mint_next(Mint(...))`:
the next ID token gets the claims, header, key or algorithm the test chose, signed
for real, so the relying party's checks are exercised against real tokens.

It binds to loopback only, lets anyone sign in as anyone on the list, and says
DEVELOPMENT ONLY on every page and in its discovery document
(`"development_only": true`), which the Work Portal refuses unless DJANGO_DEBUG is on.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEFAULT_CLIENT_ID = "workportal-dev"
DEFAULT_CLIENT_SECRET = "development-only-secret"
TENANT_ID = "8f1b6c0e-4d3a-4c5e-9b0a-2f6d7e8a9b10"
TOKEN_LIFETIME = 3600
CODE_LIFETIME = 120


@dataclass(frozen=True)
class Person:
    """A sample person: `claims` are the person's claims in their token style."""

    key: str
    style: str
    note: str
    claims: dict[str, Any]

    @property
    def label(self) -> str:
        given_and_family = f"{self.claims.get('given_name', '')} {self.claims.get('family_name', '')}"
        return self.claims.get("name") or given_and_family.strip() or self.key


SAMPLE_PEOPLE: tuple[Person, ...] = (
    Person(
        key="adele",
        style="Entra ID v1",
        note="upn and unique_name, no email claim: the contact email becomes the UPN",
        claims={
            "ver": "1.0",
            "upn": "AdeleV@contoso.com",
            "unique_name": "AdeleV@contoso.com",
            "name": "Adele Vance",
            "given_name": "Adele",
            "family_name": "Vance",
            "oid": "1d2c3b4a-0000-4000-8000-00000000a001",
            "tid": TENANT_ID,
        },
    ),
    Person(
        key="megan",
        style="Entra ID v2",
        note="preferred_username and email",
        claims={
            "ver": "2.0",
            "preferred_username": "MeganB@contoso.com",
            "email": "megan.bowen@contoso.com",
            "name": "Megan Bowen",
            "oid": "1d2c3b4a-0000-4000-8000-00000000a002",
            "tid": TENANT_ID,
        },
    ),
    Person(
        key="john",
        style="AD FS 4",
        note="upn wins over unique_name (FABRIKAM\\jdoe); given and family name only",
        claims={
            "ver": "1.0",
            "upn": "john.doe@fabrikam.com",
            "unique_name": "FABRIKAM\\jdoe",
            "email": "john.doe@fabrikam.com",
            "given_name": "John",
            "family_name": "Doe",
            "appid": DEFAULT_CLIENT_ID,
            "authmethod": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        },
    ),
    Person(
        key="lee",
        style="Entra ID v1, guest",
        note="a Microsoft account guest: unique_name is live.com#lee.gu@outlook.com",
        claims={
            "ver": "1.0",
            "unique_name": "live.com#lee.gu@outlook.com",
            "email": "lee.gu@outlook.com",
            "idp": "live.com",
            "name": "Lee Gu",
            "oid": "1d2c3b4a-0000-4000-8000-00000000a004",
            "tid": TENANT_ID,
        },
    ),
    Person(
        key="pradeep",
        style="Entra ID v2, guest",
        note="a B2B guest with the optional upn claim pradeep_fabrikam.com#EXT#@…, no email",
        claims={
            "ver": "2.0",
            "upn": "pradeep_fabrikam.com#EXT#@contoso.onmicrosoft.com",
            "preferred_username": "pradeep@fabrikam.com",
            "name": "Pradeep Gupta",
            "oid": "1d2c3b4a-0000-4000-8000-00000000a005",
            "tid": TENANT_ID,
        },
    ),
)

# Userinfo answers with these (Entra's userinfo sends the profile, not the UPN).
USERINFO_CLAIMS = ("name", "given_name", "family_name", "email")


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(
            kid=uuid.uuid4().hex[:16],
            private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        )

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


@dataclass
class Mint:
    """How to make the next ID token, for tests of the relying party's checks.

    `claims` are merged over the normal claims (a None value removes a claim);
    `header` over the normal header. `key` signs instead of the provider's key
    (with `kid` in the header, default the provider's current kid). `alg` "none"
    gives an unsigned token; "HS256" signs with `hmac_secret`.
    `corrupt_signature` flips bits of a correctly made signature.
    """

    claims: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)
    key: rsa.RSAPrivateKey | None = None
    kid: str | None = None
    alg: str = "RS256"
    hmac_secret: bytes = b""
    corrupt_signature: bool = False


@dataclass
class _Grant:
    person: Person
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str | None
    issued_at: float


class DevelopmentProvider:
    """A real OpenID Connect provider for development and tests. DEVELOPMENT ONLY."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        people: tuple[Person, ...] = SAMPLE_PEOPLE,
        development_marker: bool = True,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.people = {person.key: person for person in people}
        self.development_marker = development_marker
        self.keys: list[SigningKey] = [SigningKey.generate()]
        self.base_url = ""
        # Requests per path, so tests and benchmarks can count calls to the provider.
        self.requests: Counter[str] = Counter()
        self._grants: dict[str, _Grant] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._mints: deque[Mint] = deque()
        self._token_bodies: deque[Any] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- what tests steer ------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def mint_next(self, mint: Mint) -> None:
        """Make the next ID token the token endpoint issues as `mint` says."""
        with self._lock:
            self._mints.append(mint)

    def answer_next_token_request_with(self, body: Any) -> None:
        """Answer the next valid code exchange with `body` as JSON (200), for tests of a
        provider that answers something other than a token response object."""
        with self._lock:
            self._token_bodies.append(body)

    def rotate_key(self) -> SigningKey:
        """Publish a new signing key and sign with it from now on (the old one stays listed)."""
        key = SigningKey.generate()
        with self._lock:
            self.keys.append(key)
        return key

    def retire_old_keys(self) -> None:
        """Stop publishing every key but the current one."""
        with self._lock:
            self.keys = self.keys[-1:]

    # --- serving -----------------------------------------------------------------

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        """Bind to a loopback address and return the (not yet running) server."""
        if host not in LOOPBACK:
            raise ValueError("the development provider binds to loopback only (127.0.0.1)")
        provider = self

        class Handler(_Handler):
            pass

        Handler.provider = provider
        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        self._server = server
        return server

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- the protocol ------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "jwks_uri": f"{self.base_url}/jwks",
            "end_session_endpoint": f"{self.base_url}/logout",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": sorted(
                {"sub", "iss", "aud", "exp", "iat", "nbf", "nonce"}
                | {claim for p in self.people.values() for claim in p.claims}
            ),
            "service_documentation": "DEVELOPMENT ONLY: a sample provider with sample people",
        }
        if self.development_marker:
            document["development_only"] = True
        return document

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [key.public_jwk() for key in self.keys]}

    def authorize(self, params: dict[str, str], person_key: str) -> str:
        """Return where to send the browser after `person_key` signs in."""
        person = self.people[person_key]
        code = secrets.token_urlsafe(32)
        challenge = params.get("code_challenge")
        with self._lock:
            self._grants[code] = _Grant(
                person=person,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce"),
                code_challenge=challenge,
                issued_at=time.time(),
            )
        return _with_query(params["redirect_uri"], code=code, state=params.get("state"))

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        """Exchange a code for tokens; return (HTTP status, JSON body)."""
        client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        if client_id != self.client_id or not hmac.compare_digest(
            (client_secret or "").encode(), self.client_secret.encode()
        ):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code works once
        if grant is None or time.time() - grant.issued_at > CODE_LIFETIME:
            return 400, {"error": "invalid_grant", "error_description": "unknown or used code"}
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        if grant.code_challenge and _s256(form.get("code_verifier", "")) != grant.code_challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}

        with self._lock:
            if self._token_bodies:
                return 200, self._token_bodies.popleft()
        access_token = secrets.token_urlsafe(32)
        claims = self._id_token_claims(grant)
        with self._lock:
            self._access_tokens[access_token] = {"sub": claims["sub"], "person": grant.person}
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": "openid email profile",
            "id_token": self.sign_id_token(claims),
        }

    def userinfo(self, access_token: str) -> tuple[int, dict]:
        with self._lock:
            entry = self._access_tokens.get(access_token)
        if entry is None:
            return 401, {"error": "invalid_token"}
        person: Person = entry["person"]
        extra = {k: v for k, v in person.claims.items() if k in USERINFO_CLAIMS}
        return 200, {"sub": entry["sub"], **extra}

    def _id_token_claims(self, grant: _Grant) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": _subject(grant.person.key, grant.client_id),
            "aud": grant.client_id,
            "exp": now + TOKEN_LIFETIME,
            "iat": now,
            "nbf": now,
            "auth_time": now,
            **grant.person.claims,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return claims

    def sign_id_token(self, claims: dict[str, Any], mint: Mint | None = None) -> str:
        """Return `claims` as a signed JWT, made as `mint` (default: the next queued one) says."""
        with self._lock:
            if mint is None:
                mint = self._mints.popleft() if self._mints else Mint()
            current = self.keys[-1]
        claims = {k: v for k, v in {**claims, **mint.claims}.items() if v is not None}
        header = {"typ": "JWT", "alg": mint.alg, "kid": mint.kid or current.kid, **mint.header}
        header = {k: v for k, v in header.items() if v is not None}
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
        if mint.alg == "none":
            signature = b""
        elif mint.alg.startswith("HS"):
            signature = hmac.new(mint.hmac_secret, signing_input.encode(), hashlib.sha256).digest()
        else:
            algorithm = jwt.algorithms.get_default_algorithms()[mint.alg]
            key = mint.key or current.private_key
            signature = algorithm.sign(signing_input.encode(), key)
        if mint.corrupt_signature:
            signature = bytes(b ^ 0x5A for b in signature[:8]) + signature[8:]
        return f"{signing_input}.{_b64(signature)}"


class _Handler(BaseHTTPRequestHandler):
    provider: DevelopmentProvider
    server_version = "DevelopmentOIDC/1 (DEVELOPMENT ONLY)"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # tests and benchmarks run thousands of requests; the demo prints its own line

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.provider.requests[url.path] += 1
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.discovery())
        elif url.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif url.path == "/authorize":
            self._authorize_page(params)
        elif url.path == "/userinfo":
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else ""
            self._json(*self.provider.userinfo(token))
        elif url.path == "/logout":
            # No sessions here: signing out only sends the browser back, if it may go there.
            back = params.get("post_logout_redirect_uri", "")
            if back and _is_loopback_url(back):
                self._redirect(_with_query(back, state=params.get("state")))
            else:
                self._html(200, _page("Signed out", "<p>You are signed out.</p>"))
        elif url.path == "/":
            self._html(200, _page("Development OpenID Connect provider", _home(self.provider)))
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        self.provider.requests[url.path] += 1
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if url.path == "/token":
            self._json(*self.provider.token(form, _basic_auth(self.headers.get("Authorization"))))
        elif url.path == "/authorize":
            problem = _authorize_problem(self.provider, form)
            if problem:
                self._html(400, _page("Sign-in request refused", f"<p>{html.escape(problem)}</p>"))
            elif form.get("action") == "deny":
                self._redirect(
                    _with_query(
                        form["redirect_uri"],
                        error="access_denied",
                        error_description="The user declined to sign in.",
                        state=form.get("state"),
                    )
                )
            elif form.get("person") in self.provider.people:
                self._redirect(self.provider.authorize(form, form["person"]))
            else:
                self._html(400, _page("Unknown person", "<p>Choose a person from the list.</p>"))
        else:
            self._json(404, {"error": "not_found"})

    def _authorize_page(self, params: dict[str, str]) -> None:
        problem = _authorize_problem(self.provider, params)
        if problem:
            self._html(400, _page("Sign-in request refused", f"<p>{html.escape(problem)}</p>"))
            return
        self._html(200, _page("Sign in (DEVELOPMENT ONLY)", _login_form(self.provider, params)))

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _html(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


def run_in_thread(provider: DevelopmentProvider | None = None, *, port: int = 0) -> str:
    """Serve `provider` (a new one by default) on 127.0.0.1 in a daemon thread.

    Port 0, the default, picks a free ephemeral port. Return the base URL, which is
    also the provider's issuer; stop it with `provider.stop()`.
    """
    provider = provider or DevelopmentProvider()
    server = provider.serve(port=port)
    threading.Thread(target=server.serve_forever, name="devidp-oidc", daemon=True).start()
    return provider.base_url


# --- helpers -----------------------------------------------------------------------


def _authorize_problem(provider: DevelopmentProvider, params: dict[str, str]) -> str:
    """Return why an authorization request cannot be served, or ''."""
    if params.get("client_id") != provider.client_id:
        return f"Unknown client_id {params.get('client_id')!r}."
    if params.get("response_type") != "code":
        return "Only response_type=code is supported."
    if "openid" not in params.get("scope", "").split():
        return "The scope must include openid."
    if not _is_loopback_url(params.get("redirect_uri", "")):
        return "The redirect_uri must be a loopback http(s) URL (development only)."
    if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
        return "Only the S256 PKCE method is supported."
    return ""


def _is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK


def _login_form(provider: DevelopmentProvider, params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k != "person"
    )
    rows = "".join(
        "<li>"
        f'<button type="submit" name="person" value="{html.escape(p.key)}">'
        f"Sign in as {html.escape(p.label)}</button> "
        f"<span>{html.escape(p.style)}</span> · <small>{html.escape(p.note)}</small>"
        "</li>"
        for p in provider.people.values()
    )
    return (
        "<p>Choose who you are. Anyone can sign in as anyone here: this provider is for "
        "trying the Work Portal on one machine.</p>"
        f'<form method="post" action="/authorize">{hidden}<ul class="people">{rows}</ul>'
        '<p><button type="submit" name="action" value="deny">Cancel sign-in '
        "(answers error=access_denied)</button></p></form>"
    )


def _home(provider: DevelopmentProvider) -> str:
    return (
        f"<p>Issuer: <code>{html.escape(provider.issuer)}</code></p>"
        f'<p>Discovery: <a href="{html.escape(provider.discovery_url)}">'
        f"{html.escape(provider.discovery_url)}</a></p>"
        f"<p>Client ID: <code>{html.escape(provider.client_id)}</code></p>"
    )


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} · DEVELOPMENT ONLY</title><style>{_STYLE}</style>"
        "</head><body>"
        '<p class="banner" role="alert"><strong>DEVELOPMENT ONLY</strong> · a sample '
        "OpenID Connect provider with sample people. Never use it in production.</p>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;"
    "color:#1f2328}.banner{background:#b42318;color:#fff;padding:.6rem 1rem;border-radius:6px}"
    ".people{list-style:none;padding:0}.people li{margin:.5rem 0}"
    "button{font:inherit;padding:.35rem .8rem;cursor:pointer}small{color:#57606a}"
)


def _with_query(url: str, **params: str | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if not query:
        return url
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}"


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def _s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _subject(person_key: str, client_id: str) -> str:
    # A pairwise-looking, stable subject, as Entra issues per application.
    return _b64(hashlib.sha256(f"{client_id}:{person_key}".encode()).digest())[:43]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devidp.oidc",
        description="Development OpenID Connect provider (DEVELOPMENT ONLY, loopback only).",
    )
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    args = parser.parse_args(argv)
    provider = DevelopmentProvider(client_id=args.client_id, client_secret=args.client_secret)
    server = provider.serve(port=args.port)
    print(f"DEVELOPMENT ONLY OpenID Connect provider at {provider.base_url}", flush=True)
    print(f"  OIDC_OP_DISCOVERY_URL={provider.discovery_url}", flush=True)
    print(f"  OIDC_RP_CLIENT_ID={provider.client_id}", flush=True)
    print(f"  OIDC_RP_CLIENT_SECRET={provider.client_secret}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
