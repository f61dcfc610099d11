"""A key issued in the admin stays on the server until the next page shows it, once: never in a cookie."""

import re

import pytest
from django.conf import settings

from tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "/admin/tenants/client/"
KEY = re.compile(r"ak_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")
# The only cookies the admin may set: an opaque session id and the CSRF token.
ALLOWED_COOKIES = {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}


def rotate(staff_client, client: Client):
    return staff_client.post(CHANGELIST, {"action": "rotate_access_key", "_selected_action": [str(client.pk)]})


def add(staff_client, client: Client | None = None):
    return staff_client.post(f"{CHANGELIST}add/", {"client_name": "Initech", "industry": "SaaS"})


def add_and_continue(staff_client, client: Client | None = None):
    """Save and continue editing: the key is shown on the new client's change page."""
    return staff_client.post(f"{CHANGELIST}add/", {"client_name": "Initech", "industry": "SaaS", "_continue": "1"})


def keys_in(response) -> list[str]:
    return KEY.findall(response.content.decode())


@pytest.mark.parametrize("issue", [rotate, add, add_and_continue], ids=["rotate", "add", "add-continue"])
def test_issued_key_is_in_no_cookie_and_shown_once_on_the_next_page(staff_client, tenant, issue):
    """The action's redirect sets no cookie holding the key; the next page shows it once, the one after does not."""
    issued = issue(staff_client, tenant.client)
    assert issued.status_code == 302
    assert set(issued.cookies) <= ALLOWED_COOKIES, f"unexpected cookies: {set(issued.cookies) - ALLOWED_COOKIES}"

    shown = staff_client.get(issued["Location"])
    [key] = keys_in(shown)
    assert key != tenant.access_key and shown.content.decode().count(key) == 1
    assert set(shown.cookies) <= ALLOWED_COOKIES
    for response in (issued, shown):
        assert all(key not in morsel.OutputString() for morsel in response.cookies.values())

    assert keys_in(staff_client.get(issued["Location"])) == []
