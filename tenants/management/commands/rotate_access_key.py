"""manage.py rotate_access_key <client_id> [--revoke-existing]"""

from core.cli import manage_py_command, service_errors
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.selectors import access_key_list
from tenants.services import access_key_rotate


class Command(ActorCommand):
    help = (
        "Issue a new access key for a client (shown once). Existing keys keep working, so the client "
        "can roll over without downtime, unless --revoke-existing is given; the command prints how to "
        "revoke them later."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument(
            "--revoke-existing",
            action="store_true",
            help="Revoke every existing key at once (e.g. after a leak); calls with them fail from now on.",
        )

    def handle(self, *args, **options):
        client = resolve_client(options["client_id"])
        revoke = options["revoke_existing"]
        old_key_ids = list(access_key_list(client=client).filter(revoked_at__isnull=True).values_list("key_id", flat=True))
        with service_errors():
            new_key = access_key_rotate(client=client, revoke_existing=revoke, request_meta=self.request_meta(options))
        self.stdout.write(self.style.SUCCESS(f"New access key for {client.client_name!r} ({client.client_id}):"))
        self.stdout.write(f"access_key: {new_key}")
        self.stdout.write(
            self.style.WARNING("The access key is shown only this once and will not be shown again: store it now.")
        )
        if revoke:
            self.stdout.write("Every previous key of this client is revoked.")
        elif old_key_ids:
            # Not --revoke-existing again: that would issue yet another key and revoke the one just adopted.
            self.stdout.write("Previous keys still work. Once the client uses the new key, revoke them:")
            for key_id in old_key_ids:
                self.stdout.write(f"  {manage_py_command('revoke_access_key', str(client.client_id), key_id)}")
