"""manage.py mail_outbox [--sweep] [--retry-failed] [--discard-failed]: the outbox at a glance."""

from django.db import transaction

from accounts.models import MailStatus
from accounts.outbox import outbound_mail_discard, outbound_mail_retry, outbox_sweep
from accounts.selectors import outbox_counts, outbox_mails
from core.commands import ActorCommand


class Command(ActorCommand):
    help = (
        "Count the outbox's mails by status and kind (failed ones are the dead letters); "
        "--sweep enqueues every mail that is due now; --retry-failed sends the failed ones again; "
        "--discard-failed drops them for good. Addresses and tokens are never printed."
    )

    def add_arguments(self, parser):
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument("--sweep", action="store_true", help="Enqueue every mail that is due.")
        actions.add_argument("--retry-failed", action="store_true", help="Queue every failed mail again.")
        actions.add_argument("--discard-failed", action="store_true", help="Never send the failed mails.")

    def handle(self, *args, sweep: bool, retry_failed: bool, discard_failed: bool, **options):
        if sweep:
            swept = outbox_sweep()
            self.stdout.write(
                f"Enqueued {swept.enqueued} due mail(s); {swept.failed} too old marked failed; {swept.dropped} stand-in(s) deleted."
            )
        elif retry_failed or discard_failed:
            action = outbound_mail_retry if retry_failed else outbound_mail_discard
            self._each_failed(action, "retried" if retry_failed else "discarded", self.request_meta(options))
        for status, kinds in outbox_counts().items():
            detail = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())) or "none"
            self.stdout.write(f"{status:10} {sum(kinds.values()):6}  ({detail})")

    def _each_failed(self, action, verb: str, request_meta) -> None:
        done = 0
        for mail in outbox_mails(status=MailStatus.FAILED).select_related("client").iterator():
            with transaction.atomic():
                done += action(mail=mail, request_meta=request_meta)
            if done and done % 100 == 0:
                self.stdout.write(f"  {verb} {done} so far")
        self.stdout.write(f"{verb.capitalize()} {done} failed mail(s).")
