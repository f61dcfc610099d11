"""Swagger UI and Redoc pages that load nothing from another host.

Their scripts and styles come from the sidecar's static files, and our Redoc template drops
the Google Fonts links. One load remains inside the Redoc bundle itself: the "API docs by
Redocly" footer always renders an `<img>` from cdn.redoc.ly, with no option to turn it off.
A Content-Security-Policy allowing only this host keeps the browser from fetching it (the
footer then shows its text link alone), and holds for anything a future bundle adds.
"""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# 'unsafe-inline': both pages start their UI with an inline script, and both UIs style
# themselves with inline styles. blob: lets Redoc run its search index in a worker.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class _SameHostOnly:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class SwaggerPage(_SameHostOnly, SpectacularSwaggerView):
    pass


class RedocPage(_SameHostOnly, SpectacularRedocView):
    pass
