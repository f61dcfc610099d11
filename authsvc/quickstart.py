"""The docs page's Quickstart: every endpoint of a client's API as a curl line that runs as written.

Plain strings built in Python, where shell quoting is easier to get right than in a template.
tests/authsvc/test_docs_page_quickstart_live.py runs every line with real curl against a live
server. The page is public: the sign-up example is the one stored with the schema
(tenants/schema_example.py); nothing here runs the client's schema.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings

from tenants.models import Client

EXAMPLE_EMAIL = "ada@example.com"
EXAMPLE_PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another horse battery staple"
# custom_fields for the update step of a client without a schema, which accepts any object.
ANY_CUSTOM_FIELDS = {"nickname": "Ada"}
# Stands for a shell variable inside a JSON body until the body is quoted for the shell.
VARIABLE_MARK = "\ue000"

# Where per-end-user limits count and what audit records show: the person in front of the
# client's backend, not the backend itself.
END_USER_HEADER_LINES = ['-H "X-End-User-IP: $END_USER_IP"', '-H "X-End-User-Agent: $END_USER_AGENT"']


@dataclass(frozen=True)
class QuickstartStep:
    anchor: str
    title: str
    explanation: str
    command: str


def _double_quoted(text: str) -> str:
    escaped = text
    for special in ("\\", '"', "$", "`"):
        escaped = escaped.replace(special, "\\" + special)
    return f'"{escaped}"'


def shell_word(text: str) -> str:
    """`text` as one shell word; $NAME written as {MARK}NAME{MARK} stays a variable."""
    if VARIABLE_MARK not in text and "'" not in text:
        return f"'{text}'"
    word = _double_quoted(text)
    parts = word.split(VARIABLE_MARK)
    # Odd parts are variable names: the marks came in pairs around them.
    return "".join(f"${part}" if index % 2 else part for index, part in enumerate(parts))


def variable(name: str) -> str:
    return f"{VARIABLE_MARK}{name}{VARIABLE_MARK}"


def _curl(method: str, url: str, *, body: dict | None = None, end_user: bool = False) -> str:
    options = ['-H "Authorization: Bearer $ACCESS_KEY"', *(END_USER_HEADER_LINES if end_user else [])]
    if body is not None:
        options += ["-H 'Content-Type: application/json'", f"-d {shell_word(json.dumps(body, ensure_ascii=False))}"]
    verb = "" if method == "GET" else f" -X {method}"
    return f"curl -sS{verb} {shell_word(url)} \\\n  " + " \\\n  ".join(options)


def _required_names(client: Client) -> str:
    schema = client.custom_fields_schema
    required = schema.get("required") if isinstance(schema, dict) else None
    names = [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
    return ", ".join(names) if names else "none"


def example_custom_fields(client: Client) -> dict | None:
    """custom_fields that the client's schema accepts (stored with it); None when the client has a
    schema and no stored example, or no schema (then sign-up needs none)."""
    return client.custom_fields_example if client.custom_fields_schema else None


def _fill_in_note(client: Client) -> str:
    """What the reader adds when no example was stored for the client's schema; empty otherwise."""
    if not client.custom_fields_schema or client.custom_fields_example is not None:
        return ""
    return (
        " No example could be worked out from this client's schema, so the body above has no custom_fields: "
        f"add \"custom_fields\": {{…}} with values that match the schema under Custom fields (required: {_required_names(client)}), "
        "or the call answers 400 invalid_request."
    )


def _signup_step(client: Client, base_url: str) -> QuickstartStep:
    body: dict = {"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD}
    custom_fields = example_custom_fields(client)
    if custom_fields is not None:
        body["custom_fields"] = custom_fields
    if client.require_email_verification:
        answer = (
            "Answers 201 with the user and \"verification_required\": true, and no tokens: "
            "the user is mailed a link that confirms the address."
        )
    else:
        answer = "Answers 201 with the user and a first access_token / refresh_token pair."
    answer += " Keep its user_id as USER_ID. Sign-ups are limited per end-user IP: pass the user's in X-End-User-IP."
    if custom_fields is not None:
        answer += " The custom_fields shown match this client's schema (see Custom fields)."
    answer += _fill_in_note(client)
    return QuickstartStep("signup", "Sign a user up", answer, _curl("POST", f"{base_url}signup", body=body, end_user=True))


def _email_steps(client: Client, base_url: str) -> list[QuickstartStep]:
    until = (
        " Until then login answers email_not_verified."
        if client.require_email_verification
        else " This client does not require it: login works either way, and the user's email_verified says which."
    )
    return [
        QuickstartStep(
            "email-resend",
            "Mail a verification link",
            "Answers 202 with one fixed body whatever the email, so nobody learns who has an account; "
            "only an active user whose address is not confirmed yet is mailed a link.",
            _curl("POST", f"{base_url}email/resend", body={"email": EXAMPLE_EMAIL}),
        ),
        QuickstartStep(
            "email-verify",
            "Confirm the email address",
            "EMAIL_TOKEN is the token the mailed link carries: the value of its token= parameter, URL-decoded. "
            "The link opens a page of ours that does this for the user; from your backend, post the token yourself. "
            "Answers 200 with email_verified true." + until,
            _curl("POST", f"{base_url}email/verify", body={"token": variable("EMAIL_TOKEN")}),
        ),
    ]


def _token_steps(base_url: str) -> list[QuickstartStep]:
    access_minutes = settings.AUTHSVC_ACCESS_TOKEN_MINUTES
    refresh_days = settings.AUTHSVC_REFRESH_TOKEN_DAYS
    return [
        QuickstartStep(
            "login",
            "Log the user in",
            f"Answers 200 with user_id, access_token (valid {access_minutes} min) and refresh_token "
            f"(valid {refresh_days} days). Keep them as ACCESS_TOKEN and REFRESH_TOKEN. Logins are "
            "limited per end-user IP, which X-End-User-IP names.",
            _curl("POST", f"{base_url}login", body={"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD}, end_user=True),
        ),
        QuickstartStep(
            "refresh",
            "Refresh the tokens",
            "Spends the refresh token and answers a new pair: keep the new refresh_token. Presenting a "
            "spent one again answers token_reused and revokes every token of that login (within this "
            "client's refresh reuse interval, if it has one, it answers the same new pair instead).",
            _curl("POST", f"{base_url}token/refresh", body={"refresh_token": variable("REFRESH_TOKEN")}),
        ),
        QuickstartStep(
            "verify",
            "Check an access token",
            "Answers {\"active\": true, \"user_id\": …, \"email\": …, \"exp\": …} for a live token and "
            "{\"active\": false} otherwise, also once the token's login has been logged out. You can also "
            "verify tokens offline with the public keys below, but those checks see a logout only at exp.",
            _curl("POST", f"{base_url}token/verify", body={"token": variable("ACCESS_TOKEN")}),
        ),
        QuickstartStep(
            "logout",
            "Log out",
            "Revokes the refresh token and every token refreshed from the same login; token/verify then "
            "reports that login's access tokens inactive. Answers 204, also when it was already revoked.",
            _curl("POST", f"{base_url}logout", body={"refresh_token": variable("REFRESH_TOKEN")}),
        ),
    ]


def _password_steps(base_url: str) -> list[QuickstartStep]:
    return [
        QuickstartStep(
            "password-forgot",
            "Mail a password reset link",
            "Answers 202 with one fixed body whatever the email; only an active user is mailed a link.",
            _curl("POST", f"{base_url}password/forgot", body={"email": EXAMPLE_EMAIL}),
        ),
        QuickstartStep(
            "password-reset",
            "Set a new password",
            "RESET_TOKEN is the token the mailed link carries: the value of its token= parameter, URL-decoded. "
            "The link opens a page of ours that asks the user for the new password; from your backend, post both yourself. "
            "Answers 200; every refresh token of the user is revoked and earlier access tokens turn inactive.",
            _curl("POST", f"{base_url}password/reset", body={"token": variable("RESET_TOKEN"), "new_password": NEW_PASSWORD}),
        ),
    ]


def _update_body(client: Client) -> tuple[dict, str]:
    """The users/<id> PATCH body, and what the step says about custom_fields."""
    if not client.custom_fields_schema:
        return {"custom_fields": ANY_CUSTOM_FIELDS}, " Without a schema, custom_fields may be any JSON object."
    if client.custom_fields_example is not None:
        return {"custom_fields": client.custom_fields_example}, " The custom_fields shown match this client's schema."
    note = (
        " No example could be worked out from this client's schema, so the body above only sets is_active: "
        f"to change custom_fields, send \"custom_fields\": {{…}} with values that match the schema (required: {_required_names(client)})."
    )
    return {"is_active": True}, note


def _users_steps(client: Client, base_url: str) -> list[QuickstartStep]:
    user_url = f"{base_url}users/{variable('USER_ID')}"
    update, update_note = _update_body(client)
    return [
        QuickstartStep(
            "users-list",
            "Find a user by email",
            "Answers 200 {\"results\": [the user], \"next\": null}. Without email= it lists every user, oldest "
            "first, limit= at a time; pass next back as cursor= for the following page.",
            _curl("GET", f"{base_url}users?{urlencode({'email': EXAMPLE_EMAIL})}"),
        ),
        QuickstartStep("user-get", "Read a user", "Answers 200 with the user (USER_ID from sign-up, login or the list).", _curl("GET", user_url)),
        QuickstartStep(
            "user-update",
            "Update a user",
            "Answers 200 with the user. custom_fields replaces the stored object and is checked like at sign-up; "
            "\"is_active\": false deactivates the user and revokes every token." + update_note,
            _curl("PATCH", user_url, body=update),
        ),
        QuickstartStep(
            "user-delete",
            "Delete a user",
            "Answers 204; the user's tokens are revoked.",
            _curl("DELETE", user_url),
        ),
    ]


def quickstart_steps(client: Client, base_url: str) -> list[QuickstartStep]:
    """Sign-up, email confirmation, tokens, password reset and the users API, as curl lines."""
    return [
        _signup_step(client, base_url),
        *_email_steps(client, base_url),
        *_token_steps(base_url),
        *_password_steps(base_url),
        *_users_steps(client, base_url),
    ]


# The docs page's example of changing settings (its "Settings and mail in your name" section).
SETTINGS_EXAMPLE = {
    "verify_email_url": "https://app.example.com/verify-email",
    "reset_password_url": "https://app.example.com/reset-password",
    "mail_reply_to": "support@example.com",
}


def settings_command(base_url: str) -> str:
    """PATCH of the client's own settings, as a curl line that runs as written."""
    return _curl("PATCH", base_url, body=SETTINGS_EXAMPLE)
