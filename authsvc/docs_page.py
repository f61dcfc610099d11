"""GET /docs/clients/<client_id>/: the page `documentation_url` points at.

It gathers what several apps define (the client's settings and limits, the account endpoints,
the audit endpoint, the webhooks and their events, every app's error codes), so it lives here, above them.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from accounts.tokens import issuer_of
from authsvc import client_docs, quickstart
from core.errors import NotFound
from tenants.policies import LockoutPolicy, PasswordPolicy
from tenants.selectors import api_base_url, client_get, parse_client_id

ENDPOINTS = [
    ("GET/PATCH", "", "Read or change this client's settings."),
    ("POST", "signup", "Create a user; returns tokens (or verification_required)."),
    ("POST", "login", "Exchange email and password for tokens (or an mfa_token when a second factor is needed)."),
    ("POST", "login/mfa", "Finish a login with a TOTP or recovery code, or a passkey, and the mfa_token."),
    ("POST", "login/mfa/passkey/options", "Options to prove the mfa_token's user's passkey in the browser."),
    ("POST", "login/passkey/options", "Start a passwordless login: a challenge_id and the browser's options."),
    ("POST", "login/passkey", "Log in with a passkey alone: the challenge_id and the browser's credential; tokens."),
    ("POST", "login/mfa/totp", "Enrol TOTP during a login, when this client requires a second factor."),
    ("POST", "login/mfa/totp/confirm", "Confirm that enrolment with a code: tokens and recovery codes."),
    ("POST", "token/refresh", "Spend a refresh token for a new pair."),
    ("POST", "token/verify", "Introspect an access token (RFC 7662)."),
    ("POST", "token/revoke", "Revoke the login of a refresh or access token (RFC 7009); 200 whatever the token."),
    ("POST", "logout", "Revoke a refresh token's family."),
    ("POST", "email/verify", "Confirm an email address with the mailed token."),
    ("POST", "email/resend", "Mail a new verification link."),
    ("POST", "password/forgot", "Mail a password reset link."),
    ("POST", "password/reset", "Set a new password with the mailed token."),
    ("GET", "users", "List users (email filter, cursor pagination)."),
    ("GET/PATCH/DELETE", "users/<user_id>", "Read, update or delete one user."),
    ("POST/DELETE", "users/<user_id>/mfa/totp", "Start a TOTP enrolment (secret and otpauth URI), or remove TOTP."),
    ("POST", "users/<user_id>/mfa/totp/confirm", "Turn TOTP on with a code; answers ten recovery codes."),
    ("POST", "users/<user_id>/mfa/recovery-codes", "Replace the user's recovery codes with ten new ones."),
    ("POST", "users/<user_id>/passkeys/registration/options", "Start a passkey registration: the browser's options."),
    ("GET/POST", "users/<user_id>/passkeys", "List the user's passkeys, or register one with the browser's credential."),
    ("DELETE", "users/<user_id>/passkeys/<passkey_id>", "Remove a passkey."),
    ("POST", "users/import", "Import users with their password hashes (NDJSON); a report of created, duplicate, invalid lines."),
    ("GET", "users/export", "Every user as NDJSON, streamed; never a password hash."),
    ("GET", "audit", "This client's audit records, newest first."),
    ("GET/POST", "webhooks", "List this client's webhooks, or add one (its secret shown once)."),
    ("DELETE", "webhooks/<webhook_id>", "Delete a webhook."),
    ("POST", "webhooks/<webhook_id>/rotate-secret", "A new signing secret; the old one signs too for 24 hours."),
    ("GET", "webhooks/<webhook_id>/deliveries", "A webhook's recent deliveries, newest first."),
]


def client_docs_page(request, client_id: str):
    """GET /docs/clients/<client_id>/: what `documentation_url` points at."""
    parsed = parse_client_id(client_id)
    # One spelling per page, as on /api/ (whose <uuid:> converter takes only the canonical form).
    if parsed is None or str(parsed) != client_id:
        raise Http404
    try:
        client = client_get(client_id=client_id)
    except NotFound:
        raise Http404 from None
    base_url = api_base_url(client)
    context = {
        "client": client,
        "base_url": base_url,
        "public_url": settings.AUTHSVC_PUBLIC_URL,
        "issuer": issuer_of(client),
        "discovery_url": client_docs.discovery_url(client),
        "verification_recipe": client_docs.offline_verification_recipe(client),
        "endpoints": ENDPOINTS,
        "quickstart": quickstart.quickstart_steps(client, base_url),
        "settings_command": quickstart.settings_command(base_url),
        "mail_settings": client_docs.mail_setting_rows(client),
        "custom_fields": client_docs.custom_field_rows(client.custom_fields_schema),
        "custom_fields_schema": client_docs.pretty_schema(client.custom_fields_schema),
        "rate_limits": client_docs.rate_limit_rows(client),
        "password_policy": PasswordPolicy.of(client.password_policy),
        "lockout": LockoutPolicy.of(client.lockout),
        "error_codes": client_docs.error_code_rows(),
        "max_body_kb": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024,
        "webhook_events": client_docs.webhook_event_rows(),
        "webhook_recipe": client_docs.WEBHOOK_RECEIVER_RECIPE,
        "import_max_mb": settings.AUTHSVC_IMPORT_MAX_BYTES // 10**6,
        "import_max_lines": settings.AUTHSVC_IMPORT_MAX_LINES,
    }
    return render(request, "authsvc/client_docs.html", context)
