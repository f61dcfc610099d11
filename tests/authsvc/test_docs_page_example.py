"""The public docs page runs none of the client's schema: it renders the example stored with it."""

import html
import json
import re
import subprocess
import time

import pytest

from tenants.models import Client
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

PLAN_SCHEMA = {"type": "object", "properties": {"plan": {"enum": ["free", "pro"]}, "seats": {"type": "integer", "minimum": 1}}}
# The review's case: the schema's own `examples` hold an array that uniqueItems compared pair by
# pair, on every GET of the page (2.0 s each there; 0.6 s here).
COSTLY_EXAMPLES_SCHEMA = {
    "type": "object",
    "properties": {"tags": {"type": "array", "uniqueItems": True, "examples": [["x", *range(3000)]]}},
}
# CPU of one GET of the page: far above a render (a few ms), far below one such validation.
PAGE_CPU_SECONDS = 0.25


def signup_body(api, client_id: str) -> dict:
    page = api.get(f"/docs/clients/{client_id}/").content.decode()
    command = html.unescape(re.search(r'<li id="step-signup">.*?<pre>(.*?)</pre>', page, re.DOTALL)[1])
    return json.loads(re.search(r"-d '(.*)'", command)[1])


def test_the_page_shows_the_stored_example_as_it_is(api):
    """The sign-up step shows custom_fields from the client's row, even a value its schema would refuse: nothing checks it on GET."""
    tenant = make_tenant("Plan Co", custom_fields_schema=PLAN_SCHEMA)
    assert signup_body(api, tenant.client_id)["custom_fields"] == {"plan": "free", "seats": 1}

    Client.objects.filter(pk=tenant.client.pk).update(custom_fields_example={"plan": "stored, not checked"})

    assert signup_body(api, tenant.client_id)["custom_fields"] == {"plan": "stored, not checked"}


def test_a_schema_with_costly_examples_registers_and_its_page_renders_promptly(api, post_json):
    """Registered through the API, the schema's page answers within a CPU bound, its example included."""
    response = post_json("/api/v1/clients/register", {"client_name": "Tags Co", "industry": "SaaS", "custom_fields_schema": COSTLY_EXAMPLES_SCHEMA})
    assert response.status_code == 201, response.content
    client_id = response.json()["client_id"]

    for _ in range(3):
        started = time.process_time()
        page = api.get(f"/docs/clients/{client_id}/")
        assert time.process_time() - started < PAGE_CPU_SECONDS
        assert page.status_code == 200
    assert signup_body(api, client_id)["custom_fields"] == {"tags": ["x", *range(3000)]}


def test_an_example_with_quotes_and_dollars_reaches_the_server_as_stored(api):
    """A stored example holding ' and $ is quoted for the shell, not dropped: bash hands curl exactly its JSON."""
    tenant = make_tenant("Quote Co", custom_fields_schema=PLAN_SCHEMA)
    stored = {"plan": "O'Brien's $HOME `id` \\ \""}
    Client.objects.filter(pk=tenant.client.pk).update(custom_fields_example=stored)
    page = api.get(f"/docs/clients/{tenant.client_id}/").content.decode()
    command = html.unescape(re.search(r'<li id="step-signup">.*?<pre>(.*?)</pre>', page, re.DOTALL)[1])
    word = re.search(r"^  -d (.*)$", command, re.MULTILINE)[1]

    printed = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, text=True, check=True).stdout

    assert json.loads(printed)["custom_fields"] == stored
