"""manage.py revoke_access_key <client_id> <key_id>"""

from core.cli import service_errors
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.services import access_key_revoke


class Command(ActorCommand):
    help = (
        "Revoke one access key of a client (e.g. one that leaked), by its key_id: the part between "
        "'ak_' and the dot. The client's other keys keep working; calls with this one answer 401."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument("key_id", help="The key's public id, e.g. 3950f4e15bb5d06d (list_access_keys, the admin, or the key itself).")

    def handle(self, *args, client_id: str, key_id: str, **options):
        client = resolve_client(client_id)
        with service_errors():
            key = access_key_revoke(client=client, key_id=key_id.strip(), request_meta=self.request_meta(options))
        self.stdout.write(self.style.SUCCESS(f"Access key {key.key_id} of {client.client_name!r} is revoked."))
