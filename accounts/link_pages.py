"""The small pages our mailed links open: `/links/<client_id>/verify-email` and `/reset-password`.

They let an end user finish the job with nothing built by the client. A GET only shows a
form (mail scanners prefetch links, so a GET must never use the token); the POST (CSRF
protected) calls the same flows as the API, which publish what happens (accounts.events);
the pages publish only the refusals they decide themselves (a rate limit; core.refusals).

As Django's PasswordResetConfirmView does, the mailed URL's token is moved into the session at
once and the browser is redirected to the same page without it: the address bar, history,
Referer headers and every later request line (the form's POST included) never hold the token.
Only the first request carries it, in the query string, which our access log leaves out
(gunicorn.conf.py); that request first checks the token's signature and age (no store is read),
so a forged one is refused before anything is written.

Referrer policy: a response at the token-bearing URL says `no-referrer`. The pages at the bare
URL say `same-origin`: with `no-referrer` the browser posts the form with `Origin: null`, which
Django's CSRF check refuses (every real user got a 403), and these URLs hold nothing secret.
Requests are counted per peer address and client (`link_ip`); pages are never cached.
"""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from accounts.email_tokens import EmailTokenRefused, Purpose, email_token_purpose, email_token_user
from accounts.emails import RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE
from accounts.errors import EmailTaken
from accounts.flows.email_verification import VERIFY_PURPOSES, email_token_check, email_verify
from accounts.flows.password_reset import password_reset_confirm
from accounts.validation import MAX_PASSWORD_LENGTH
from clientapi.ratelimits import enforce_client_limit
from core.errors import InvalidRequest, NotFound, RateLimited, ServiceError
from core.refusals import refusal_publish
from core.request_meta import peer_ip_bucket, request_meta
from tenants.models import Client
from tenants.selectors import client_get

# At the mailed URL (the token in its query string): the browser tells no one where it was.
TOKEN_URL_REFERRER_POLICY = "no-referrer"
# At the bare URL: the form's POST carries our Origin (and the bare URL as Referer), to us only.
PAGE_REFERRER_POLICY = "same-origin"
# Without Redis no request can be counted: the pages fail closed, as the API does (authsvc.exceptions).
COUNTERS_UNAVAILABLE = (ConnectionInterrupted, RedisConnectionError, RedisTimeoutError)
UNAVAILABLE_RETRY_SECONDS = 5
# What a refused request would have done, for its audit record.
PAGE_ACTIONS = {VERIFY_EMAIL_PAGE: "email_verify", RESET_PASSWORD_PAGE: "password_reset"}
# The verification page also takes an email change's token (mailed to the new address).
PAGE_PURPOSES = {VERIFY_EMAIL_PAGE: VERIFY_PURPOSES, RESET_PASSWORD_PAGE: (Purpose.RESET_PASSWORD,)}


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label="New password",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    new_password_confirm = forms.CharField(
        label="New password, again",
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password"), cleaned.get("new_password_confirm")
        if first is not None and second is not None and first != second:
            self.add_error("new_password_confirm", "The two passwords differ.")
        return cleaned


def _active_client(client_id) -> Client:
    try:
        client = client_get(client_id=client_id)
    except NotFound:
        raise Http404 from None
    if not client.is_active:
        raise Http404
    return client


def _page(
    request: HttpRequest, template: str, context: dict, *, status: int = 200, referrer_policy: str = PAGE_REFERRER_POLICY
) -> HttpResponse:
    # The header and the page's meta tag agree: a meta tag read later would override the header.
    response = render(request, f"accounts/links/{template}", {**context, "referrer_policy": referrer_policy}, status=status)
    response["Referrer-Policy"] = referrer_policy
    return response


def _refused(request: HttpRequest, client: Client, error: ServiceError, *, action: str) -> None:
    refusal_publish(
        error, code=error.code, operation=action, client_id=client.client_id, request_meta=request_meta(request, key_is_valid=False)
    )


def _invalid_link(
    request: HttpRequest, client: Client, error: EmailTokenRefused | EmailTaken, *, referrer_policy: str = PAGE_REFERRER_POLICY
) -> HttpResponse:
    context = {"client": client, "problems": (error.fields or {}).get("token") or [error.detail]}
    return _page(request, "invalid_link.html", context, status=400, referrer_policy=referrer_policy)


def _wait_page(request: HttpRequest, client: Client, template: str, *, status: int, retry_after: int) -> HttpResponse:
    policy = TOKEN_URL_REFERRER_POLICY if "token" in request.GET else PAGE_REFERRER_POLICY
    context = {"client": client, "retry_after": retry_after}
    response = _page(request, template, context, status=status, referrer_policy=policy)
    response["Retry-After"] = str(retry_after)
    return response


def _rate_limited(request: HttpRequest, client: Client, page: str) -> HttpResponse | None:
    """Count this request in the client's `link_ip` bucket of its peer address; over it, a 429 page.

    Only a POST (an attempt) is audited: a GET shows a page, and a flood of them must write nothing.
    """
    bucket = peer_ip_bucket(request)
    if bucket is None:
        return None
    try:
        enforce_client_limit(client=client, limit="link_ip", key=bucket, action=PAGE_ACTIONS[page])
    except RateLimited as error:
        if request.method == "POST":
            _refused(request, client, error, action=PAGE_ACTIONS[page])
        return _wait_page(request, client, "rate_limited.html", status=429, retry_after=error.retry_after)
    except COUNTERS_UNAVAILABLE:
        return _wait_page(request, client, "unavailable.html", status=503, retry_after=UNAVAILABLE_RETRY_SECONDS)
    return None


def _session_key(page: str, client: Client) -> str:
    return f"accounts.link_token.{page}.{client.client_id}"


def _token_free_redirect(request: HttpRequest, page: str, client: Client) -> HttpResponse | None:
    """A mailed link's first GET: keep its token server-side, send the browser to a clean URL.

    Only a token we signed, for this client and page, within its 24 hours is kept: anything else
    gets the invalid-link page, and no session is created for it.
    """
    if request.method != "GET" or "token" not in request.GET:
        return None
    token = request.GET["token"]
    try:
        email_token_purpose(client=client, token=token, purposes=PAGE_PURPOSES[page])
    except EmailTokenRefused as error:
        return _invalid_link(request, client, error, referrer_policy=TOKEN_URL_REFERRER_POLICY)
    request.session[_session_key(page, client)] = token
    response = HttpResponseRedirect(request.path)
    response["Referrer-Policy"] = TOKEN_URL_REFERRER_POLICY
    return response


def _token_of(request: HttpRequest, page: str, client: Client) -> str:
    return request.session.get(_session_key(page, client), "")


def _forget_token(request: HttpRequest, page: str, client: Client) -> None:
    request.session.pop(_session_key(page, client), None)


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email_page(request: HttpRequest, client_id) -> HttpResponse:
    client = _active_client(client_id)
    if refused := _rate_limited(request, client, VERIFY_EMAIL_PAGE):
        return refused
    if redirect := _token_free_redirect(request, VERIFY_EMAIL_PAGE, client):
        return redirect
    token = _token_of(request, VERIFY_EMAIL_PAGE, client)
    if request.method == "GET":  # shows the page: no attempt yet, nothing to announce
        try:
            email_token_check(client=client, token=token)
        except EmailTokenRefused as error:
            return _invalid_link(request, client, error)
        return _page(request, "verify_email.html", {"client": client})
    try:
        user = email_verify(client=client, token=token, request_meta=request_meta(request, key_is_valid=False))
    except (EmailTokenRefused, EmailTaken) as error:  # taken: the new address was registered meanwhile
        return _invalid_link(request, client, error)
    _forget_token(request, VERIFY_EMAIL_PAGE, client)
    return _page(request, "done.html", {"client": client, "title": "Email address verified", "email": user.email})


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password_page(request: HttpRequest, client_id) -> HttpResponse:
    client = _active_client(client_id)
    if refused := _rate_limited(request, client, RESET_PASSWORD_PAGE):
        return refused
    if redirect := _token_free_redirect(request, RESET_PASSWORD_PAGE, client):
        return redirect
    token = _token_of(request, RESET_PASSWORD_PAGE, client)
    if request.method == "GET":
        try:
            email_token_user(client=client, token=token, purpose=Purpose.RESET_PASSWORD)
        except EmailTokenRefused as error:
            return _invalid_link(request, client, error)
        return _page(request, "reset_password.html", {"client": client, "form": NewPasswordForm()})
    form = NewPasswordForm(request.POST)
    if form.is_valid():
        try:
            user = password_reset_confirm(
                client=client,
                token=token,
                new_password=form.cleaned_data["new_password"],
                request_meta=request_meta(request, key_is_valid=False),
            )
        except EmailTokenRefused as error:
            return _invalid_link(request, client, error)
        except InvalidRequest as error:
            for message in (error.fields or {}).get("new_password", [error.detail]):
                form.add_error("new_password", message)
        else:
            _forget_token(request, RESET_PASSWORD_PAGE, client)
            return _page(request, "done.html", {"client": client, "title": "Password changed", "email": user.email, "signed_out": True})
    return _page(request, "reset_password.html", {"client": client, "form": form}, status=400)
