"""The icon browsers ask every host for (`/favicon.ico`): without it each page a person opens logs a 404."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# A key-hole on a dark square: small enough to keep here, so the icon works offline like every page.
ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<rect width="16" height="16" rx="3" fill="#264b5d"/>'
    b'<circle cx="8" cy="6.5" r="2.5" fill="#fff"/><path d="M7 8h2l1 5H6z" fill="#fff"/></svg>'
)


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(ICON, content_type="image/svg+xml")
