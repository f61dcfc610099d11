"""manage.py list_access_keys <client_id>"""

from django.core.management.base import BaseCommand

from core.cli import format_table, format_time
from tenants.cli import resolve_client
from tenants.models import AccessKey
from tenants.selectors import access_key_list

HEADERS = ("key_id", "created", "last_used", "revoked")


def _row(key: AccessKey) -> tuple[str, ...]:
    return (key.key_id, format_time(key.created_at), format_time(key.last_used_at, unset="never"), format_time(key.revoked_at))


class Command(BaseCommand):
    help = (
        "List a client's access keys, oldest first: key_id (what revoke_access_key takes), created, "
        "last used (to the minute) and revoked. Never prints a key's secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, **options):
        client = resolve_client(options["client_id"])
        keys = list(access_key_list(client=client))
        self.stdout.write(f"Access keys of {client.client_name!r} ({client.client_id}):")
        for line in format_table(HEADERS, [_row(key) for key in keys]):
            self.stdout.write(line)
        live = sum(not key.is_revoked for key in keys)
        self.stdout.write(f"{len(keys)} key(s), {live} live.")
        if not client.is_active:
            self.stdout.write(self.style.WARNING("The client is deactivated: no key is accepted until reactivate_client."))
