"""manage.py list_clients [--industry X] [--active | --inactive]"""

from django.core.management.base import BaseCommand

from core.cli import format_table, format_time
from tenants.cli import INDUSTRY_CHOICES, require_industry
from tenants.models import Client
from tenants.selectors import client_list, live_access_key_counts

HEADERS = ("client_id", "name", "industry", "active", "created", "live_keys")


def _row(client: Client, live_keys: int) -> tuple[str, ...]:
    return (
        str(client.client_id),
        client.client_name,
        client.industry,
        "yes" if client.is_active else "no",
        format_time(client.created_at),
        str(live_keys),
    )


class Command(BaseCommand):
    help = "List clients as a table (client_id, name, industry, active, created, live keys). Never prints keys."

    def add_arguments(self, parser):
        parser.add_argument("--industry", help=f"Only clients of this industry: {INDUSTRY_CHOICES}.")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", dest="is_active", action="store_const", const=True, help="Only active clients.")
        state.add_argument("--inactive", dest="is_active", action="store_const", const=False, help="Only deactivated clients.")

    def handle(self, *args, **options):
        industry = require_industry(options["industry"]) if options["industry"] else None
        clients = list(client_list(industry=industry, is_active=options["is_active"]))
        if not clients:
            self.stdout.write("No clients match.")
            return
        live = live_access_key_counts()
        for line in format_table(HEADERS, [_row(client, live.get(client.client_id, 0)) for client in clients]):
            self.stdout.write(line)
        self.stdout.write(f"{len(clients)} client(s).")
