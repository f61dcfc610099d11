import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsvc.settings")
application = get_wsgi_application()

from authsvc.start_notes import log_serving_notes  # noqa: E402 - after Django is set up

log_serving_notes()
