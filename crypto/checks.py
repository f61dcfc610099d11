"""The system check of the sealing keys (registered by authsvc.apps as a deployment check):
`manage.py check --deploy` says when production has no AUTHSVC_SEALING_KEYS, before a client meets
the 503. Only with --deploy, so that a deployment that stores no secret is not told on every command."""

from django.conf import settings
from django.core.checks import CheckMessage, Warning

from crypto.sealing_keys import GENERATE_HINT

NO_SEALING_KEYS = "crypto.W001"


def sealing_keys_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    if settings.AUTHSVC_SEALING_KEYS:
        return []
    return [
        Warning(
            "AUTHSVC_SEALING_KEYS is not set: secrets cannot be stored (a client's SMTP server and TOTP "
            "enrolments are refused with 503 service_unavailable); everything else works.",
            hint=f"Set AUTHSVC_SEALING_KEYS to one or more comma-separated Fernet keys, the first sealing; generate one with {GENERATE_HINT}",
            id=NO_SEALING_KEYS,
        )
    ]
