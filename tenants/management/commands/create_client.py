"""manage.py create_client --name NAME --industry INDUSTRY [--require-email-verification] [--token-issuer client|service]"""

from core.cli import service_errors
from core.commands import ActorCommand
from tenants.cli import INDUSTRY_CHOICES, require_industry
from tenants.models import TokenIssuer
from tenants.selectors import documentation_url
from tenants.services import client_register

OPTION_NAMES = {"client_name": "--name", "industry": "--industry"}


class Command(ActorCommand):
    help = "Register a client: creates its users collection and prints its client_id and first access key (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The client's display name.")
        parser.add_argument("--industry", required=True, help=f"One of: {INDUSTRY_CHOICES} (case-insensitive).")
        parser.add_argument(
            "--require-email-verification",
            action="store_true",
            help="Users must verify their email address before they get tokens.",
        )
        parser.add_argument(
            "--token-issuer",
            choices=TokenIssuer.values,
            default=TokenIssuer.CLIENT,
            help="The `iss` of its access tokens: its own issuer URL (default), or the service's, shared by every client.",
        )

    def handle(self, *args, **options):
        industry = require_industry(options["industry"])
        with service_errors(OPTION_NAMES):
            registered = client_register(
                client_name=options["name"],
                industry=industry,
                require_email_verification=options["require_email_verification"],
                token_issuer=options["token_issuer"],
                surface="command",
                request_meta=self.request_meta(options),
            )
        client = registered.client
        self.stdout.write(self.style.SUCCESS(f"Created client {client.client_name!r} ({client.industry})."))
        self.stdout.write(f"client_id:         {client.client_id}")
        self.stdout.write(f"access_key:        {registered.access_key}")
        self.stdout.write(f"documentation_url: {documentation_url(client)}")
        self.stdout.write(
            self.style.WARNING("The access key is shown only this once and will not be shown again: store it now.")
        )
