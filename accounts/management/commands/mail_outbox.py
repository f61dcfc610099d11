"""manage.py mail_outbox [--sweep] [--retry-failed] [--discard-failed]: `delivery_outbox --kind mail`."""

from accounts.outbox import KIND
from delivery.management.commands import delivery_outbox


class Command(delivery_outbox.Command):
    help = "The mails among the deliveries (delivery_outbox --kind mail). " + delivery_outbox.Command.help
    noun = "mail(s)"
    kind = KIND
