"""The small pages our mailed links open: `/links/<client_id>/verify-email` and `/reset-password`.

They let an end user finish the job with nothing built by the client. A GET only shows a
form (mail scanners prefetch links, so a GET must never use the token); the POST (CSRF
protected) calls the same services as the API.

As Django's PasswordResetConfirmView does, the mailed URL's token is moved into the session at
once and the browser is redirected to the same page without it: the address bar, history,
Referer headers and every later request line (the form's POST included) never hold the token.
Only the first request carries it, in the query string, which our access log leaves out
(gunicorn.conf.py). Pages are never cached and send no Referer.
"""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.email_tokens import EmailTokenRefused, Purpose, email_token_user
from accounts.emails import RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE
from accounts.serializers import MAX_TOKEN_LENGTH
from accounts.validation import MAX_PASSWORD_LENGTH
from core.errors import InvalidRequest, NotFound, ServiceError
from core.failures import failure_announce
from core.request_meta import request_meta
from tenants.models import Client
from tenants.selectors import client_get


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


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, f"accounts/links/{template}", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _refused(request: HttpRequest, client: Client, error: ServiceError, *, action: str) -> None:
    failure_announce(
        error=error, code=error.code, action=action, client=client, request_meta=request_meta(request, key_is_valid=False)
    )


def _invalid_link(request: HttpRequest, client: Client, error: EmailTokenRefused) -> HttpResponse:
    return _page(request, "invalid_link.html", {"client": client, "problems": error.fields["token"]}, status=400)


def _session_key(page: str, client: Client) -> str:
    return f"accounts.link_token.{page}.{client.client_id}"


def _token_free_redirect(request: HttpRequest, page: str, client: Client) -> HttpResponse | None:
    """A mailed link's first GET: keep its token server-side, send the browser to a clean URL."""
    if request.method != "GET" or "token" not in request.GET:
        return None
    request.session[_session_key(page, client)] = request.GET["token"][:MAX_TOKEN_LENGTH]
    response = HttpResponseRedirect(request.path)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _token_of(request: HttpRequest, page: str, client: Client) -> str:
    return request.session.get(_session_key(page, client), "")


def _forget_token(request: HttpRequest, page: str, client: Client) -> None:
    request.session.pop(_session_key(page, client), None)


@never_cache
@require_http_methods(["GET", "POST"])
def verify_email_page(request: HttpRequest, client_id) -> HttpResponse:
    client = _active_client(client_id)
    if redirect := _token_free_redirect(request, VERIFY_EMAIL_PAGE, client):
        return redirect
    token = _token_of(request, VERIFY_EMAIL_PAGE, client)
    if request.method == "GET":  # shows the page: no attempt yet, nothing to announce
        try:
            email_token_user(client=client, token=token, purpose=Purpose.VERIFY_EMAIL)
        except EmailTokenRefused as error:
            return _invalid_link(request, client, error)
        return _page(request, "verify_email.html", {"client": client})
    try:
        user = services.email_verify(client=client, token=token, request_meta=request_meta(request, key_is_valid=False))
    except EmailTokenRefused as error:
        _refused(request, client, error, action="email_verify")
        return _invalid_link(request, client, error)
    _forget_token(request, VERIFY_EMAIL_PAGE, client)
    return _page(request, "done.html", {"client": client, "title": "Email address verified", "email": user.email})


@never_cache
@require_http_methods(["GET", "POST"])
def reset_password_page(request: HttpRequest, client_id) -> HttpResponse:
    client = _active_client(client_id)
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
            user = services.password_reset_confirm(
                client=client,
                token=token,
                new_password=form.cleaned_data["new_password"],
                request_meta=request_meta(request, key_is_valid=False),
            )
        except EmailTokenRefused as error:
            _refused(request, client, error, action="password_reset")
            return _invalid_link(request, client, error)
        except InvalidRequest as error:
            _refused(request, client, error, action="password_reset")
            for message in (error.fields or {}).get("new_password", [error.detail]):
                form.add_error("new_password", message)
        else:
            _forget_token(request, RESET_PASSWORD_PAGE, client)
            return _page(request, "done.html", {"client": client, "title": "Password changed", "email": user.email, "signed_out": True})
    return _page(request, "reset_password.html", {"client": client, "form": form}, status=400)
