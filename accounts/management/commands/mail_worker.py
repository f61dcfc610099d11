"""manage.py mail_worker [--burst]: the name operators know for `delivery_worker`.

One worker pool sends every kind of delivery: a mail worker is a delivery worker.
"""

from delivery.management.commands import delivery_worker


class Command(delivery_worker.Command):
    help = "An alias of delivery_worker. " + delivery_worker.Command.help
    noun = "mail(s)"
