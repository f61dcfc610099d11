"""django-csp's middleware, with the policies that the settings alone decide built once, not per response.

django-csp builds both policies (enforced and report-only) from the settings on every response:
about 60 µs, the largest single cost of a token verify after the token and the row. Nearly every
response of ours takes them as the settings give them: no view decorated it (`csp_update` and the
like, which Swagger UI and Redoc use), no template asked for a nonce. Those responses get the
policies built once; any other goes through django-csp's own `process_response` unchanged.
"""

from functools import lru_cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.exceptions import CSPNonceError
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What `csp_exempt` marks a response with. django-csp (4.0, pinned in requirements.txt) offers no
# public way to ask; tests/authsvc/test_content_security_policy.py fails if an upgrade moves it.
EXEMPTION_ATTRIBUTES = ("_csp_exempt", "_csp_exempt_ro")
# Statuses django-csp leaves without a policy under DEBUG (its debug pages load their own styles).
DEBUG_PAGE_STATUSES = frozenset({404, 500})
POLICY_SETTINGS = frozenset({"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"})
UNCHANGED = PolicyParts()


@lru_cache(maxsize=1)
def prebuilt_policies() -> tuple[tuple[str, str], ...] | None:
    """(header, policy) for each non-empty policy as the settings give it; None when a policy
    excludes URL prefixes (then django-csp decides per path)."""
    configured = (
        (HEADER, getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}, False),
        (HEADER_REPORT_ONLY, getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}, True),
    )
    if any(config.get("EXCLUDE_URL_PREFIXES") for _header, config, _ro in configured):
        return None
    built = ((header, build_policy(report_only=report_only)) for header, _config, report_only in configured)
    return tuple((header, policy) for header, policy in built if policy)


@receiver(setting_changed)
def _forget_prebuilt_policies(*, setting: str, **_kwargs) -> None:
    if setting in POLICY_SETTINGS:
        prebuilt_policies.cache_clear()


def _nonce_after_response() -> str:
    raise CSPNonceError(
        "The 'csp_nonce' attribute is not available after the CSP header has been written. "
        "Consider adjusting your MIDDLEWARE order."
    )


class PrebuiltPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        policies = prebuilt_policies()
        if policies is None or not self._settings_decide(request, response):
            return super().process_response(request, response)
        for header, policy in policies:
            if header not in response:
                response[header] = policy
        # As django-csp does: a nonce asked for after this would be in no header.
        request.csp_nonce = CheckableLazyObject(_nonce_after_response)
        return response

    def _settings_decide(self, request, response) -> bool:
        """Whether django-csp would build this response's policies from the settings alone."""
        if settings.DEBUG and response.status_code in DEBUG_PAGE_STATUSES:
            return False
        if any(getattr(response, name, False) for name in EXEMPTION_ATTRIBUTES):
            return False
        return (
            self.get_policy_parts(request=request, response=response) == UNCHANGED
            and self.get_policy_parts(request=request, response=response, report_only=True) == UNCHANGED
        )
