"""The policies built once give every response the headers django-csp's own middleware gives it.

authsvc.content_security_policy serves the policies the settings alone decide from a cache and
hands every other response to django-csp. This table compares the two middlewares, response by
response: it fails if an upgrade of django-csp changes what marks a response as its own (the
exemption attributes read by name), or how a policy is built from the settings.
"""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from authsvc.content_security_policy import PrebuiltPolicyMiddleware, prebuilt_policies

pytestmark = pytest.mark.store_independent  # no database at all

REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp-reports/"}}
EXCLUDING = {"EXCLUDE_URL_PREFIXES": ["/excluded/"], "DIRECTIVES": {"default-src": [SELF]}}


def plain(request):
    return HttpResponse("plain")


def not_found(request):
    return HttpResponse("missing", status=404)


def with_nonce(request):
    return HttpResponse(f"nonce {request.csp_nonce}")


def with_preset_header(request):
    response = HttpResponse("own header")
    response[HEADER] = "default-src 'self'"
    return response


VIEWS = {
    "plain": plain,
    "exempt": csp_exempt()(plain),
    "exempt-report-only": csp_exempt(REPORT_ONLY=True)(plain),
    "update": csp_update({"img-src": ["data:"]})(plain),
    "update-report-only": csp_update({"img-src": ["data:"]}, REPORT_ONLY=True)(plain),
    "replace": csp_replace({"script-src": ["https://example.com"]})(plain),
    "override": csp({"default-src": [SELF]})(plain),
    "nonce": with_nonce,
    "preset-header": with_preset_header,
    "not-found": not_found,
}
SETTINGS = {
    "ours": {},
    "report-only-too": {"CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
    "report-only-alone": {"CONTENT_SECURITY_POLICY": None, "CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
    "excluded-prefixes": {"CONTENT_SECURITY_POLICY": EXCLUDING},
    "debug": {"DEBUG": True},
}


def headers_after(middleware_class, view, path: str) -> dict:
    request = RequestFactory().get(path)
    middleware = middleware_class(view)
    response = middleware(request)
    return {name: response.get(name) for name in (HEADER, HEADER_REPORT_ONLY)}


@pytest.mark.parametrize("configured", SETTINGS)
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("path", ["/somewhere/", "/excluded/page"])
def test_every_response_gets_the_headers_django_csp_gives_it(configured, view, path):
    """Same Content-Security-Policy headers as django-csp's middleware, whatever marked the response."""
    with override_settings(**SETTINGS[configured]):
        theirs = headers_after(CSPMiddleware, VIEWS[view], path)
        ours = headers_after(PrebuiltPolicyMiddleware, VIEWS[view], path)
    assert ours == theirs


def test_a_policy_changed_in_the_settings_is_built_again():
    """The cache follows the settings: a changed policy is what the next response carries."""
    before = headers_after(PrebuiltPolicyMiddleware, plain, "/")[HEADER]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": [SELF]}}):
        assert headers_after(PrebuiltPolicyMiddleware, plain, "/")[HEADER] == "default-src 'self'"
    assert headers_after(PrebuiltPolicyMiddleware, plain, "/")[HEADER] == before
    assert prebuilt_policies() == ((HEADER, before),)


def test_a_nonce_asked_for_after_the_response_is_refused_as_django_csp_refuses_it():
    """After the header is written, `request.csp_nonce` raises instead of minting a nonce no header carries."""
    request = RequestFactory().get("/")
    PrebuiltPolicyMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
