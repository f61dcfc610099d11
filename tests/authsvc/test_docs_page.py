"""GET /docs/clients/<client_id>/: the page documentation_url points at."""

import uuid

import pytest

from tenants.access_keys import KEY_PATTERN
from tenants.models import AccessKey
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC_URL = "https://auth.example.com"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.AUTHSVC_PUBLIC_URL = PUBLIC_URL


def docs_path(client_id: str) -> str:
    return f"/docs/clients/{client_id}/"


def test_docs_page_shows_the_client_and_its_base_url(api, tenant):
    """The page is HTML with the client's name and its API base URL under AUTHSVC_PUBLIC_URL."""
    response = api.get(docs_path(tenant.client_id))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Acme" in page
    assert f"{PUBLIC_URL}/api/v1/{tenant.client_id}/" in page
    assert f"{PUBLIC_URL}/api/v1/{tenant.client_id}/signup" in page


def test_docs_page_never_shows_the_access_key(api, tenant):
    """Neither the key, its secret nor its stored hash appears on the (public) page."""
    page = api.get(docs_path(tenant.client_id)).content.decode()

    secret = KEY_PATTERN.match(tenant.access_key)["secret"]
    assert tenant.access_key not in page
    assert secret not in page
    assert AccessKey.objects.get(client=tenant.client).secret_hash not in page


def test_docs_page_escapes_the_client_name(api):
    """A client name with markup (a row from before names were checked) is shown as text, not run as HTML."""
    tenant = make_tenant("Old Name")
    tenant.client.client_name = "<script>alert(1)</script>"
    tenant.client.save(update_fields=["client_name"])

    page = api.get(docs_path(tenant.client_id)).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_registration_documentation_url_leads_to_the_page(api, post_json):
    """The documentation_url returned by registration serves this client's page."""
    body = post_json("/api/v1/clients/register", {"client_name": "Docs Co", "industry": "Other"}).json()
    assert body["documentation_url"].startswith(PUBLIC_URL)

    response = api.get(body["documentation_url"].removeprefix(PUBLIC_URL))

    assert response.status_code == 200
    assert "Docs Co" in response.content.decode()


def test_docs_page_of_an_unknown_client_is_not_found(api):
    """A well-formed client_id that is not registered answers 404."""
    assert api.get(docs_path(str(uuid.uuid4()))).status_code == 404
