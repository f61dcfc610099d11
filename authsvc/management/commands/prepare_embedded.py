"""manage.py prepare_embedded --port PORT: what `make run` does before runserver."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from authsvc.embedded_redis import ensure_embedded_redis, socket_path
from authsvc.public_url import record_public_url


class Command(BaseCommand):
    help = (
        "Prepare the embedded default for a server on PORT: record its public URL in AUTHSVC_VAR_DIR "
        "(so other commands print the same links), start the embedded Redis unless REDIS_URL is set, "
        "and apply migrations."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="The port runserver will listen on.")
        parser.add_argument("--host", default="127.0.0.1", help="The address runserver will listen on.")

    def handle(self, *args, **options):
        if settings.AUTHSVC_PUBLIC_URL_SOURCE == "environment":
            public_url = settings.AUTHSVC_PUBLIC_URL
        else:
            public_url = f"http://{options['host']}:{options['port']}"
        record_public_url(settings.VAR_DIR, public_url)
        self.stdout.write(f"public URL: {public_url}")
        if not settings.REDIS_URL:
            ensure_embedded_redis(settings.VAR_DIR)
            self.stdout.write(f"rate limits: embedded Redis on {socket_path(settings.VAR_DIR)}")
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
