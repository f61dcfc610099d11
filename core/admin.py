"""Admin pieces shared by the apps."""

from django.contrib import admin


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
