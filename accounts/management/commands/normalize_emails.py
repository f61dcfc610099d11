"""manage.py normalize_emails [--dry-run] [<client_id> ...]"""

from accounts.flows.maintenance import user_emails_normalize
from core.commands import ActorCommand
from tenants.cli import resolve_client
from tenants.selectors import client_list


class Command(ActorCommand):
    help = (
        "Rewrite stored user emails in their canonical spelling (IDNA domain in Unicode form, "
        "lower-cased local part), so that lookups, uniqueness and rate limits see one address "
        "once. Rows that would collide with an existing account are left unchanged and listed. "
        "Prints one line per client that has changes or collisions, and totals."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_ids", nargs="*", metavar="client_id", help="Only these clients (default: every client).")
        parser.add_argument("--dry-run", action="store_true", help="Count and list, change nothing.")

    def handle(self, *args, client_ids: list[str], dry_run: bool, **options):
        clients = [resolve_client(value) for value in client_ids] if client_ids else list(client_list())
        verb = "would change" if dry_run else "changed"
        meta = self.request_meta(options)
        changed = collided = 0
        for done, client in enumerate(clients, start=1):
            outcome = user_emails_normalize(client=client, dry_run=dry_run, request_meta=meta)
            changed += outcome.changed
            collided += len(outcome.collisions)
            if outcome.changed or outcome.collisions:
                self.stdout.write(f"[{done}/{len(clients)}] {client.client_id}: {verb} {outcome.changed}, collisions {len(outcome.collisions)}")
            for kept, holder in outcome.collisions:
                self.stdout.write(f"    left as is: {kept!r} is the same address as the account {holder!r}")
        summary = f"{len(clients)} clients: {verb} {changed} emails; {collided} collisions left as they were."
        self.stdout.write(self.style.SUCCESS(summary) if not collided else self.style.WARNING(summary))
