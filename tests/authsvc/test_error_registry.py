"""One list of error codes: the registry the envelope, the OpenAPI schema, the docs page and docs/api.md agree on."""

import re
from pathlib import Path

import pytest

from core.errors import ServiceError, code_for_status, error_classes
from tests.authsvc.test_docs_page_content import table_rows

ROOT = Path(__file__).resolve().parents[2]


def documented_codes() -> set[str]:
    """The codes of the table in docs/api.md §4."""
    section = ROOT.joinpath("docs/api.md").read_text().split("## 4. Errors", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", section, re.M))


def subclasses(base: type) -> list[type]:
    return [cls for direct in base.__subclasses__() for cls in (direct, *subclasses(direct))]


def test_every_app_error_is_registered_with_a_meaning():
    """core's and accounts' codes are all in the registry, each with a meaning."""
    codes = {error.code for error in error_classes()}
    assert {"invalid_request", "invalid_credentials", "token_reused", "email_taken", "server_error"} <= codes
    assert all(error.meaning for error in error_classes())


def test_no_two_unrelated_error_classes_claim_one_code():
    """The registry keeps the first class of each code: a class reusing a code must extend that class,
    or it would answer a code whose status and meaning are another's."""
    registered = {error.code: error for error in error_classes()}
    clashes = [f"{cls.__module__}.{cls.__qualname__}: {cls.code}" for cls in subclasses(ServiceError) if not issubclass(cls, registered[cls.code])]
    assert clashes == []


def test_docs_api_md_lists_exactly_the_registered_codes():
    """The contract's table and the registry hold the same codes."""
    assert documented_codes() == {error.code for error in error_classes()}


@pytest.mark.django_db(transaction=True)
def test_the_docs_page_lists_exactly_the_registered_codes(api, tenant):
    """The client's documentation page shows one row per registered code, in the registry's order, with its status."""
    response = api.get(f"/docs/clients/{tenant.client.client_id}/")
    assert response.status_code == 200
    rows = [(int(status), code) for status, code, _meaning in table_rows(response.content.decode(), "errors")]
    assert rows == [(error.status_code, error.code) for error in error_classes()]


@pytest.mark.parametrize(
    "status, code",
    [(400, "invalid_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found"), (405, "method_not_allowed"),
     (409, "email_taken"), (413, "payload_too_large"), (415, "invalid_request"), (429, "rate_limited"), (500, "server_error"),
     (503, "service_unavailable")],
)
def test_framework_failures_get_the_registered_code_of_their_status(status, code):
    """A failure that only has a status (Django's 404, DRF's 405) answers the status's registered code."""
    assert code_for_status(status) == code
