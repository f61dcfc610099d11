"""Django and DRF: your endpoints accept authsvc's access tokens, verified in your process.

    AUTHSVC_CLIENT = {"BASE_URL": "https://auth.example.com", "CLIENT_ID": "<client_id>"}
    # DRF: request.user is an AuthsvcUser, request.auth its AccessClaims
    REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["authsvc_client.django.AuthsvcAuthentication"]}
    # or plain Django: request.authsvc_user is an AuthsvcUser or None
    MIDDLEWARE = [..., "authsvc_client.django.AuthsvcMiddleware"]

Optional keys: "ACCESS_KEY" and "ONLINE": True (ask `token/verify` on every request, which sees logouts
and password resets before `exp`; see authsvc_client.verification), "ISSUER" (a string or a list, when
switching a client's issuer; else read from discovery), "LEEWAY" (seconds of clock skew allowed).

A request without `Authorization: Bearer` goes on unauthenticated; one whose token is refused answers
401 `invalid_token`; one that cannot be checked (the service's keys unreachable at first use) 503.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import AuthsvcError
from .verification import AccessClaims, TokenRejected, TokenVerifier

SETTING = "AUTHSVC_CLIENT"
CHALLENGE = 'Bearer realm="api"'

_lock = threading.Lock()
_verifier: TokenVerifier | None = None


def verifier() -> TokenVerifier:
    """The process's one TokenVerifier, built from settings.AUTHSVC_CLIENT at first use (keys cached in it)."""
    global _verifier
    if _verifier is None:
        with _lock:
            if _verifier is None:
                _verifier = _from_settings(getattr(settings, SETTING, None))
    return _verifier


def _from_settings(config: Any) -> TokenVerifier:
    if not isinstance(config, dict) or not config.get("BASE_URL") or not config.get("CLIENT_ID"):
        raise ImproperlyConfigured(f'settings.{SETTING} needs at least {{"BASE_URL": ..., "CLIENT_ID": ...}}')
    return TokenVerifier(
        config["BASE_URL"],
        config["CLIENT_ID"],
        access_key=config.get("ACCESS_KEY"),
        online=bool(config.get("ONLINE", False)),
        issuer=config.get("ISSUER"),
        leeway=float(config.get("LEEWAY", 0)),
    )


def _forget_verifier(*, setting: str, **kwargs: Any) -> None:
    global _verifier
    if setting == SETTING:
        with _lock:
            _verifier = None


setting_changed.connect(_forget_verifier)


@dataclass(frozen=True)
class AuthsvcUser:
    """The end user an access token names (not a row of your database): `request.user` under DRF."""

    user_id: str
    claims: AccessClaims
    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def pk(self) -> str:
        return self.user_id

    @property
    def email(self) -> str | None:
        return self.claims.email

    def __str__(self) -> str:
        return self.user_id


def bearer_token(request: Any) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None when the header is absent or another scheme."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


def authenticate(request: Any) -> AuthsvcUser | None:
    """The request's user, verified once per request (the middleware and the DRF class share it)."""
    cached = getattr(request, "authsvc_user", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is None:
        return None
    claims = verifier().verify(token)
    user = AuthsvcUser(user_id=claims.user_id, claims=claims)
    request.authsvc_user = user  # type: ignore[attr-defined]
    return user


def _refusal(status: int, code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = f'{CHALLENGE}, error="invalid_token"'
    return response


class AuthsvcMiddleware:
    """Sets `request.authsvc_user` (AuthsvcUser or None) on every request; see the module's docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.authsvc_user = None  # type: ignore[attr-defined]
        try:
            authenticate(request)
        except TokenRejected as refused:
            return _refusal(401, "invalid_token", f"The access token was refused ({refused.reason}).")
        except AuthsvcError:
            return _refusal(503, "service_unavailable", "Access tokens cannot be checked right now.")
        return self.get_response(request)


def authsvc_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A plain Django view that answers 401 without a verified access token (needs AuthsvcMiddleware)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "authsvc_user", None) is None:
            return _refusal(401, "unauthorized", "An access token is required (Authorization: Bearer).")
        return view(request, *args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


class AuthsvcAuthentication:
    """DRF authentication class: `request.user` is an AuthsvcUser, `request.auth` its AccessClaims.

    Without a Bearer token it returns None (the next class may try; permissions decide); a refused
    token is a 401 AuthenticationFailed, an unreachable key set a 503.
    """

    def authenticate(self, request: Any) -> tuple[AuthsvcUser, AccessClaims] | None:
        from rest_framework.exceptions import APIException, AuthenticationFailed

        try:
            user = authenticate(request)
        except TokenRejected as refused:
            raise AuthenticationFailed(f"The access token was refused ({refused.reason}).", code="invalid_token") from None
        except AuthsvcError:
            unavailable = APIException("Access tokens cannot be checked right now.", code="service_unavailable")
            unavailable.status_code = 503
            raise unavailable from None
        return None if user is None else (user, user.claims)

    def authenticate_header(self, request: Any) -> str:
        return CHALLENGE
