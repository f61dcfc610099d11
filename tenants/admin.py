"""Staff admin for clients. Keys, activation, deletion and the change form's edits of the settings
go through `tenants.services`, like the API and the commands, so each is audited with the staff
member who made it. Clients are deactivated and reactivated by actions of the list; one key is
revoked from the client's page, after a confirmation page.

Access keys are shown in plaintext exactly once, on the admin page that follows the action
that issued them; only their hash is stored, so they cannot be shown again. Until that page
is shown the key waits in the (server-side) session, never in a message, which may be a cookie.
"""

from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core.errors import InvalidRequest, NotFound
from core.request_meta import staff_request_meta
from crypto.errors import SealingError
from tenants.forms import SEALED_FORM_FIELDS, ClientForm, MailTestForm
from tenants.models import AccessKey, Client
from tenants.selectors import access_key_get, access_key_list, documentation_url, parse_client_id
from tenants.services import (
    SmtpTestResult,
    access_key_revoke,
    access_key_rotate,
    client_attach_first_key,
    client_deactivate,
    client_delete,
    client_reactivate,
    client_settings_update,
    client_test_mail_send,
)
from tenants.smtp import SECURITY_NAMES, client_smtp_server

# The fields come from Client's declared settings, so a new setting shows up here without an edit.
ADD_FIELDS = Client.fields_in_order(*Client.SETTINGS)
CHANGE_FIELDS = (
    *Client.fields_in_order("client_id", "is_active", *Client.SETTINGS),
    "mail_server",
    *SEALED_FORM_FIELDS,
    "documentation",
    "created_at",
    "updated_at",
)
# Only the settings are edited here. is_active is changed only by the Deactivate and Reactivate
# actions, so that the services (and the events they publish) run.
CHANGE_READONLY_FIELDS = tuple(name for name in CHANGE_FIELDS if name not in (*Client.SETTINGS, *SEALED_FORM_FIELDS))


# Session entry holding keys issued by the last action until the next page shows them.
ISSUED_KEYS = "tenants.admin.issued_access_keys"


def _announce_key(request, client: Client, plaintext: str, *, what: str) -> None:
    issued = request.session.get(ISSUED_KEYS, [])
    issued.append({"what": what, "client_name": client.client_name, "client_id": str(client.client_id), "key": plaintext})
    request.session[ISSUED_KEYS] = issued


def _take_issued_keys(request) -> list[dict]:
    """The keys waiting to be shown, removed from the session as they are handed to the page.

    Only a GET takes them: a POST answered with a redirect would otherwise swallow them.
    """
    if request.method != "GET":
        return []
    return request.session.pop(ISSUED_KEYS, [])


KEY_FIELDS = ("key_id", "created_at", "last_used_at", "revoked_at")
REVOKE_ACCESS_KEY_URL = "tenants_client_revoke_access_key"
TEST_MAIL_URL = "tenants_client_test_mail"


class AccessKeyInline(admin.TabularInline):
    """Key metadata only: the secret's hash stays out of the page, and keys change only through services.

    Staff who may change clients get a Revoke link per live key, to ClientAdmin's confirmation page.
    """

    model = AccessKey
    fields = readonly_fields = (*KEY_FIELDS, "revoke")
    extra = 0
    can_delete = False

    def get_fields(self, request, obj=None):
        return (*KEY_FIELDS, "revoke") if request.user.has_perm("tenants.change_client") else KEY_FIELDS

    @admin.display(description="Revoke")
    def revoke(self, key: AccessKey) -> str:
        if key.pk is None or key.is_revoked:
            return ""
        url = reverse(f"{self.admin_site.name}:{REVOKE_ACCESS_KEY_URL}", args=[key.client_id, key.key_id])
        return format_html('<a class="button revoke-access-key" href="{}">Revoke…</a>', url)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ("client_name", "client_id", "industry", "is_active", "require_email_verification", "created_at")
    list_filter = ("industry", "is_active")
    # client_id is matched whole in get_search_results: django-mongodb-backend refuses
    # pattern lookups (icontains) on UUIDField.
    search_fields = ("client_name",)
    search_help_text = "A part of the client's name, or a whole client_id."
    actions = ("rotate_access_key", "deactivate", "reactivate")
    inlines = (AccessKeyInline,)

    class Media:
        css = {"all": ("tenants/admin/access_key.css", "tenants/admin/client_form.css")}
        js = ("tenants/admin/copy_key.js",)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "issued_keys": _take_issued_keys(request)})

    @method_decorator(sensitive_post_parameters("smtp_url"))  # never in an error report
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        context = {**(extra_context or {}), "issued_keys": _take_issued_keys(request)}
        return super().changeform_view(request, object_id, form_url, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        client_id = parse_client_id(object_id)
        links = self.client_links(client_id) if client_id is not None else []
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "client_links": links})

    def get_urls(self):
        revoke = path(
            "<path:object_id>/access-keys/<str:key_id>/revoke/",
            self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.revoke_access_key_view)),
            name=REVOKE_ACCESS_KEY_URL,
        )
        test_mail = path(
            "<path:object_id>/test-mail/",
            self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.test_mail_view)),
            name=TEST_MAIL_URL,
        )
        return [revoke, test_mail, *super().get_urls()]  # before the catch-all <object_id>/ of the ModelAdmin

    def client_links(self, client_id) -> list[tuple[str, str]]:
        """(label, url) of the client's pages beyond this one: tenants' own test mail; authsvc.admin adds the others'."""
        return [("Send a test mail", reverse(f"{self.admin_site.name}:{TEST_MAIL_URL}", args=[client_id]))]

    def get_search_results(self, request, queryset, search_term):
        client_id = parse_client_id(search_term.strip())
        if client_id is not None:
            return queryset.filter(pk=client_id), False
        return super().get_search_results(request, queryset, search_term)

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else CHANGE_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else CHANGE_READONLY_FIELDS

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    @admin.display(description="Mail leaves through")
    def mail_server(self, client: Client) -> str:
        """Which server the client's mail leaves by; of its own server, never more than where it is."""
        if not client.smtp_url_sealed:
            return "This service's mail server (EMAIL_URL)."
        try:
            server = client_smtp_server(client)
        except (SealingError, InvalidRequest):
            return "Its own SMTP server, but the stored URL cannot be read with AUTHSVC_SEALING_KEYS: set it again."
        return f"Its own SMTP server: {server.address}, {SECURITY_NAMES[server.security]}."

    @admin.display(description="Documentation")
    def documentation(self, client: Client) -> str:
        url = documentation_url(client)
        return format_html('<a href="{}">{}</a>', url, url)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # The form has already set the new values on `obj`: the service compares them with the row.
            current = Client.objects.get(pk=obj.pk)
            client_settings_update(client=current, changes=form.changes(), surface="admin", request_meta=staff_request_meta(request))
            return
        super().save_model(request, obj, form, change)
        plaintext = client_attach_first_key(client=obj, surface="admin", request_meta=staff_request_meta(request))
        _announce_key(request, obj, plaintext, what="Access key")

    @admin.action(description="Rotate access key (older keys stay valid until revoked)", permissions=["change"])
    def rotate_access_key(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        for client in queryset:
            plaintext = access_key_rotate(client=client, request_meta=meta)
            _announce_key(request, client, plaintext, what="New access key")

    @admin.action(description="Deactivate (the client's API calls are refused)", permissions=["change"])
    def deactivate(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        names = [client_deactivate(client=client, request_meta=meta).client_name for client in queryset]
        self.message_user(request, f"Deactivated {len(names)} client(s): {', '.join(names)}.", messages.SUCCESS)

    @admin.action(description="Reactivate (the client's unrevoked keys are accepted again)", permissions=["change"])
    def reactivate(self, request, queryset) -> None:
        meta = staff_request_meta(request)
        names = [client_reactivate(client=client, request_meta=meta).client_name for client in queryset]
        self.message_user(request, f"Reactivated {len(names)} client(s): {', '.join(names)}.", messages.SUCCESS)

    def revoke_access_key_view(self, request, object_id, key_id):
        """GET asks for confirmation; POST revokes that one key through the service, then back to the client."""
        client = self.get_object(request, unquote(object_id))
        if client is None:
            raise Http404("No such client.")
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        try:
            key = access_key_get(client=client, key_id=key_id)
        except NotFound:
            raise Http404("No such access key.") from None
        change_url = reverse(f"{self.admin_site.name}:tenants_client_change", args=[client.pk])
        if key.is_revoked:
            self.message_user(request, f"Access key {key.key_id} was already revoked.", messages.INFO)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            access_key_revoke(client=client, key_id=key.key_id, request_meta=staff_request_meta(request))
            self.message_user(
                request, f"Revoked access key {key.key_id} of {client.client_name}: calls with it answer 401.", messages.SUCCESS
            )
            return HttpResponseRedirect(change_url)
        return TemplateResponse(request, "admin/tenants/client/revoke_access_key.html", self._revoke_context(request, client, key, change_url))

    def test_mail_view(self, request, object_id):
        """GET asks for an address; POST sends the test mail now, the way the client's mails leave, then back to the client."""
        client = self.get_object(request, unquote(object_id))
        if client is None:
            raise Http404("No such client.")
        if not self.has_change_permission(request, client):
            raise PermissionDenied
        change_url = reverse(f"{self.admin_site.name}:tenants_client_change", args=[client.pk])
        form = MailTestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = client_test_mail_send(client=client, to=form.cleaned_data["to"], request_meta=staff_request_meta(request))
            self._announce_test_mail(request, result, form.cleaned_data["to"])
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Send a test mail",
            "opts": self.opts,
            "client": client,
            "form": form,
            "mail_server": self.mail_server(client),
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/tenants/client/test_mail.html", context)

    def _announce_test_mail(self, request, result: SmtpTestResult, to: str) -> None:
        via = "its own SMTP server" if result.mail_server == "client" else "this service's mail server"
        if result.sent:
            self.message_user(request, f"Test mail sent to {to} through {via}.", messages.SUCCESS)
        else:
            self.message_user(request, f"The test mail to {to} was not sent through {via}: {result.detail}", messages.ERROR)

    def _revoke_context(self, request, client: Client, key: AccessKey, change_url: str) -> dict:
        other_live = access_key_list(client=client).filter(revoked_at__isnull=True).exclude(pk=key.pk).count()
        return {
            **self.admin_site.each_context(request),
            "title": "Revoke this access key?",
            "opts": self.opts,
            "client": client,
            "key": key,
            "other_live_keys": other_live,
            "change_url": change_url,
            "cache_seconds": settings.AUTHSVC_ACCESS_KEY_CACHE_SECONDS,
        }

    def get_deleted_objects(self, objs, request):
        """What the delete page lists, without asking for permissions on the rows that go with the client.

        The delete permission on clients is checked as usual, and client_delete removes the rest. Those
        rows (refresh tokens, queued mails) have read-only admins, whose refused delete permission would
        otherwise forbid deleting any client that was ever used."""
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request, obj) -> None:
        self._delete_clients(request, [obj])

    def delete_queryset(self, request, queryset) -> None:
        self._delete_clients(request, list(queryset))

    def _delete_clients(self, request, clients: list[Client]) -> None:
        """Delete through the service, which drops the users' collection too.

        The admin's delete view runs in a transaction, and SQLite cannot change its schema
        inside one: the service runs once it commits (at once when there is none).
        """
        meta = staff_request_meta(request)
        using = router.db_for_write(Client)
        for client in clients:
            transaction.on_commit(
                partial(client_delete, client=client, confirm=True, request_meta=meta), using=using, robust=False
            )
