"""manage.py events_doc [--check]: write docs/events.md from the event catalog, or check it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.event_docs import events_markdown

EVENTS_DOC = settings.BASE_DIR / "docs" / "events.md"


class Command(BaseCommand):
    help = "Write docs/events.md from the event catalog (core.events); with --check, only say whether it is current."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Fail if docs/events.md differs from the catalog.")

    def handle(self, *args, **options):
        current = events_markdown()
        if options["check"]:
            if not EVENTS_DOC.exists() or EVENTS_DOC.read_text() != current:
                raise CommandError("docs/events.md differs from the event catalog: run `python manage.py events_doc`.")
            self.stdout.write("docs/events.md matches the event catalog.")
            return
        EVENTS_DOC.write_text(current)
        self.stdout.write(f"wrote {EVENTS_DOC}")
