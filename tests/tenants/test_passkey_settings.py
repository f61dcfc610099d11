"""The rules of the passkey settings: `passkey_rp_id` a domain a browser takes as a relying party id (or
localhost), `passkey_origins` a short list of https origins (http for localhost, or while DEBUG)."""

import pytest

from core.errors import InvalidRequest
from tenants.passkey_settings import MAX_ORIGINS, passkey_origins_clean, passkey_rp_id_clean
from tests.accounts.conftest import call

pytestmark = pytest.mark.store_independent


@pytest.mark.parametrize(
    "value, stored",
    [
        ("example.com", "example.com"),
        ("Login.Example.COM", "login.example.com"),
        ("acme.github.io", "acme.github.io"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("localhost", "localhost"),
        ("", None),
        (None, None),
    ],
)
def test_an_rp_id_is_kept_in_lower_case(value, stored):
    """A registrable domain or a name under one, or localhost; empty or null unsets it."""
    assert passkey_rp_id_clean(value) == stored


@pytest.mark.parametrize(
    "value",
    ["com", "co.uk", "github.io", "203.0.113.5", "[::1]", "::1", "https://example.com", "example.com/", "exa mple.com",
     "-bad.example.com", "bücher.example", "example.com.", "a" * 250 + ".com", 5, ["example.com"], "1.2.3.4.5"],
)
def test_an_rp_id_no_browser_takes_is_refused(value):
    """Public suffixes, IP addresses, URLs, other text and non-text: 400 naming passkey_rp_id."""
    with pytest.raises(InvalidRequest) as refused:
        passkey_rp_id_clean(value)
    assert list(refused.value.fields) == ["passkey_rp_id"]


@pytest.mark.parametrize(
    "value, stored",
    [
        (["https://example.com"], ["https://example.com"]),
        (["HTTPS://Login.Example.com/"], ["https://login.example.com"]),
        (["https://example.com:443", "https://example.com:8443"], ["https://example.com", "https://example.com:8443"]),
        (["http://localhost:8000", "https://localhost"], ["http://localhost:8000", "https://localhost"]),
        (["https://a.example", "https://a.example/"], ["https://a.example"]),
        ([], None),
        (None, None),
    ],
)
def test_origins_are_kept_as_a_browser_writes_them(value, stored):
    """Lower case, no trailing slash, no default port, each once; [] or null unsets them."""
    assert passkey_origins_clean(value) == stored


@pytest.mark.parametrize(
    "value",
    [
        "https://example.com", ["http://example.com"], ["https://example.com/login"], ["https://example.com?x=1"],
        ["https://user@example.com"], ["ftp://example.com"], ["android:apk-key-hash:abc"], ["https://"], [5],
        ["https://203.0.113.5"], [f"https://{index}.example.com" for index in range(MAX_ORIGINS + 1)], ["https://example.com:99999"],
        ["https://" + "a" * 300 + ".com"],
    ],
)
def test_origins_a_browser_would_not_write_are_refused(value):
    """Not a list, http off localhost, a path, a query, a user, another scheme, an IP, too many: 400 naming passkey_origins."""
    with pytest.raises(InvalidRequest) as refused:
        passkey_origins_clean(value)
    assert list(refused.value.fields) == ["passkey_origins"]


def test_http_origins_pass_while_debug(settings):
    """A development server on another name (DEBUG on) may use http."""
    settings.DEBUG = True
    assert passkey_origins_clean(["http://dev.example.test:8000"]) == ["http://dev.example.test:8000"]


@pytest.mark.django_db(transaction=True)
def test_the_settings_api_sets_checks_and_unsets_the_relying_party(tenant):
    """PATCH stores the settings as a browser writes them and GET answers them; a public suffix is a 400 naming it,
    nothing changed; null unsets it and the passkey calls answer 409 again."""
    changed = call(tenant, "", {"passkey_rp_id": "Example.COM", "passkey_origins": ["https://Example.com/"]}, method="PATCH")
    assert changed.status_code == 200, changed.content
    shown = call(tenant, "", method="GET").json()
    assert (shown["passkey_rp_id"], shown["passkey_origins"]) == ("example.com", ["https://example.com"])
    assert call(tenant, "login/passkey/options", {}).json()["options"]["rpId"] == "example.com"

    refused = call(tenant, "", {"passkey_rp_id": "co.uk", "passkey_origins": ["http://example.com"]}, method="PATCH")
    assert (refused.status_code, sorted(refused.json()["fields"])) == (400, ["passkey_origins", "passkey_rp_id"])
    assert call(tenant, "", method="GET").json()["passkey_rp_id"] == "example.com"

    assert call(tenant, "", {"passkey_rp_id": None}, method="PATCH").status_code == 200
    assert call(tenant, "login/passkey/options", {}).json()["error"] == "passkeys_not_configured"
