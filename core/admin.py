"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.timezone import localtime


def admin_time(moment) -> str:
    """A time to the second in the site's time zone (TIME_ZONE, which the column or page names)."""
    return date_format(localtime(moment), "Y-m-d H:i:s")


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows staff may look at but never add, edit or delete by hand: services change them
    (refresh tokens, the deliveries, the audit trail), so that every change is the one the
    API, the admin's actions and the commands make alike."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

