"""What a client's documentation page shows, computed from its record and the service settings.

Kept out of the template (the quickstart's curl lines are in authsvc/quickstart.py, where shell
quoting is easier to get right in Python), and out of the view so that it stays a lookup and a render.
The page is public: nothing here may read an access key or its hash.
"""

import json
import re
from dataclasses import dataclass

from django.conf import settings

from accounts.tokens import issuer_of
from clientapi.ratelimits import client_rate
from core import errors
from core.events import webhook_events
from tenants.models import Client
from tenants.schema_example import schema_properties

RATE_LIMIT_MEANINGS = {
    "access_key": "Calls made with one access key, all endpoints together.",
    "login_email": "Login attempts and password changes (users/{id}/password) for one email address.",
    "login_ip": "Login attempts and password changes from one end-user address (X-End-User-IP; an IPv6 /64 counts as one). Not counted without the header.",
    "signup_ip": "Sign-ups from one end-user address (X-End-User-IP; an IPv6 /64 counts as one). Not counted without the header.",
    "mail_email": "Verification and password-reset mails to one email address.",
    "mail_client": "Every call that may send a mail (sign-up with verification, resend, forgot, an email change), all addresses together.",
    "transfer_client": "Bulk imports and exports of users (users/import, users/export), together.",
    "link_ip": "Requests to the pages the mailed links open, from one browser address (an IPv6 /64 counts as one); over it the page says to wait.",
    "mfa_user": "Second-factor codes for one user (login/mfa, enrolment confirmations), whatever login or address they come from.",
    "mfa_ip": "Second-factor codes from one end-user address (X-End-User-IP; an IPv6 /64 counts as one). Not counted without the header.",
}

RATE_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
# The rate syntax of core/rates.py: "10/m", "100/5m"; a rate stored before its check is shown as given.
RATE_SYNTAX = re.compile(r"^(?P<count>\d+)/(?P<multiple>\d*)(?P<unit>[smhd])[a-z]*$")

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


MAIL_SETTING_MEANINGS = {
    "verify_email_url": "Your page for verification links (and an email change's): the mail links to it with token=… added "
    "to its query; your backend sends that token to email/verify. https only.",
    "reset_password_url": "Your page for password reset links, the same way; your backend sends the token and the new "
    "password to password/reset. https only.",
    "mail_sender_name": "The name the mails come from (the display name of From; the address stays ours). Plain text, "
    "as your client name.",
    "mail_reply_to": "Where replies to the mails go (Reply-To).",
    "mail_templates": "Your subject and text of the verification (verify_email) and reset (reset_password) mails. "
    "Placeholders: {link}, {client_name}, {email}, {expires_in}; nothing else between braces. The text must contain "
    "{link}; a subject is one line of at most 200 characters, a text at most 5,000. The HTML part is your text, "
    "escaped, with the link as its one anchor.",
    "smtp_url": "Your own SMTP server, which the mails then leave through (smtp+tls://, smtps:// or smtp://, with its user "
    "and password). Write-only: GET says only smtp_configured and smtp_host.",
}


@dataclass(frozen=True)
class MailSettingRow:
    name: str
    meaning: str
    is_set: bool


def mail_setting_rows(client: Client) -> list[MailSettingRow]:
    """Each mail setting, what it does and whether this client set it (the page is public: never its value)."""
    return [
        MailSettingRow(name, meaning, getattr(client, Client.SEALED_SETTINGS.get(name, name)) not in (None, ""))
        for name, meaning in MAIL_SETTING_MEANINGS.items()
    ]


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
        for name, spec in schema_properties(schema).items()
    ]


def pretty_schema(schema: object) -> str | None:
    return json.dumps(schema, indent=2, ensure_ascii=False) if schema else None


# Runs as printed: tests/authsvc/test_docs_page_offline_verification.py executes it.
OFFLINE_RECIPE = '''# pip install "pyjwt[crypto]"  (PyJWT 2)
import functools
import json
import urllib.request

import jwt

ISSUER = {issuer}  # keys and all else come from its discovery document
CLIENT_ID = {client_id}


@functools.cache
def public_keys() -> jwt.PyJWKClient:
    """The issuer's keys, from its discovery document (fetched once, then the keys as they rotate)."""
    discovery = ISSUER.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(discovery, timeout=10) as answer:
        metadata = json.load(answer)
    if metadata["issuer"] != ISSUER:
        raise RuntimeError(f"{{discovery}} describes another issuer: {{metadata['issuer']}}")
    return jwt.PyJWKClient(metadata["jwks_uri"])  # fetches the keys, and again for an unknown kid


def verify_access_token(token: str) -> dict:
    """The claims of a live access token of this client; raises jwt.PyJWTError for anything else."""
    key = public_keys().get_signing_key_from_jwt(token).key
    verified = jwt.decode_complete(
        token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER,
        options={{"require": ["exp", "iat", "iss", "aud", "sub"]}},
    )
    # Only access tokens are typed at+jwt (RFC 9068): this refuses refresh tokens, old JWT ones included.
    if verified["header"].get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("not an access token")
    return verified["payload"]
'''


def discovery_url(client: Client) -> str:
    """Where verifiers configured with the client's issuer find its keys (accounts/discovery.py)."""
    return issuer_of(client).rstrip("/") + "/.well-known/openid-configuration"


def offline_verification_recipe(client: Client) -> str:
    """Python (PyJWT) that verifies this client's access tokens offline, configured from its issuer alone."""
    return OFFLINE_RECIPE.format(issuer=json.dumps(issuer_of(client)), client_id=json.dumps(str(client.client_id)))


# Runs as printed: tests/authsvc/test_docs_page_webhooks.py feeds it real deliveries; docs/api.md
# (§9c) carries the same text.
WEBHOOK_RECEIVER_RECIPE = """# pip install standardwebhooks
import os

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# The secret that POST webhooks answered (whsec_...), kept with your other secrets.
verifier = Webhook(os.environ["AUTHSVC_WEBHOOK_SECRET"])
handled: set[str] = set()  # keep these in your database: a message can arrive more than once


def handle_webhook(body: bytes, headers: dict) -> int:
    \"\"\"Your webhook URL's handler: the status to answer (2xx: received; anything else: sent again later).\"\"\"
    try:
        event = verifier.verify(body, headers)  # the signature, and a timestamp within 5 minutes
    except WebhookVerificationError:
        return 400
    message_id = {name.lower(): value for name, value in headers.items()}["webhook-id"]
    if message_id not in handled:
        handled.add(message_id)
        if event["type"] == "user.deleted":
            pass  # e.g. erase what you keep about event["data"]["user_id"]
    return 204


# With Flask:
# @app.post("/hooks/auth")
# def auth_events():
#     return "", handle_webhook(request.get_data(), dict(request.headers))
"""


@dataclass(frozen=True)
class WebhookEventRow:
    name: str
    sent_for: str  # the catalog's events it stands for, described


def webhook_event_rows() -> list[WebhookEventRow]:
    """Each webhook event, and what happened when it is sent (the catalog's descriptions)."""
    return [
        WebhookEventRow(name=name, sent_for=" Or: ".join(" ".join((event.__doc__ or "").split()) for event in events))
        for name, events in webhook_events().items()
    ]
