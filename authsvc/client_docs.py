"""What a client's documentation page shows, computed from its record and the service settings.

Kept out of the template so that the quickstart commands are plain strings (shell quoting is
easier to get right in Python), and out of the view so that it stays a lookup and a render.
The page is public: nothing here may read an access key or its hash.
"""

import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from clientapi.ratelimits import client_rate
from core import errors
from tenants.client_schema import schema_accepts
from tenants.models import Client

EXAMPLE_EMAIL = "ada@example.com"
EXAMPLE_PASSWORD = "correct horse battery staple"

RATE_LIMIT_MEANINGS = {
    "access_key": "Calls made with one access key, all endpoints together.",
    "login_email": "Login attempts and password changes (users/{id}/password) for one email address.",
    "login_ip": "Login attempts and password changes from one end-user address (X-End-User-IP; an IPv6 /64 counts as one). Not counted without the header.",
    "signup_ip": "Sign-ups from one end-user address (X-End-User-IP; an IPv6 /64 counts as one). Not counted without the header.",
    "mail_email": "Verification and password-reset mails to one email address.",
    "mail_client": "Every call that may send a mail (sign-up with verification, resend, forgot, an email change), all addresses together.",
    "link_ip": "Requests to the pages the mailed links open, from one browser address (an IPv6 /64 counts as one); over it the page says to wait.",
}

RATE_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
# The rate syntax of core/rates.py: "10/m", "100/5m"; a rate stored before its check is shown as given.
RATE_SYNTAX = re.compile(r"^(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[smhd])[a-z]*$")

EXAMPLE_BY_TYPE = {"string": "example", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}, "null": None}


@dataclass(frozen=True)
class RateLimitRow:
    name: str
    rate: str
    readable: str
    meaning: str
    set_for_client: bool


@dataclass(frozen=True)
class ErrorCodeRow:
    status: int
    code: str
    meaning: str


@dataclass(frozen=True)
class CustomFieldRow:
    name: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class QuickstartStep:
    anchor: str
    title: str
    explanation: str
    command: str


def describe_rate(rate: str) -> str:
    """A rate in words ("10/m" is "10 per minute", "100/5m" "100 per 5 minutes"); anything else as given."""
    match = RATE_SYNTAX.match(rate)
    if match is None:
        return rate
    unit = RATE_UNITS[match["unit"]]
    multiple = int(match["multiple"] or 1)
    period = unit if multiple == 1 else f"{multiple} {unit}s"
    return f"{match['count']} per {period}"


def rate_limit_rows(client: Client) -> list[RateLimitRow]:
    overrides = client.rate_limits or {}
    rows = []
    for name in settings.AUTHSVC_RATE_LIMITS:
        rate = client_rate(client, name)
        # An override the limiter ignores (clientapi.ratelimits.client_rate) is not shown as in force.
        overridden = rate == overrides.get(name)
        rows.append(RateLimitRow(name, rate, describe_rate(rate), RATE_LIMIT_MEANINGS.get(name, ""), overridden))
    return rows


def error_code_rows() -> list[ErrorCodeRow]:
    """One row per error code the API answers with, from the error classes themselves."""
    return [ErrorCodeRow(error.status_code, error.code, error.meaning or error.default_detail) for error in errors.error_classes()]


def _properties(schema: object) -> dict:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return properties if isinstance(properties, dict) else {}


def _kind(spec: object) -> str:
    if not isinstance(spec, dict):
        return "any"
    if isinstance(spec.get("enum"), list):
        return "one of " + ", ".join(json.dumps(value) for value in spec["enum"])
    kind = spec.get("type")
    if isinstance(kind, list):
        return " or ".join(str(each) for each in kind)
    return str(kind) if kind else "any"


def custom_field_rows(schema: object) -> list[CustomFieldRow]:
    required = schema.get("required") if isinstance(schema, dict) else None
    required = set(required) if isinstance(required, list) else set()
    return [
        CustomFieldRow(str(name), _kind(spec), name in required, str(spec.get("description", "")) if isinstance(spec, dict) else "")
        for name, spec in _properties(schema).items()
    ]


def pretty_schema(schema: object) -> str | None:
    return json.dumps(schema, indent=2, ensure_ascii=False) if schema else None


def _example_value(spec: object) -> object:
    if not isinstance(spec, dict):
        return "example"
    if "const" in spec:
        return spec["const"]
    if isinstance(spec.get("examples"), list) and spec["examples"]:
        return spec["examples"][0]
    if "default" in spec:
        return spec["default"]
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return spec["enum"][0]
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((each for each in kind if each != "null"), "null")
    return EXAMPLE_BY_TYPE.get(kind, "example")


def example_custom_fields(schema: object) -> dict | None:
    """custom_fields the schema accepts, for the quickstart; None when no simple guess passes it."""
    properties = _properties(schema)
    if not properties:
        return None
    example = {name: _example_value(spec) for name, spec in properties.items()}
    if not schema_accepts(schema, example):
        return None
    # The body is single-quoted in the shell command.
    return example if "'" not in json.dumps(example) else None


# Where per-end-user limits count and what audit records show: the person in front of the
# client's backend, not the backend itself.
END_USER_HEADER_LINES = [
    '  -H "X-End-User-IP: $END_USER_IP" \\',
    '  -H "X-End-User-Agent: $END_USER_AGENT" \\',
]


def _curl_post(url: str, body: str, *, end_user: bool = False) -> str:
    return "\n".join(
        [
            f"curl -sS -X POST '{url}' \\",
            '  -H "Authorization: Bearer $ACCESS_KEY" \\',
            *(END_USER_HEADER_LINES if end_user else []),
            "  -H 'Content-Type: application/json' \\",
            f"  -d {body}",
        ]
    )


def _literal_body(body: dict) -> str:
    return f"'{json.dumps(body, ensure_ascii=False)}'"


def _body_with_variable(field: str, variable: str) -> str:
    """A JSON body whose value comes from a shell variable (hence double quotes, escaped)."""
    return f'"{{\\"{field}\\": \\"${variable}\\"}}"'


def _signup_step(client: Client, base_url: str) -> QuickstartStep:
    body: dict = {"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD}
    custom_fields = example_custom_fields(client.custom_fields_schema)
    if custom_fields is not None:
        body["custom_fields"] = custom_fields
    if client.require_email_verification:
        answer = (
            "Answers 201 with the user and \"verification_required\": true, and no tokens: "
            "the user is mailed a link that confirms the address."
        )
    else:
        answer = "Answers 201 with the user and a first access_token / refresh_token pair."
    answer += " Sign-ups are limited per end-user IP: pass the user's in X-End-User-IP."
    return QuickstartStep("signup", "Sign a user up", answer, _curl_post(f"{base_url}signup", _literal_body(body), end_user=True))


def _email_verify_step(base_url: str) -> QuickstartStep:
    return QuickstartStep(
        "email-verify",
        "Confirm the email address",
        "The mailed link opens a page of ours that does this for the user. If you send your own "
        "links, post the token they carry (EMAIL_TOKEN) yourself. Until then login answers email_not_verified.",
        _curl_post(f"{base_url}email/verify", _body_with_variable("token", "EMAIL_TOKEN")),
    )


def quickstart_steps(client: Client, base_url: str) -> list[QuickstartStep]:
    """signup → (email verification) → login → refresh → verify → logout, as curl commands."""
    access_minutes = settings.AUTHSVC_ACCESS_TOKEN_MINUTES
    refresh_days = settings.AUTHSVC_REFRESH_TOKEN_DAYS
    steps = [_signup_step(client, base_url)]
    if client.require_email_verification:
        steps.append(_email_verify_step(base_url))
    steps += [
        QuickstartStep(
            "login",
            "Log the user in",
            f"Answers 200 with user_id, access_token (valid {access_minutes} min) and refresh_token "
            f"(valid {refresh_days} days). Keep them as ACCESS_TOKEN and REFRESH_TOKEN. Logins are "
            "limited per end-user IP, which X-End-User-IP names.",
            _curl_post(
                f"{base_url}login", _literal_body({"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD}), end_user=True
            ),
        ),
        QuickstartStep(
            "refresh",
            "Refresh the tokens",
            "Spends the refresh token and answers a new pair: keep the new refresh_token. Presenting a "
            "spent one again answers token_reused and revokes every token of that login.",
            _curl_post(f"{base_url}token/refresh", _body_with_variable("refresh_token", "REFRESH_TOKEN")),
        ),
        QuickstartStep(
            "verify",
            "Check an access token",
            "Answers {\"active\": true, \"user_id\": …, \"email\": …, \"exp\": …} for a live token and "
            "{\"active\": false} otherwise. You can also verify tokens offline with the public keys below.",
            _curl_post(f"{base_url}token/verify", _body_with_variable("token", "ACCESS_TOKEN")),
        ),
        QuickstartStep(
            "logout",
            "Log out",
            "Revokes the refresh token and every token refreshed from the same login. Answers 204, "
            "also when it was already revoked.",
            _curl_post(f"{base_url}logout", _body_with_variable("refresh_token", "REFRESH_TOKEN")),
        ),
    ]
    return steps


# Runs as printed: tests/authsvc/test_docs_page_offline_verification.py executes it.
OFFLINE_RECIPE = '''# pip install "pyjwt[crypto]"  (PyJWT 2)
import jwt

JWKS = jwt.PyJWKClient({jwks_url})  # fetches the public keys, and again for an unknown kid
ISSUER = {issuer}
CLIENT_ID = {client_id}


def verify_access_token(token: str) -> dict:
    """The claims of a live access token of this client; raises jwt.PyJWTError for anything else."""
    key = JWKS.get_signing_key_from_jwt(token).key
    verified = jwt.decode_complete(
        token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER,
        options={{"require": ["exp", "iat", "iss", "aud", "sub"]}},
    )
    # Only access tokens are typed at+jwt (RFC 9068): this refuses refresh tokens, old JWT ones included.
    if verified["header"].get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("not an access token")
    return verified["payload"]
'''


def offline_verification_recipe(client: Client) -> str:
    """Python (PyJWT) that verifies this client's access tokens offline and refuses every other token."""
    return OFFLINE_RECIPE.format(
        jwks_url=json.dumps(settings.AUTHSVC_PUBLIC_URL + reverse("jwks")),
        issuer=json.dumps(settings.AUTHSVC_ISSUER),
        client_id=json.dumps(str(client.client_id)),
    )
