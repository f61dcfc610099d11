"""manage.py delivery_outbox [--kind KIND] [--sweep|--retry-failed|--discard-failed]: the outbox at a glance."""

from django.db import transaction

from core.commands import ActorCommand
from delivery.models import Status
from delivery.selectors import deliveries_list, delivery_counts
from delivery.services import deliveries_sweep, delivery_discard, delivery_retry


class Command(ActorCommand):
    help = (
        "Count the deliveries by status, kind and topic (failed ones are the dead letters); --sweep "
        "enqueues every delivery that is due now; --retry-failed sends the failed ones again; "
        "--discard-failed drops them for good. Addresses, payloads and tokens are never printed."
    )
    noun = "delivery(ies)"  # as the operator calls what it sends
    kind: str | None = None  # an alias for one kind sets it, and has no --kind

    def add_arguments(self, parser):
        if self.kind is None:
            parser.add_argument("--kind", help="Only the deliveries of this kind (e.g. mail).")
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument("--sweep", action="store_true", help=f"Enqueue every {self.noun} that is due.")
        actions.add_argument("--retry-failed", action="store_true", help=f"Queue every failed {self.noun} again.")
        actions.add_argument("--discard-failed", action="store_true", help=f"Never send the failed {self.noun}.")

    def handle(self, *args, sweep: bool, retry_failed: bool, discard_failed: bool, **options):
        kind = self.kind or options.get("kind")
        if sweep:
            swept = deliveries_sweep(kind=kind)
            self.stdout.write(
                f"Enqueued {swept.enqueued} due {self.noun}; {swept.failed} too old marked failed; {swept.dropped} stand-in(s) deleted."
            )
        elif retry_failed or discard_failed:
            action, verb = (delivery_retry, "retried") if retry_failed else (delivery_discard, "discarded")
            self._each_failed(kind, action, verb, self.request_meta(options))
        for status, topics in delivery_counts(kind=kind).items():
            detail = ", ".join(f"{self._label(*key)} {count}" for key, count in sorted(topics.items())) or "none"
            self.stdout.write(f"{status:10} {sum(topics.values()):6}  ({detail})")

    def _label(self, kind: str, topic: str) -> str:
        return topic if self.kind else f"{kind}:{topic}"

    def _each_failed(self, kind: str | None, action, verb: str, request_meta) -> None:
        done = 0
        for delivery in deliveries_list(kind=kind, status=Status.FAILED).select_related("client").iterator():
            with transaction.atomic():
                done += action(delivery=delivery, request_meta=request_meta)
            if done and done % 100 == 0:
                self.stdout.write(f"  {verb} {done} so far")
        self.stdout.write(f"{verb.capitalize()} {done} failed {self.noun}.")
