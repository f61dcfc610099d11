"""The docs page quickstart shows a client's backend how to name the end user behind each call."""

import html
import re
import shlex

import pytest
from django.conf import settings

from audit.models import AuditLog
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db(transaction=True)

END_USER_IP = "203.0.113.7"
END_USER_AGENT = "Mozilla/5.0 (quickstart test)"


def quickstart_command(api, tenant, step: str) -> str:
    page = api.get(f"/docs/clients/{tenant.client_id}/").content.decode()
    match = re.search(rf'<li id="step-{step}">.*?<pre>(.*?)</pre>', page, re.DOTALL)
    assert match, f"no quickstart step {step!r}"
    return html.unescape(match[1])


def run(api, command: str, variables: dict[str, str]):
    """The curl command through the test client, sending every -H header it names."""
    for name, value in variables.items():
        command = command.replace(f"${name}", value)
    words = shlex.split(command.replace("\\\n", " "))
    url = words[4].removeprefix(settings.AUTHSVC_PUBLIC_URL)
    options = words[5:]
    headers = dict(options[i + 1].split(": ", 1) for i in range(0, len(options), 2) if options[i] == "-H")
    [body] = [options[i + 1] for i in range(0, len(options), 2) if options[i] == "-d"]
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items() if name != "Content-Type"}
    return api.generic("POST", url, body, content_type=headers["Content-Type"], **meta)


@pytest.mark.parametrize(("step", "status", "action"), [("signup", 201, "signup"), ("login", 200, "login")])
def test_quickstart_passes_the_end_user_headers_that_audit_records_show(api, step, status, action):
    """The signup and login commands send X-End-User-IP / X-End-User-Agent, and the record names that user."""
    tenant = make_tenant("Quickstart Co")
    variables = {"ACCESS_KEY": tenant.access_key, "END_USER_IP": END_USER_IP, "END_USER_AGENT": END_USER_AGENT}
    if step == "login":
        assert run(api, quickstart_command(api, tenant, "signup"), variables).status_code == 201
    assert run(api, quickstart_command(api, tenant, step), variables).status_code == status
    record = AuditLog.objects.filter(client_id=tenant.client.client_id, action=action).get()
    assert (record.ip_address, record.user_agent) == (END_USER_IP, END_USER_AGENT)


def test_quickstart_explains_the_end_user_headers(api):
    """The quickstart says what the two headers are for before its first command."""
    tenant = make_tenant("Quickstart Co")
    page = api.get(f"/docs/clients/{tenant.client_id}/").content.decode()
    quickstart = page[page.index('<section id="quickstart"') : page.index('<li id="step-signup">')]
    assert "X-End-User-IP" in quickstart and "X-End-User-Agent" in quickstart and "END_USER_IP=" in quickstart
