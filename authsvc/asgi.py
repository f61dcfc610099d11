import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsvc.settings")
application = get_asgi_application()

from authsvc.start_notes import log_serving_notes  # noqa: E402 - after Django is set up

log_serving_notes()
