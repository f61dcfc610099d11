"""Every endpoint of the API as a `Call`: its path, its body and whether a retry is safe, in one place
for both clients (docs/api.md §3 is the contract)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from .factors import EnrolledLogin, Passkey, PasskeyLoginOptions, RecoveryCodes, TotpEnrolment, passkey_list
from .models import (
    AuditRecord,
    ClientSettings,
    Discovery,
    ImportResult,
    Introspection,
    LoginResult,
    Page,
    SignupResult,
    TokenPair,
    User,
    Webhook,
    WebhookDelivery,
    WebhookSecret,
    login_result,
)
from .protocol import Call, end_user_headers


class Unset:
    """The default of an optional field: left out of the request (None would be a value)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


def _user_page(body: dict[str, Any]) -> Page:
    return Page(results=[User.from_json(item) for item in body["results"]], next=body.get("next"))


def _audit_page(body: dict[str, Any]) -> Page:
    return Page(results=[AuditRecord.from_json(item) for item in body["results"]], next=body.get("next"))


def _webhooks(body: dict[str, Any]) -> list[Webhook]:
    return [Webhook.from_json(item) for item in body["results"]]


def _delivery_page(body: dict[str, Any]) -> Page:
    return Page(results=[WebhookDelivery.from_json(item) for item in body["results"]], next=body.get("next"))


def _user_id(body: dict[str, Any]) -> str:
    return body["user_id"]


def _query(**values: Any) -> dict[str, Any]:
    """Query parameters that were given (the API refuses an empty one rather than ignoring it)."""
    return {name: str(value) for name, value in values.items() if value is not None}


class Endpoints:
    """Builds the `Call` of each endpoint of one client."""

    def __init__(self, client_id: str, refresh_reuse_interval: float = 0) -> None:
        self.client_id = str(client_id)
        self.refresh_reuse_interval = refresh_reuse_interval
        self.prefix = f"/api/v1/{quote(self.client_id, safe='')}/"

    def _user_path(self, user_id: str, rest: str = "") -> str:
        return f"{self.prefix}users/{quote(str(user_id), safe='')}{rest}"

    # --- end users: sign-up, login, tokens ------------------------------------------------------
    # Not retried: a sign-up or login sent twice after a 503 can create twice (a user, a login), and
    # their 429s are the end user's own limits, which a backend should pass on rather than sit out.

    def signup(self, email: str, password: str, custom_fields: dict[str, Any] | None, ip: str | None, agent: str | None) -> Call[SignupResult]:
        body: dict[str, Any] = {"email": email, "password": password}
        if custom_fields is not None:
            body["custom_fields"] = custom_fields
        return Call("POST", self.prefix + "signup", SignupResult.from_json, json=body, headers=end_user_headers(ip, agent))

    def login(self, email: str, password: str, ip: str | None, agent: str | None) -> Call[LoginResult]:
        body = {"email": email, "password": password}
        return Call("POST", self.prefix + "login", login_result, json=body, headers=end_user_headers(ip, agent))

    def refresh(self, refresh_token: str, ip: str | None, agent: str | None) -> Call[TokenPair]:
        # Not retried under strict rotation: if the first attempt was applied, a second presents a spent
        # token, which the service must treat as theft (token_reused) and answer by revoking the login.
        # Within the client's refresh_reuse_interval a spent token answers the same successor, so a
        # retry sent inside it is safe (the client object is told the interval; 0: never retried).
        body = {"refresh_token": refresh_token}
        return Call(
            "POST", self.prefix + "token/refresh", TokenPair.from_json, json=body, headers=end_user_headers(ip, agent),
            retry_safe=self.refresh_reuse_interval > 0, retry_within=self.refresh_reuse_interval or None,
        )

    def verify(self, token: str, token_type_hint: str | None) -> Call[Introspection]:
        body = {"token": token, **({"token_type_hint": token_type_hint} if token_type_hint else {})}
        return Call("POST", self.prefix + "token/verify", Introspection.from_json, json=body, retry_safe=True)

    def revoke(self, token: str, token_type_hint: str | None, ip: str | None, agent: str | None) -> Call[None]:
        body = {"token": token, **({"token_type_hint": token_type_hint} if token_type_hint else {})}
        return Call("POST", self.prefix + "token/revoke", json=body, headers=end_user_headers(ip, agent), retry_safe=True)

    def logout(self, refresh_token: str, ip: str | None, agent: str | None) -> Call[None]:
        body = {"refresh_token": refresh_token}
        return Call("POST", self.prefix + "logout", json=body, headers=end_user_headers(ip, agent), retry_safe=True)

    # --- a login's second step, passwordless login (docs/api.md §3b) ---------------------------------
    # Not retried: every one counts in the end user's own limits (mfa_ip, mfa_user, login_ip, login_email),
    # whose 429s are to pass on rather than sit out, as login's; and those that finish a login spend what
    # is single-use (the mfa_token, a one-time code, a passkey challenge): a second attempt after an
    # applied first would be refused for a success.

    def login_mfa(self, mfa_token: str, code: str | None, passkey_credential: dict[str, Any] | None, ip: str | None, agent: str | None) -> Call[TokenPair]:
        body: dict[str, Any] = {"mfa_token": mfa_token}
        if code is not None:
            body["code"] = code
        if passkey_credential is not None:
            body["passkey_credential"] = passkey_credential
        return Call("POST", self.prefix + "login/mfa", TokenPair.from_json, json=body, headers=end_user_headers(ip, agent))

    def login_mfa_totp_enrol(self, mfa_token: str, ip: str | None, agent: str | None) -> Call[TotpEnrolment]:
        body = {"mfa_token": mfa_token}
        return Call("POST", self.prefix + "login/mfa/totp", TotpEnrolment.from_json, json=body, headers=end_user_headers(ip, agent))

    def login_mfa_totp_confirm(self, mfa_token: str, code: str, ip: str | None, agent: str | None) -> Call[EnrolledLogin]:
        body = {"mfa_token": mfa_token, "code": code}
        path = self.prefix + "login/mfa/totp/confirm"
        return Call("POST", path, EnrolledLogin.from_json, json=body, headers=end_user_headers(ip, agent))

    def login_mfa_passkey_options(self, mfa_token: str, ip: str | None, agent: str | None) -> Call[dict[str, Any]]:
        body = {"mfa_token": mfa_token}
        return Call("POST", self.prefix + "login/mfa/passkey/options", dict, json=body, headers=end_user_headers(ip, agent))

    def passkey_login_options(self, email: str | None, ip: str | None, agent: str | None) -> Call[PasskeyLoginOptions]:
        body = {"email": email} if email is not None else {}
        path = self.prefix + "login/passkey/options"
        return Call("POST", path, PasskeyLoginOptions.from_json, json=body, headers=end_user_headers(ip, agent))

    def login_passkey(self, challenge_id: str, credential: dict[str, Any], ip: str | None, agent: str | None) -> Call[TokenPair]:
        body = {"challenge_id": str(challenge_id), "credential": credential}
        return Call("POST", self.prefix + "login/passkey", TokenPair.from_json, json=body, headers=end_user_headers(ip, agent))

    # --- mailed links and passwords -----------------------------------------------------------
    # Not retried: each mails (twice if sent twice) or spends a single-use token.

    def forgot_password(self, email: str, ip: str | None, agent: str | None) -> Call[None]:
        return Call("POST", self.prefix + "password/forgot", json={"email": email}, headers=end_user_headers(ip, agent))

    def reset_password(self, token: str, new_password: str, ip: str | None, agent: str | None) -> Call[str]:
        body = {"token": token, "new_password": new_password}
        return Call("POST", self.prefix + "password/reset", _user_id, json=body, headers=end_user_headers(ip, agent))

    def verify_email(self, token: str, ip: str | None, agent: str | None) -> Call[str]:
        return Call("POST", self.prefix + "email/verify", _user_id, json={"token": token}, headers=end_user_headers(ip, agent))

    def resend_verification(self, email: str, ip: str | None, agent: str | None) -> Call[None]:
        return Call("POST", self.prefix + "email/resend", json={"email": email}, headers=end_user_headers(ip, agent))

    def change_password(self, user_id: str, current: str, new: str, ip: str | None, agent: str | None) -> Call[None]:
        body = {"current_password": current, "new_password": new}
        return Call("POST", self._user_path(user_id, "/password"), json=body, headers=end_user_headers(ip, agent))

    # --- users (the backend's own management) -------------------------------------------------

    def get_user(self, user_id: str) -> Call[User]:
        return Call("GET", self._user_path(user_id), User.from_json, retry_safe=True)

    def list_users(self, email: str | None, limit: int | None, cursor: str | None) -> Call[Page]:
        return Call("GET", self.prefix + "users", _user_page, params=_query(email=email, limit=limit, cursor=cursor), retry_safe=True)

    def update_user(self, user_id: str, changes: dict[str, Any]) -> Call[User]:
        # Each field sets a value, so a second PATCH changes nothing more; except a new email, which
        # mails a link each time it is asked.
        body = {name: value for name, value in changes.items() if value is not UNSET}
        return Call("PATCH", self._user_path(user_id), User.from_json, json=body, retry_safe="email" not in body)

    def import_users(self, users: Iterable[Mapping[str, Any]]) -> Call[ImportResult]:
        # Retried: the service skips a user it already has, so a second import creates nothing more.
        body = "".join(json.dumps(dict(user), ensure_ascii=False) + "\n" for user in users).encode()
        headers = {"Content-Type": "application/x-ndjson"}
        return Call("POST", self.prefix + "users/import", ImportResult.from_json, content=body, headers=headers, retry_safe=True)

    def export_users(self) -> Call[None]:
        # Streamed (NDJSON): retried only while no line was read, i.e. when refused at the start.
        return Call("GET", self.prefix + "users/export", headers={"Accept": "application/x-ndjson"}, retry_safe=True)

    def delete_user(self, user_id: str) -> Call[None]:
        # Not retried: had the first attempt deleted, the second would answer 404 for a success.
        return Call("DELETE", self._user_path(user_id))

    # --- a user's second factors and passkeys (docs/api.md §3b) -----------------------------------
    # Not retried but the listing: an enrolment or a new set of codes replaces what the first attempt
    # answered, a confirmation spends its code (a retry answers 409 for a success), a registration its
    # challenge, and a retried delete answers 404 for a success.

    def enrol_totp(self, user_id: str, ip: str | None, agent: str | None) -> Call[TotpEnrolment]:
        return Call("POST", self._user_path(user_id, "/mfa/totp"), TotpEnrolment.from_json, headers=end_user_headers(ip, agent))

    def confirm_totp(self, user_id: str, code: str, ip: str | None, agent: str | None) -> Call[RecoveryCodes]:
        path = self._user_path(user_id, "/mfa/totp/confirm")
        return Call("POST", path, RecoveryCodes.from_json, json={"code": code}, headers=end_user_headers(ip, agent))

    def remove_totp(self, user_id: str, ip: str | None, agent: str | None) -> Call[None]:
        return Call("DELETE", self._user_path(user_id, "/mfa/totp"), headers=end_user_headers(ip, agent))

    def regenerate_recovery_codes(self, user_id: str, ip: str | None, agent: str | None) -> Call[RecoveryCodes]:
        path = self._user_path(user_id, "/mfa/recovery-codes")
        return Call("POST", path, RecoveryCodes.from_json, headers=end_user_headers(ip, agent))

    def passkey_registration_options(self, user_id: str, ip: str | None, agent: str | None) -> Call[dict[str, Any]]:
        path = self._user_path(user_id, "/passkeys/registration/options")
        return Call("POST", path, dict, headers=end_user_headers(ip, agent))

    def register_passkey(self, user_id: str, credential: dict[str, Any], name: str | None, ip: str | None, agent: str | None) -> Call[Passkey]:
        body: dict[str, Any] = {"credential": credential, **({"name": name} if name is not None else {})}
        return Call("POST", self._user_path(user_id, "/passkeys"), Passkey.from_json, json=body, headers=end_user_headers(ip, agent))

    def list_passkeys(self, user_id: str) -> Call[list[Passkey]]:
        return Call("GET", self._user_path(user_id, "/passkeys"), passkey_list, retry_safe=True)

    def delete_passkey(self, user_id: str, passkey_id: str, ip: str | None, agent: str | None) -> Call[None]:
        path = self._user_path(user_id, f"/passkeys/{quote(str(passkey_id), safe='')}")
        return Call("DELETE", path, headers=end_user_headers(ip, agent))

    # --- the client, its audit trail, its issuer ------------------------------------------------

    def get_settings(self) -> Call[ClientSettings]:
        return Call("GET", self.prefix, ClientSettings.from_json, retry_safe=True)

    def update_settings(self, changes: dict[str, Any]) -> Call[ClientSettings]:
        # Each setting is set to a value: a second PATCH changes nothing more.
        return Call("PATCH", self.prefix, ClientSettings.from_json, json=changes, retry_safe=True)

    def list_audit(self, filters: dict[str, Any], limit: int | None, cursor: str | None) -> Call[Page]:
        return Call("GET", self.prefix + "audit", _audit_page, params=_query(**filters, limit=limit, cursor=cursor), retry_safe=True)

    def jwks(self) -> Call[dict[str, Any]]:
        return Call("GET", "/.well-known/jwks.json", dict, retry_safe=True, authenticated=False)

    def client_discovery(self) -> Call[Discovery]:
        path = self.prefix + ".well-known/openid-configuration"
        return Call("GET", path, Discovery.from_json, retry_safe=True, authenticated=False)

    def service_discovery(self) -> Call[Discovery]:
        return Call("GET", "/.well-known/openid-configuration", Discovery.from_json, retry_safe=True, authenticated=False)

    # --- webhooks (docs/api.md §9c) --------------------------------------------------------------
    # Creating, rotating and deleting are not retried: a second create adds a second webhook, a second
    # rotation replaces the secret just shown, and a retried delete answers 404 for a success.

    def _webhook_path(self, webhook_id: str, rest: str = "") -> str:
        return f"{self.prefix}webhooks/{quote(str(webhook_id), safe='')}{rest}"

    def create_webhook(self, url: str, events: list[str], description: str | None) -> Call[WebhookSecret]:
        body: dict[str, Any] = {"url": url, "events": list(events)}
        if description is not None:
            body["description"] = description
        return Call("POST", self.prefix + "webhooks", WebhookSecret.from_json, json=body)

    def list_webhooks(self) -> Call[list[Webhook]]:
        return Call("GET", self.prefix + "webhooks", _webhooks, retry_safe=True)

    def delete_webhook(self, webhook_id: str) -> Call[None]:
        return Call("DELETE", self._webhook_path(webhook_id))

    def rotate_webhook_secret(self, webhook_id: str) -> Call[WebhookSecret]:
        return Call("POST", self._webhook_path(webhook_id, "/rotate-secret"), WebhookSecret.from_json)

    def list_webhook_deliveries(self, webhook_id: str, limit: int | None, cursor: str | None) -> Call[Page]:
        path = self._webhook_path(webhook_id, "/deliveries")
        return Call("GET", path, _delivery_page, params=_query(limit=limit, cursor=cursor), retry_safe=True)
