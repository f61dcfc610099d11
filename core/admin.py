"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.http import HttpRequest

from core.request_meta import RequestMeta, request_meta


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows staff may look at but never add, edit or delete by hand: services change them
    (refresh tokens, the mail outbox, the audit trail), so that every change is the one the
    API, the admin's actions and the commands make alike."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def staff_request_meta(request: HttpRequest) -> RequestMeta:
    """Who is behind a staff action in the admin: the staff member's own address and browser.

    No access key vouches for the request, so X-End-User-* headers are never read: a staff
    member cannot put someone else's address in the audit trail.
    """
    return request_meta(request, key_is_valid=False)
