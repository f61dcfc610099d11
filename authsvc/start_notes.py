"""What the serving process says when it starts: who may register clients, and where an embedded
default stands in for production configuration.

Only a process that serves HTTP says it (runserver and gunicorn load authsvc/wsgi.py, an ASGI
server authsvc/asgi.py). A `manage.py` command in a second shell beside `make run` runs with other
settings than that server (DJANGO_DEBUG off, say) and would announce a registration mode and
warnings that contradict what the server does.
"""

import logging

from django.conf import settings

logger = logging.getLogger("authsvc.settings")

REGISTRATION_NOTES = {
    "token": "Client registration needs AUTHSVC_REGISTRATION_TOKEN (Authorization: Bearer <token>).",
    "open": "Client registration is OPEN: anyone who reaches this service can register a client.",
    "closed": "Client registration is closed: staff create clients (admin, manage.py create_client). "
    "Set AUTHSVC_REGISTRATION_TOKEN or AUTHSVC_OPEN_REGISTRATION=1 to let others register.",
}


def log_serving_notes() -> None:
    log_registration_mode()
    if not settings.DEBUG:
        log_embedded_defaults()


def log_registration_mode() -> None:
    from tenants.selectors import registration_mode  # apps are not loaded when this module imports

    mode = registration_mode()
    level = logging.WARNING if mode == "open" and not settings.DEBUG else logging.INFO
    logger.log(level, REGISTRATION_NOTES[mode])


def log_embedded_defaults() -> None:
    """In production, each default made for one development machine is worth a warning."""
    if settings.AUTHSVC_SECRET_KEY_FILE:
        logger.warning(
            "DJANGO_SECRET_KEY is not set: using the key generated in %s. Set DJANGO_SECRET_KEY in "
            "production so that every machine uses the same key.",
            settings.AUTHSVC_SECRET_KEY_FILE,
        )
    if not settings.REDIS_URL:
        logger.warning(
            "REDIS_URL is not set: rate limits count in the embedded Redis in %s, shared by the "
            "processes of this machine only. Set REDIS_URL when running on several machines.",
            settings.VAR_DIR,
        )
    if settings.AUTHSVC_PUBLIC_URL_SOURCE == "file":
        logger.warning(
            "AUTHSVC_PUBLIC_URL is not set: mailed links and the iss claim use %s, which `make run` "
            "recorded in %s. Set AUTHSVC_PUBLIC_URL in production.",
            settings.AUTHSVC_PUBLIC_URL,
            settings.VAR_DIR / "public_url",
        )
