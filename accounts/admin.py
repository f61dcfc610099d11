"""Staff admin for accounts: the `tokens` table, and a page per client listing its users.

Writes go through the flows (`accounts.flows`), like the API: revoking a family, deactivating a user
(which revokes the user's tokens), reactivating one, marking one's email verified, unlocking one (the
failed logins its lockout counted), resetting one's second factors (passkeys included), removing one passkey and
deleting one. Nothing here ever shows a refresh token or its hash, a TOTP secret, a recovery code or a passkey's key.

Users live in per-client collections whose model classes are not registered anywhere, so
their page is a custom admin view, `client_users_view`, which the admin site (authsvc.admin)
mounts next to the ModelAdmins.
"""

import json
import uuid
from datetime import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from redis.exceptions import RedisError

from accounts import selectors
from accounts.flows.mfa import mfa_reset
from accounts.flows.passkeys import passkey_remove
from accounts.flows.tokens import token_families_revoke_by_staff
from accounts.flows.unlock import user_unlock
from accounts.flows.users import user_delete, user_update
from accounts.lockout import LockoutState, lockout_states
from accounts.mfa_factors import mfa_summary, totp_state
from accounts.models import RefreshToken
from accounts.passkeys import passkey_shown, passkeys_of
from accounts.validation import normalize_email
from core.admin import ReadOnlyModelAdmin, admin_time
from core.errors import NotFound
from core.request_meta import staff_request_meta
from tenants.models import Client
from tenants.selectors import client_get

USERS_PER_PAGE = 50
USER_ACTIONS = {
    "deactivate": "Deactivate",
    "reactivate": "Reactivate",
    "mark_verified": "Mark verified",
    "unlock": "Unlock",
    "reset_mfa": "Reset MFA",
    "delete": "Delete",
}


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (AttributeError, ValueError):
        return None


# --- tokens ----------------------------------------------------------------------------


class RevokedFilter(admin.SimpleListFilter):
    title = "revoked"
    parameter_name = "revoked"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


TOKEN_FIELDS = (
    "token_id",
    "client",
    "user_id",
    "family_id",
    "created_at",
    "expires_at",
    "revoked_at",
    "replaced_by",
    "spent_at",
)


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyModelAdmin):
    """Read-only: rows change only through services (refresh, logout, revocation).

    The list keeps to what fits a 1366 px screen beside its filters: when, whose, which login, its
    state and expiry; the row's page has every field (token_id, revoked_at, replaced_by, spent_at).
    """

    list_display = ("created", "client_name", "user_id", "family_id", "state", "expires")
    fields = TOKEN_FIELDS  # token_hash is deliberately absent, here and in the queryset
    list_filter = ("client", RevokedFilter)
    list_select_related = ("client",)
    # Matched whole in get_search_results: django-mongodb-backend refuses pattern lookups
    # (icontains) on UUIDField, and a fragment of a random id finds nothing useful anyway.
    search_fields = ("token_id", "user_id", "family_id", "client__client_id")
    search_help_text = "A whole user_id, family_id, token_id or client_id."
    actions = ("revoke_family",)

    class Media:
        css = {"all": ("accounts/admin/tokens.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).defer("token_hash")

    @admin.display(description=f"created ({settings.TIME_ZONE})", ordering="created_at")
    def created(self, row: RefreshToken) -> str:
        return admin_time(row.created_at)

    @admin.display(description=f"expires ({settings.TIME_ZONE})", ordering="expires_at")
    def expires(self, row: RefreshToken) -> str:
        return admin_time(row.expires_at)

    @admin.display(description="client", ordering="client__client_name")
    def client_name(self, row: RefreshToken) -> str:
        return row.client.client_name

    @admin.display(description="state")
    def state(self, row: RefreshToken) -> str:
        """revoked (when), spent (refreshed into its successor), expired, or live."""
        if row.is_revoked:
            return f"revoked {admin_time(row.revoked_at)}"
        if row.is_spent:
            return "spent"
        return "expired" if row.expires_at <= timezone.now() else "live"

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        wanted = _as_uuid(search_term)
        if wanted is None:
            return queryset.none(), False
        return queryset.filter(Q(user_id=wanted) | Q(family_id=wanted) | Q(pk=wanted) | Q(client_id=wanted)), False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_refreshtoken")

    @admin.action(description="Revoke family (every token of each selected token's family)", permissions=["revoke"])
    def revoke_family(self, request, queryset) -> None:
        families = set(queryset.values_list("family_id", flat=True))
        revoked = token_families_revoke_by_staff(
            family_ids=families, request_meta=staff_request_meta(request)
        )
        self.message_user(
            request, f"Revoked {revoked} token(s) in {len(families)} famil{'y' if len(families) == 1 else 'ies'}.", messages.SUCCESS
        )


# --- a client's users --------------------------------------------------------------------


def _client_or_404(client_id: uuid.UUID) -> Client:
    try:
        return client_get(client_id=client_id)
    except NotFound:
        raise Http404("No such client.") from None


def _requested_action(request) -> tuple[str, list[str]]:
    """(action, user ids) from a per-row button (`row_action=<action>:<id>`) or the bulk form."""
    row_action = request.POST.get("row_action", "")
    if row_action:
        action, _, user_id = row_action.partition(":")
        return action, [user_id]
    return request.POST.get("action", ""), request.POST.getlist("user_id")


def _selected_users(client: Client, user_ids: list[str]) -> list:
    users = (selectors.user_get(client=client, user_id=user_id) for user_id in dict.fromkeys(user_ids))
    return [user for user in users if user is not None]


def _list_url_to_return_to(request, client: Client) -> str:
    """The page and search the staff member acted from, if `next` is one of ours."""
    list_url = reverse("admin:accounts_client_users", args=[client.client_id])
    wanted = request.POST.get("next", "")
    safe = wanted.startswith(list_url) and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    return wanted if safe else list_url


def _back_to_list(request, client: Client) -> HttpResponseRedirect:
    return HttpResponseRedirect(_list_url_to_return_to(request, client))


def _page_context(request, client: Client, title: str) -> dict:
    return {
        **admin.site.each_context(request),
        "title": title,
        "client": client,
        "client_change_url": reverse("admin:tenants_client_change", args=[client.client_id]),
        "users_url": reverse("admin:accounts_client_users", args=[client.client_id]),
        "opts": Client._meta,
    }


def _deactivate(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        user_update(client=client, user=user, is_active=False, request_meta=meta)
    messages.success(request, f"Deactivated {len(users)} user(s); their refresh tokens are revoked.")


def _reactivate(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        user_update(client=client, user=user, is_active=True, request_meta=meta)
    # The generation user_update raised keeps every token from before the deactivation dead.
    messages.success(request, f"Reactivated {len(users)} user(s); they log in again to get tokens.")


def _mark_verified(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        user_update(client=client, user=user, email_verified=True, request_meta=meta)
    messages.success(request, f"Marked {len(users)} user(s)' email verified.")


def _reset_mfa(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        mfa_reset(client=client, user=user, request_meta=meta)
    messages.success(request, f"Reset the second factors of {len(users)} user(s): they log in with their password alone.")


def _unlock(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        user_unlock(client=client, user=user, request_meta=meta)
    messages.success(request, f"Unlocked {len(users)} user(s): their failed logins are forgotten.")


def _delete(request, client: Client, users: list) -> None:
    meta = staff_request_meta(request)
    for user in users:
        user_delete(client=client, user=user, request_meta=meta)
    messages.success(request, f"Deleted {len(users)} user(s) and revoked their refresh tokens.")


def _confirm_delete(request, client: Client, users: list) -> TemplateResponse:
    context = {
        **_page_context(request, client, "Delete users?"),
        "users": users,
        "next": _list_url_to_return_to(request, client),
    }
    return TemplateResponse(request, "admin/accounts/client_users_delete_confirmation.html", context)


USER_ACTION_SERVICES = {
    "deactivate": _deactivate,
    "reactivate": _reactivate,
    "mark_verified": _mark_verified,
    "unlock": _unlock,
    "reset_mfa": _reset_mfa,
    "delete": _delete,
}


def _remove_passkey(request, client: Client):
    """A passkey's Remove button (`passkey_remove=<user_id>:<passkey_id>`): that passkey alone goes."""
    user_id, _, passkey_id = request.POST["passkey_remove"].partition(":")
    users = _selected_users(client, [user_id])
    wanted = _as_uuid(passkey_id)
    if not users or wanted is None:
        messages.warning(request, "No such user or passkey (removed meanwhile?).")
        return _back_to_list(request, client)
    try:
        passkey_remove(client=client, user=users[0], passkey_id=str(wanted), request_meta=staff_request_meta(request))
    except NotFound:
        messages.warning(request, f"{users[0].email} has no such passkey (removed meanwhile?).")
    else:
        messages.success(request, f"Removed a passkey of {users[0].email}: it no longer logs them in.")
    return _back_to_list(request, client)


def _act_on_users(request, client: Client):
    if not request.user.has_perm("tenants.change_client"):
        raise PermissionDenied
    if "passkey_remove" in request.POST:
        return _remove_passkey(request, client)
    action, user_ids = _requested_action(request)
    if action not in USER_ACTION_SERVICES:
        messages.error(request, "Choose an action.")
        return _back_to_list(request, client)
    users = _selected_users(client, user_ids)
    if not users:
        messages.warning(request, "No users were selected (or they no longer exist).")
        return _back_to_list(request, client)
    if action == "delete" and request.POST.get("confirm") != "yes":
        return _confirm_delete(request, client, users)
    USER_ACTION_SERVICES[action](request, client, users)
    return _back_to_list(request, client)


def _custom_fields_text(custom_fields) -> str:
    """A user's custom fields as compact JSON, keys sorted; empty when there are none."""
    if not custom_fields:
        return ""
    return json.dumps(custom_fields, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _factors_text(mfa) -> str:
    """What staff see of a user's factors: which are on and how many recovery codes are left, never a secret."""
    summary = mfa_summary(mfa or {})
    on = ["TOTP"] if summary["totp"] else (["TOTP pending"] if totp_state(mfa or {}) else [])
    if summary["passkeys"]:
        on.append(f"{summary['passkeys']} passkey{'s' if summary['passkeys'] > 1 else ''}")
    if summary["recovery_codes_left"]:
        on.append(f"{summary['recovery_codes_left']} recovery codes")
    return ", ".join(on)


def _passkeys_shown(mfa) -> list[dict]:
    """Each passkey's name and dates (site time), for staff to tell them apart: never its key or credential id."""
    shown = [passkey_shown(passkey) for passkey in passkeys_of(mfa or {})]
    for passkey in shown:
        for moment in ("created_at", "last_used_at"):
            passkey[moment] = admin_time(datetime.fromisoformat(passkey[moment])) if passkey[moment] else None
    return shown


def _failed_logins_text(state: LockoutState | None) -> str:
    """The failed logins in a row counted for a user's email, and until when its logins are refused."""
    if state is None:
        return ""
    if state.refused_until is None:
        return str(state.failures)
    return f"{state.failures}, refused until {admin_time(state.refused_until)} ({settings.TIME_ZONE})"


def _lockout_states_or_warn(request, client: Client, users) -> dict[str, LockoutState]:
    """The failed logins counted for the page's users; with Redis down, none, and a warning saying so
    (the users themselves still list: they live in the store)."""
    try:
        return lockout_states(client=client, emails=[user.email for user in users])
    except RedisError:
        messages.warning(request, "Failed logins cannot be shown: the shared cache (Redis) does not answer.")
        return {}


def _list_users(request, client: Client) -> TemplateResponse:
    search = normalize_email(request.GET.get("q", ""))[:254]
    paginator = Paginator(selectors.user_search(client=client, email_prefix=search), USERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    states = _lockout_states_or_warn(request, client, page.object_list)
    context = {
        **_page_context(request, client, f"Users of {client.client_name}"),
        "page": page,
        "rows": [
            (
                user, _custom_fields_text(user.custom_fields), _failed_logins_text(states.get(user.email)), _factors_text(user.mfa),
                _passkeys_shown(user.mfa),
            )
            for user in page.object_list
        ],
        "search": search,
        "actions": USER_ACTIONS,
        "can_act": request.user.has_perm("tenants.change_client"),
    }
    return TemplateResponse(request, "admin/accounts/client_users.html", context)


@require_http_methods(["GET", "POST"])
def client_users_view(request, client_id: uuid.UUID):
    """GET lists the client's users (with the failed logins counted against each, and their second factors);
    POST deactivates, reactivates, marks verified, unlocks, resets the second factors of or (after
    confirmation) deletes some of them, or removes one passkey of one."""
    if not request.user.has_perm("tenants.view_client"):
        raise PermissionDenied
    client = _client_or_404(client_id)
    if request.method == "POST":
        return _act_on_users(request, client)
    return _list_users(request, client)
