"""Swagger UI and Redoc pages that load nothing from another host, under the site's strict CSP.

Both take their scripts and styles from the sidecar's static files and ours; neither page holds
an inline script or style. Swagger UI starts from a script its own view serves (drf-spectacular's
split view, made for a strict policy). Redoc starts from authsvc/redoc_init.js, which also keeps
the one image the Redoc bundle fetches from another host (Redocly's logo in its footer, with no
option to turn it off) from being requested at all.
"""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# swagger-ui.css draws its icons from data: URLs.
SWAGGER_UI_POLICY = {"img-src": ["data:"]}
# Redoc styles itself with <style> elements it adds at run time, and no 'unsafe-inline' is needed
# for them. styled-components (a production build) starts each as an empty element and adds its
# rules through the CSSOM, which the CSP does not check: only the empty element's hash is needed.
# The one stylesheet that arrives as text is perfect-scrollbar's, added while the bundle loads;
# it is allowed by its hash. Both hashes belong to the Redoc 2.5.4 of drf-spectacular-sidecar
# 2026.10.1; tests/e2e/test_pages_offline_and_csp.py fails (a console error) if an upgrade changes
# them. Redoc's anchor icons are data: images; its search index runs in a worker it starts from a
# blob: URL of its own code.
EMPTY_STYLESHEET = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
REDOC_SCROLLBAR_STYLESHEET = "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"
REDOC_POLICY = {
    "style-src": [EMPTY_STYLESHEET, REDOC_SCROLLBAR_STYLESHEET],
    "img-src": ["data:"],
    "worker-src": ["blob:"],
}


@method_decorator(csp_update(SWAGGER_UI_POLICY), name="dispatch")
class SwaggerPage(SpectacularSwaggerSplitView):
    pass


@method_decorator(csp_update(REDOC_POLICY), name="dispatch")
class RedocPage(SpectacularRedocView):
    pass
