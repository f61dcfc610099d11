"""`AuthsvcClient`: the API from a backend, one method per endpoint, over an `httpx.Client`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx

from .endpoints import UNSET, Endpoints
from .errors import AuthsvcError, NotFound
from .factors import EnrolledLogin, Passkey, PasskeyLoginOptions, RecoveryCodes, TotpEnrolment
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
)
from .protocol import DEFAULT_TIMEOUT, Call, RetryPolicy, build_request, connection_error, error_of, result_of, user_line

T = TypeVar("T")


def _walk(fetch: Callable[[str | None], Page]) -> Iterator[Any]:
    """The items of every page (keyset pagination: each page names the cursor of the next)."""
    cursor = None
    while True:
        page = fetch(cursor)
        yield from page.results
        if page.next is None:
            return
        cursor = page.next


class AuthsvcClient:
    """A client backend's connection to authsvc: `AuthsvcClient(base_url, client_id, access_key)`.

    Thread-safe (one `httpx.Client` pool); close it, or use it as a context manager. Pass `http_client`
    to bring your own `httpx.Client` (proxies, certificates, event hooks); it is left open. Give
    `refresh_reuse_interval` the client's setting of that name (seconds) and `refresh` is retried
    too, within that interval, where the service answers a spent token's replay with the same pair.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        access_key: str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
        refresh_reuse_interval: float = 0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = str(client_id)
        self._access_key = access_key
        self._endpoints = Endpoints(self.client_id, refresh_reuse_interval)
        self._retry = RetryPolicy(retries=retries, backoff=backoff, max_retry_after=max_retry_after)
        self._http = http_client or httpx.Client(timeout=timeout)
        self._owns_http = http_client is None

    def __repr__(self) -> str:
        return f"AuthsvcClient({self.base_url!r}, {self.client_id!r})"  # never the key

    def __enter__(self) -> AuthsvcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _send(self, call: Call[Any], *, stream: bool = False) -> httpx.Response:
        """The successful answer to `call`, after the retries its policy allows; else its AuthsvcError."""
        attempt, started = 0, time.monotonic()
        while True:
            try:
                response = self._http.send(build_request(self._http, self.base_url, call, self._access_key), stream=stream)
                if response.is_success:
                    return response
                response.read()
                response.close()
                raise error_of(response)
            except httpx.TransportError as exc:
                error: AuthsvcError = connection_error(call, exc)
            except AuthsvcError as refused:
                error = refused
            delay = self._retry.delay(call, attempt, error, time.monotonic() - started)
            if delay is None:
                raise error
            time.sleep(delay)
            attempt += 1

    def _run(self, call: Call[T]) -> T:
        return result_of(call, self._send(call))

    # --- end users ------------------------------------------------------------------------------

    def signup(
        self, email: str, password: str, custom_fields: dict[str, Any] | None = None, *,
        end_user_ip: str | None = None, end_user_agent: str | None = None,
    ) -> SignupResult:
        return self._run(self._endpoints.signup(email, password, custom_fields, end_user_ip, end_user_agent))

    def login(self, email: str, password: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> LoginResult:
        """The `TokenPair`, or the second step the service asks for: `MfaRequired` (`login_mfa`) or
        `MfaEnrollmentRequired` (`login_mfa_totp_enrol`); `result.is_complete` tells which."""
        return self._run(self._endpoints.login(email, password, end_user_ip, end_user_agent))

    def refresh(self, refresh_token: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> TokenPair:
        return self._run(self._endpoints.refresh(refresh_token, end_user_ip, end_user_agent))

    def verify(self, token: str, *, token_type_hint: str | None = None) -> Introspection:
        return self._run(self._endpoints.verify(token, token_type_hint))

    def revoke(
        self, token: str, *, token_type_hint: str | None = None, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> None:
        self._run(self._endpoints.revoke(token, token_type_hint, end_user_ip, end_user_agent))

    def logout(self, refresh_token: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> None:
        self._run(self._endpoints.logout(refresh_token, end_user_ip, end_user_agent))

    def forgot_password(self, email: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> None:
        self._run(self._endpoints.forgot_password(email, end_user_ip, end_user_agent))

    def reset_password(self, token: str, new_password: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> str:
        return self._run(self._endpoints.reset_password(token, new_password, end_user_ip, end_user_agent))

    def verify_email(self, token: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> str:
        return self._run(self._endpoints.verify_email(token, end_user_ip, end_user_agent))

    def resend_verification(self, email: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> None:
        self._run(self._endpoints.resend_verification(email, end_user_ip, end_user_agent))

    def change_password(
        self, user_id: str, current_password: str, new_password: str, *,
        end_user_ip: str | None = None, end_user_agent: str | None = None,
    ) -> None:
        self._run(self._endpoints.change_password(user_id, current_password, new_password, end_user_ip, end_user_agent))

    # --- a login's second step, passwordless login (docs/api.md §3b) ------------------------------

    def login_mfa(
        self, mfa_token: str, code: str | None = None, passkey_credential: dict[str, Any] | None = None, *,
        end_user_ip: str | None = None, end_user_agent: str | None = None,
    ) -> TokenPair:
        """Finish a login that answered `MfaRequired`: its `mfa_token` with a TOTP or recovery `code`, or the
        browser's `credential.toJSON()` for `login_mfa_passkey_options`' options (`passkey_credential`)."""
        return self._run(self._endpoints.login_mfa(mfa_token, code, passkey_credential, end_user_ip, end_user_agent))

    def login_mfa_totp_enrol(self, mfa_token: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> TotpEnrolment:
        """A pending TOTP secret for the user of an `MfaEnrollmentRequired` (from `login` or `signup`)."""
        return self._run(self._endpoints.login_mfa_totp_enrol(mfa_token, end_user_ip, end_user_agent))

    def login_mfa_totp_confirm(
        self, mfa_token: str, code: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> EnrolledLogin:
        """Turn that TOTP on with a code of it and finish the login: the pair and ten recovery codes."""
        return self._run(self._endpoints.login_mfa_totp_confirm(mfa_token, code, end_user_ip, end_user_agent))

    def login_mfa_passkey_options(
        self, mfa_token: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> dict[str, Any]:
        """The `navigator.credentials.get()` options (WebAuthn JSON) proving the user's passkey, for `login_mfa`."""
        return self._run(self._endpoints.login_mfa_passkey_options(mfa_token, end_user_ip, end_user_agent))

    def passkey_login_options(
        self, email: str | None = None, *, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> PasskeyLoginOptions:
        """A passwordless login's challenge: for the email's passkeys, or (no email) any the browser offers."""
        return self._run(self._endpoints.passkey_login_options(email, end_user_ip, end_user_agent))

    def login_passkey(
        self, challenge_id: str, credential: dict[str, Any], *, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> TokenPair:
        """The pair for a passkey's answer to `passkey_login_options` (the passkey is both factors)."""
        return self._run(self._endpoints.login_passkey(challenge_id, credential, end_user_ip, end_user_agent))

    # --- users ----------------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User:
        return self._run(self._endpoints.get_user(user_id))

    def list_users_page(self, *, email: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page:
        return self._run(self._endpoints.list_users(email, limit, cursor))

    def list_users(self, *, email: str | None = None, page_size: int | None = None) -> Iterator[User]:
        """Every user, oldest first, fetching one page of `page_size` at a time as the loop goes."""
        return _walk(lambda cursor: self.list_users_page(email=email, limit=page_size, cursor=cursor))

    def update_user(
        self, user_id: str, *, custom_fields: dict[str, Any] = UNSET, is_active: bool = UNSET,
        email_verified: bool = UNSET, email: str = UNSET,
    ) -> User:
        changes = {"custom_fields": custom_fields, "is_active": is_active, "email_verified": email_verified, "email": email}
        return self._run(self._endpoints.update_user(user_id, changes))

    def import_users(self, users: Iterable[Mapping[str, Any]]) -> ImportResult:
        """Users from another system (docs/api.md §11): each a mapping with `email` and `password_hash` or
        `password`, and optionally `email_verified`, `custom_fields`, `created_at`; at most 10,000 a call."""
        return self._run(self._endpoints.import_users(users))

    def export_users(self) -> Iterator[User]:
        """Every user, oldest first, read from the stream as the loop goes (never a password hash)."""
        response = self._send(self._endpoints.export_users(), stream=True)
        try:
            for line in response.iter_lines():
                if line.strip():
                    yield User.from_json(user_line(line))
        finally:
            response.close()

    def delete_user(self, user_id: str) -> None:
        self._run(self._endpoints.delete_user(user_id))

    # --- a user's second factors and passkeys (docs/api.md §3b) -------------------------------------

    def enrol_totp(self, user_id: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> TotpEnrolment:
        """A pending TOTP secret (replacing a pending one); `confirm_totp` turns it on."""
        return self._run(self._endpoints.enrol_totp(user_id, end_user_ip, end_user_agent))

    def confirm_totp(self, user_id: str, code: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> RecoveryCodes:
        """Turn the pending TOTP on with a code of it: ten recovery codes, to show once."""
        return self._run(self._endpoints.confirm_totp(user_id, code, end_user_ip, end_user_agent))

    def remove_totp(self, user_id: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> None:
        self._run(self._endpoints.remove_totp(user_id, end_user_ip, end_user_agent))

    def regenerate_recovery_codes(self, user_id: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> RecoveryCodes:
        """Ten new recovery codes; the old ones stop working."""
        return self._run(self._endpoints.regenerate_recovery_codes(user_id, end_user_ip, end_user_agent))

    def passkey_registration_options(
        self, user_id: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None
    ) -> dict[str, Any]:
        """The `navigator.credentials.create()` options (WebAuthn JSON) of a new passkey of the user."""
        return self._run(self._endpoints.passkey_registration_options(user_id, end_user_ip, end_user_agent))

    def register_passkey(
        self, user_id: str, credential: dict[str, Any], name: str | None = None, *,
        end_user_ip: str | None = None, end_user_agent: str | None = None,
    ) -> Passkey:
        """Store the passkey the browser's `credential.toJSON()` (for those options) proves."""
        return self._run(self._endpoints.register_passkey(user_id, credential, name, end_user_ip, end_user_agent))

    def list_passkeys(self, user_id: str) -> list[Passkey]:
        return self._run(self._endpoints.list_passkeys(user_id))

    def delete_passkey(self, user_id: str, passkey_id: str, *, end_user_ip: str | None = None, end_user_agent: str | None = None) -> None:
        self._run(self._endpoints.delete_passkey(user_id, passkey_id, end_user_ip, end_user_agent))

    # --- the client -----------------------------------------------------------------------------

    def get_settings(self) -> ClientSettings:
        return self._run(self._endpoints.get_settings())

    def update_settings(self, **changes: Any) -> ClientSettings:
        """PATCH the client's own settings (docs/api.md §3a: client_name, require_email_verification, ...)."""
        return self._run(self._endpoints.update_settings(changes))

    def list_audit_page(
        self, *, action: str | None = None, status: str | None = None, user_id: str | None = None,
        since: datetime | None = None, limit: int | None = None, cursor: str | None = None,
    ) -> Page:
        filters = {"action": action, "status": status, "user_id": user_id, "since": since.isoformat() if since else None}
        return self._run(self._endpoints.list_audit(filters, limit, cursor))

    def list_audit(
        self, *, action: str | None = None, status: str | None = None, user_id: str | None = None,
        since: datetime | None = None, page_size: int | None = None,
    ) -> Iterator[AuditRecord]:
        """The client's audit records, newest first, one page at a time as the loop goes."""
        return _walk(
            lambda cursor: self.list_audit_page(action=action, status=status, user_id=user_id, since=since, limit=page_size, cursor=cursor)
        )

    def jwks(self) -> dict[str, Any]:
        return self._run(self._endpoints.jwks())

    def discovery(self) -> Discovery:
        """The discovery document of this client's issuer: its own, else (token_issuer=service) the service's."""
        try:
            return self._run(self._endpoints.client_discovery())
        except NotFound:
            return self._run(self._endpoints.service_discovery())

    # --- webhooks -------------------------------------------------------------------------------

    def create_webhook(self, url: str, events: list[str], *, description: str | None = None) -> WebhookSecret:
        """A new webhook; its signing secret is in the answer only (keep it for WebhookReceiver)."""
        return self._run(self._endpoints.create_webhook(url, events, description))

    def list_webhooks(self) -> list[Webhook]:
        return self._run(self._endpoints.list_webhooks())

    def delete_webhook(self, webhook_id: str) -> None:
        self._run(self._endpoints.delete_webhook(webhook_id))

    def rotate_webhook_secret(self, webhook_id: str) -> WebhookSecret:
        """A new secret; messages carry a signature under the previous one too until `previous_secret_expires_at`."""
        return self._run(self._endpoints.rotate_webhook_secret(webhook_id))

    def list_webhook_deliveries_page(self, webhook_id: str, *, limit: int | None = None, cursor: str | None = None) -> Page:
        return self._run(self._endpoints.list_webhook_deliveries(webhook_id, limit, cursor))

    def list_webhook_deliveries(self, webhook_id: str, *, page_size: int | None = None) -> Iterator[WebhookDelivery]:
        """A webhook's messages, newest first, one page at a time as the loop goes."""
        return _walk(lambda cursor: self.list_webhook_deliveries_page(webhook_id, limit=page_size, cursor=cursor))
