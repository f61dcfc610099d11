"""manage.py provision_tenants [--all | <client_id> ...]"""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from tenants.cli import resolve_client
from tenants.models import Client
from tenants.provisioning import ProvisionOutcome
from tenants.selectors import client_list
from tenants.services import client_provision

FAILED = "failed"
MAX_FAILED_IDS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Create missing users collections, bring existing ones to the latest users-table version (resumable: "
        "each client's version is recorded after every step) and restore lost unique email indexes "
        "(idempotent). Reports created/upgraded/repaired/unchanged per client; with many clients, unchanged "
        "ones are only counted (-v 2 lists them, and batched steps' progress) and a progress line is printed "
        "every --progress-every clients. Exits non-zero if any client failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_ids", nargs="*", metavar="client_id")
        parser.add_argument("--all", action="store_true", help="Every client, active or not.")
        parser.add_argument("--progress-every", type=int, default=100, metavar="N", help="Progress line every N clients (default 100).")

    def handle(self, *args, **options):
        clients = self._clients(options["client_ids"], options["all"])
        every = max(options["progress_every"], 1)
        many = len(clients) > every
        tally: Counter[str] = Counter()
        failed_ids: list[str] = []
        for done, client in enumerate(clients, start=1):
            outcome = self._provision_one(client, options["verbosity"])
            tally[outcome] += 1
            if outcome == FAILED:
                failed_ids.append(str(client.client_id))
            elif outcome != ProvisionOutcome.UNCHANGED.value or not many or options["verbosity"] >= 2:
                self.stdout.write(f"{outcome:<9} {client.client_id}  {client.client_name}")
            if many and done % every == 0 and done < len(clients):
                self.stdout.write(f"[{done}/{len(clients)}] {_summary(tally)}")
                self.stdout.flush()
        self.stdout.write(f"Provisioned {len(clients)} client(s): {_summary(tally)}.")
        if failed_ids:
            shown = ", ".join(failed_ids[:MAX_FAILED_IDS_SHOWN])
            more = f" and {len(failed_ids) - MAX_FAILED_IDS_SHOWN} more" if len(failed_ids) > MAX_FAILED_IDS_SHOWN else ""
            raise CommandError(f"{len(failed_ids)} of {len(clients)} client(s) failed to provision: {shown}{more}.")

    def _clients(self, raw_ids: list[str], everyone: bool) -> list[Client]:
        if everyone == bool(raw_ids):
            raise CommandError("Give either --all or one or more client_ids (not both, not neither).")
        if everyone:
            return list(client_list().only("client_id", "client_name", "users_database"))
        # Check every id before touching any collection, so a typo does not leave a half-done run.
        return [resolve_client(raw) for raw in dict.fromkeys(raw_ids)]

    def _provision_one(self, client: Client, verbosity: int) -> str:
        def report(step: int, progress: dict) -> None:
            self.stdout.write(f"          {client.client_id}  step {step}: {progress['rows']} row(s) done")
            self.stdout.flush()

        try:
            return client_provision(client=client, report=report if verbosity >= 2 else None).value
        except Exception as error:  # noqa: BLE001 - one broken tenant must not stop the repair of the others
            self.stderr.write(f"{FAILED:<9} {client.client_id}  {client.client_name}: {type(error).__name__}: {error}")
            return FAILED


def _summary(tally: Counter[str]) -> str:
    outcomes = [outcome.value for outcome in ProvisionOutcome] + [FAILED]
    return ", ".join(f"{tally[outcome]} {outcome}" for outcome in outcomes)
