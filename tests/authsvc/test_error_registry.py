"""One list of error codes: the registry the envelope, the OpenAPI schema, the docs page and docs/api.md agree on."""

import re
from pathlib import Path

import pytest

from authsvc.client_docs import error_code_rows
from core.errors import code_for_status, error_classes

ROOT = Path(__file__).resolve().parents[2]


def documented_codes() -> set[str]:
    """The codes of the table in docs/api.md §4."""
    section = ROOT.joinpath("docs/api.md").read_text().split("## 4. Errors", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \| \d{3} \|", section, re.M))


def test_every_app_error_is_registered_once_per_code():
    """core's and accounts' codes are all in the registry, each code once, with a meaning."""
    codes = [error.code for error in error_classes()]
    assert len(codes) == len(set(codes))
    assert {"invalid_request", "invalid_credentials", "token_reused", "email_taken", "server_error"} <= set(codes)
    assert all(error.meaning for error in error_classes())


def test_docs_api_md_lists_exactly_the_registered_codes():
    """The contract's table and the registry hold the same codes."""
    assert documented_codes() == {error.code for error in error_classes()}


def test_the_docs_page_lists_exactly_the_registered_codes():
    """The client's documentation page reads the registry."""
    assert [row.code for row in error_code_rows()] == [error.code for error in error_classes()]


@pytest.mark.parametrize(
    "status, code",
    [(400, "invalid_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found"), (405, "method_not_allowed"),
     (409, "email_taken"), (413, "payload_too_large"), (415, "invalid_request"), (429, "rate_limited"), (500, "server_error"),
     (503, "service_unavailable")],
)
def test_framework_failures_get_the_registered_code_of_their_status(status, code):
    """A failure that only has a status (Django's 404, DRF's 405) answers the status's registered code."""
    assert code_for_status(status) == code
