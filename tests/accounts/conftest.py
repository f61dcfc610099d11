"""Fixtures of the accounts tests: calls to a client's API, a signed-up user and its tokens."""

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
import pyotp
import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.flows.minting import refresh_token_hash
from accounts.models import RefreshToken
from accounts.signing_keys import SigningKey, generate_private_key, keyring, write_keyring
from core.events import Event, catalog, subscribe, unsubscribe
from tenants.user_models import user_model_for
from tests.authenticator import SoftAuthenticator
from tests.conftest import Tenant, make_tenant

PASSWORD = "Correct-horse-battery-staple-9"


def call(tenant: Tenant, path: str, body=None, *, method: str = "POST", api: APIClient | None = None, **extra):
    """One request to `tenant`'s API with its own access key (JSON body, if any)."""
    api = api or APIClient()
    payload = "" if body is None else (body if isinstance(body, (str, bytes)) else json.dumps(body))
    return api.generic(method, tenant.url(path), payload, content_type="application/json", **{**tenant.auth, **extra})


@dataclass
class SignedUpUser:
    tenant: Tenant
    user_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    def row(self):
        return user_model_for(self.tenant.client.client_id).objects.filter(pk=self.user_id).first()


def sign_up(tenant: Tenant, email: str = "ada@example.com", password: str = PASSWORD, **body) -> SignedUpUser:
    response = call(tenant, "signup", {"email": email, "password": password, **body})
    assert response.status_code == 201, response.content
    data = response.json()
    if data.get("mfa_enrollment_required"):  # the client requires a second factor: no tokens until one is enrolled
        return SignedUpUser(tenant, data["user_id"], data["email"], password, "", "")
    return SignedUpUser(tenant, data["user_id"], data["email"], password, data["access_token"], data["refresh_token"])


def log_in(user: SignedUpUser) -> SignedUpUser:
    """A second session (a new token family) of the same user."""
    response = call(user.tenant, "login", {"email": user.email, "password": user.password})
    assert response.status_code == 200, response.content
    data = response.json()
    return SignedUpUser(user.tenant, user.user_id, user.email, user.password, data["access_token"], data["refresh_token"])


@pytest.fixture
def user(tenant) -> SignedUpUser:
    return sign_up(tenant)


# The refresh reuse interval of `tabs_user`'s client, in seconds.
REUSE_INTERVAL = 60


@pytest.fixture
def tabs_user(transactional_db) -> SignedUpUser:
    """A user of a client with a refresh reuse interval (REUSE_INTERVAL): its tabs may refresh at once."""
    return sign_up(make_tenant("Tabs Co", refresh_reuse_interval=REUSE_INTERVAL))


def token_rows(tenant: Tenant) -> list[RefreshToken]:
    return list(RefreshToken.objects.filter(client=tenant.client).order_by("created_at", "token_id"))


def claims_of(token: str) -> dict:
    """The payload of a JWT, read without any check (to build altered copies of it)."""
    return jwt.decode(token, options={"verify_signature": False})


def with_payload(token: str, **changes) -> str:
    """The same token with changed claims and its ORIGINAL signature: a tampered token."""
    header, _, signature = token.split(".")
    payload = {**claims_of(token), **changes}
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def sign_claims(tenant: Tenant, user_id: str, *, token_type: str, exp_offset: int, **extra) -> str:
    """A token signed with the live keyring, as the service would sign it, but with chosen claims."""
    now = int(time.time())
    signing = keyring().current
    claims = {
        "token_type": token_type,
        "jti": uuid.uuid4().hex,
        "iat": now - 3600,
        "exp": now + exp_offset,
        "sub": user_id,
        "client_id": tenant.client_id,
        "aud": tenant.client_id,
        "iss": settings.AUTHSVC_ISSUER,
        **extra,
    }
    return jwt.encode(claims, signing.private_key, algorithm="RS256", headers={"kid": signing.kid})


def refresh_token_id(token: str) -> uuid.UUID:
    """The `tokens` row id an opaque refresh token (`rt_<token_id>.<secret>`) names."""
    prefix, _, secret = token.partition(".")
    assert prefix.startswith("rt_") and secret, "not an opaque refresh token"
    return uuid.UUID(prefix.removeprefix("rt_"))


def refresh_row(token: str) -> RefreshToken:
    return RefreshToken.objects.get(pk=refresh_token_id(token))


def old_format_refresh_token(user: SignedUpUser, *, exp_offset: int = 7 * 86400, record: bool = True, **claims) -> str:
    """A refresh token as releases before opaque ones issued it: an RS256 JWT typed `refresh`, and its row."""
    token = sign_claims(user.tenant, user.user_id, token_type="refresh", exp_offset=exp_offset, **claims)
    claims = claims_of(token)
    if record:
        RefreshToken.objects.create(
            token_id=uuid.UUID(claims["jti"]),
            client=user.tenant.client,
            user_id=uuid.UUID(user.user_id),
            token_hash=refresh_token_hash(token),
            family_id=uuid.uuid4(),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=UTC),
        )
    return token


@pytest.fixture
def counting(monkeypatch) -> Callable[[object, str], list]:
    """Wrap a pure function of a module so a test can count its calls (the function still runs)."""

    def wrap(module, name: str) -> list:
        calls: list = []
        original = getattr(module, name)

        def counted(*args, **kwargs):
            calls.append(args)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
        return calls

    return wrap


@pytest.fixture
def published() -> Iterator[list[Event]]:
    """Every event of the catalog (core.events) published during the test, in order."""
    records: list[Event] = []
    for event_type in catalog():
        subscribe(event_type, records.append)
    yield records
    for event_type in catalog():
        unsubscribe(event_type, records.append)


# --- the work a call does, values aside -------------------------------------------------------

# In a captured statement, left to right: a MongoDB document's key (kept), or a value: a quoted
# string (with PostgreSQL's ::cast), a number, NULL/None/True/False.
STATEMENT_TOKEN = re.compile(
    r"(?P<key>'(?:[^'\\]|\\.)*'\s*:(?!:))|'(?:[^'\\]|\\.)*'(?:::\w+)?|\b\d+(?:\.\d+)?\b|\b(?:NULL|None|True|False)\b"
)
# The variable part of a Redis key: a hash, an id, a time window.
KEY_VALUE = re.compile(r"[0-9a-f]{8,}(?:-[0-9a-f]+)*|\d+")


@dataclass(frozen=True)
class Work:
    """What a call did: each database statement and each Redis command (with its key), in order,
    values replaced by `?` and `#`."""

    statements: tuple[str, ...]
    redis_commands: tuple[str, ...]


def _statement_shape(statement: str) -> str:
    return STATEMENT_TOKEN.sub(lambda token: token["key"] or "?", statement)


def _redis_shape(command: str) -> str:
    name, _, arguments = command.partition(" ")
    key = arguments.split(" ", 1)[0]
    return f"{name.upper()} {KEY_VALUE.sub('#', key)}".rstrip()


@contextmanager
def _redis_commands() -> Iterator[list[str]]:
    """The commands the suite's (real) Redis runs meanwhile, as its MONITOR reports them."""
    redis = get_redis_connection("default")
    end = f"end-of-capture-{uuid.uuid4().hex}"
    seen: list[str] = []
    with redis.monitor() as monitor:

        def read() -> None:
            while end not in (command := monitor.next_command()["command"]):
                seen.append(command)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield seen
        finally:
            redis.echo(end)
            reader.join(timeout=30)


def work_of(action: Callable[[], object]) -> Work:
    """Run `action` and return the Work it did on every database and on Redis."""
    with ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        commands = stack.enter_context(_redis_commands())
        action()
    return Work(
        statements=tuple(_statement_shape(query["sql"]) for each in captured for query in each.captured_queries),
        redis_commands=tuple(_redis_shape(command) for command in commands),
    )


@pytest.fixture
def key_file(tmp_path, settings):
    """A keyring file of this test alone, named by AUTHSVC_JWT_PRIVATE_KEY_FILE."""
    path = tmp_path / "signing_keys.pem"
    write_keyring(path, [SigningKey.of(generate_private_key())])
    settings.AUTHSVC_JWT_PRIVATE_KEY_FILE = str(path)
    return path


# --- second factors -------------------------------------------------------------------------


@dataclass
class TotpUser:
    """A signed-up user with TOTP on: its authenticator (pyotp, from the enrolment's URI) and recovery codes."""

    user: SignedUpUser
    authenticator: pyotp.TOTP
    recovery_codes: list[str]

    def code(self, steps_ahead: int = 1) -> str:
        """The app's code `steps_ahead` 30-second steps from now: the service accepts one step either side,
        so a code ahead of the one its enrolment used is fresh and stays valid for 30 seconds at least."""
        return self.authenticator.at(time.time() + steps_ahead * self.authenticator.interval)

    def mfa_token(self) -> str:
        """Log in with the password: the answer asks for the second factor and carries no tokens."""
        response = call(self.user.tenant, "login", {"email": self.user.email, "password": self.user.password})
        body = response.json()
        assert response.status_code == 200 and body.get("mfa_required") is True, response.content
        return body["mfa_token"]


def totp_enrol(user: SignedUpUser) -> pyotp.TOTP:
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp")
    assert response.status_code == 201, response.content
    return pyotp.parse_uri(response.json()["otpauth_uri"])


def totp_turn_on(user: SignedUpUser) -> TotpUser:
    """Enrol and confirm; then the step the confirmation used is forgotten, as if it was a minute ago, so a
    test has the three accepted steps (code(-1), code(0), code(1)) without waiting for the clock."""
    authenticator = totp_enrol(user)
    response = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": authenticator.now()})
    assert response.status_code == 200, response.content
    row = user.row()
    row.mfa["totp"]["last_used_step"] = None
    type(row).objects.filter(pk=row.pk).update(mfa=row.mfa)
    return TotpUser(user, authenticator, response.json()["recovery_codes"])


@pytest.fixture
def totp_user(user) -> TotpUser:
    return totp_turn_on(user)


# --- passkeys ---------------------------------------------------------------------------------

RP_ID = "app.example.com"
ORIGIN = "https://app.example.com"


def passkeys_on(tenant: Tenant, rp_id: str = RP_ID, origins: list[str] | None = None) -> Tenant:
    """Set the client's relying party as the client does: its settings `passkey_rp_id`, `passkey_origins`."""
    response = call(tenant, "", {"passkey_rp_id": rp_id, "passkey_origins": origins or [ORIGIN]}, method="PATCH")
    assert response.status_code == 200, response.content
    tenant.client.refresh_from_db()
    return tenant


@pytest.fixture
def passkey_tenant(tenant) -> Tenant:
    return passkeys_on(tenant)


def register_passkey(user: SignedUpUser, authenticator: SoftAuthenticator, *, name: str | None = None, origin: str = ORIGIN) -> dict:
    """Registration as the client's backend and the user's browser do it: options, create(), the credential."""
    options = call(user.tenant, f"users/{user.user_id}/passkeys/registration/options")
    assert options.status_code == 200, options.content
    credential = authenticator.create(options.json(), origin=origin)
    response = call(user.tenant, f"users/{user.user_id}/passkeys", {"credential": credential, **({"name": name} if name else {})})
    assert response.status_code == 201, response.content
    return response.json()


@dataclass
class PasskeyUser:
    """A signed-up user with one passkey registered, on its authenticator."""

    user: SignedUpUser
    authenticator: SoftAuthenticator
    passkey_id: str

    def login_options(self, **body) -> dict:
        response = call(self.user.tenant, "login/passkey/options", body)
        assert response.status_code == 200, response.content
        return response.json()

    def log_in(self, *, origin: str = ORIGIN, **body):
        """A passwordless login as the browser and the backend do it: options, get(), login/passkey."""
        answer = self.login_options(**body)
        credential = self.authenticator.get(answer["options"], origin=origin)
        return call(self.user.tenant, "login/passkey", {"challenge_id": answer["challenge_id"], "credential": credential})


@pytest.fixture
def passkey_user(passkey_tenant) -> PasskeyUser:
    user = sign_up(passkey_tenant)
    authenticator = SoftAuthenticator()
    return PasskeyUser(user, authenticator, register_passkey(user, authenticator)["passkey_id"])


# --- import and export (accounts/flows/user_import.py, user_export.py) -------------------------

NDJSON = "application/x-ndjson"


def ndjson(*records) -> bytes:
    """An NDJSON body: each record a line (a dict as JSON, a str as it is)."""
    return b"".join((record if isinstance(record, str) else json.dumps(record)).encode() + b"\n" for record in records)


def import_users(tenant: Tenant, body: bytes, *, content_type: str = NDJSON, **extra):
    return APIClient().generic("POST", tenant.url("users/import"), body, content_type=content_type, **{**tenant.auth, **extra})


def foreign_hashes(password: str) -> dict[str, str]:
    """The same password as each provider's export writes it, at the lowest costs (fast tests)."""
    import argon2
    import bcrypt
    from django.contrib.auth.hashers import (
        Argon2PasswordHasher,
        BCryptSHA256PasswordHasher,
        PBKDF2PasswordHasher,
        ScryptPasswordHasher,
    )

    raw_bcrypt = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    fast_argon2 = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    django_argon2 = Argon2PasswordHasher()
    django_argon2.time_cost, django_argon2.memory_cost, django_argon2.parallelism = 1, 8, 1
    cheap_bcrypt_sha256 = BCryptSHA256PasswordHasher()
    cheap_bcrypt_sha256.rounds = 4
    return {
        "bcrypt $2a$": raw_bcrypt.replace("$2b$", "$2a$", 1),
        "bcrypt $2b$": raw_bcrypt,
        "bcrypt $2y$": raw_bcrypt.replace("$2b$", "$2y$", 1),
        "argon2id": fast_argon2.hash(password),
        "django pbkdf2_sha256": PBKDF2PasswordHasher().encode(password, "pbkdf2salt1234", iterations=1000),
        "django argon2": django_argon2.encode(password, "argon2salt123456"),
        "django scrypt": ScryptPasswordHasher().encode(password, "scryptsalt123456", n=16, r=8, p=1),
        "django bcrypt_sha256": cheap_bcrypt_sha256.encode(password, cheap_bcrypt_sha256.salt()),
    }
