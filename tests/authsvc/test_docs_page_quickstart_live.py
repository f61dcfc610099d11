"""A client's Quickstart runs as written: every curl line of its docs page, with real curl, against a
live server, for a client whose schema requires a custom field; the mailed tokens come from the
real mail."""

import html
import json
import os
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from tests.accounts.conftest import ORIGIN, passkeys_on
from tests.authenticator import SoftAuthenticator
from tests.conftest import make_tenant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.store_independent,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)"),
]

PLAN_SCHEMA = {"type": "object", "required": ["plan"], "properties": {"plan": {"enum": ["free", "pro"]}}}
KEY_PLACEHOLDER = "paste the access key shown at registration here"
# Each step's status, in the page's order.
STATUSES = {
    "signup": 201,
    "email-resend": 202,
    "email-verify": 200,
    "login": 200,
    "refresh": 200,
    "verify": 200,
    "logout": 204,
    "password-forgot": 202,
    "password-reset": 200,
    "users-list": 200,
    "user-get": 200,
    "user-update": 200,
    "user-delete": 204,
}


def quickstart(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The lines the reader sets first, and each step's anchor and command, as copied from the page."""
    section = re.search(r'<section id="quickstart".*?</section>', page, re.DOTALL)[0]
    prelude = html.unescape(re.search(r"<pre>(.*?)</pre>", section, re.DOTALL)[1])
    steps = re.findall(r'<li id="step-([a-z-]+)">.*?<pre>(.*?)</pre>', section, re.DOTALL)
    return prelude, [(anchor, html.unescape(command)) for anchor, command in steps]


def run(prelude: str, variables: dict[str, str], command: str) -> tuple[int, str]:
    """One step in bash after the prelude and the variables its reader kept; its status and body."""
    assignments = "".join(f"export {name}='{value}'\n" for name, value in variables.items())
    command = command.replace("curl -sS", "curl -sS -w '\\n%{http_code}'", 1)
    result = subprocess.run(["bash", "-c", f"{prelude}\n{assignments}{command}"], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    body, _, status = result.stdout.rpartition("\n")
    return int(status), body


def mailed_token(mailoutbox, page: str) -> str:
    """The token of the newest mail's link to one of our link pages (`verify-email`, `reset-password`)."""
    links = re.findall(rf"https?://\S+/links/[0-9a-f-]{{36}}/{page}\?\S+", mailoutbox[-1].body)
    assert links, mailoutbox[-1].body
    return parse_qs(urlsplit(links[0]).query)["token"][0]


def keep(anchor: str, answer: dict, variables: dict[str, str], mailoutbox) -> None:
    """What the page tells its reader to keep after this step."""
    if anchor == "signup":
        variables["USER_ID"] = answer["user_id"]
    elif anchor == "email-resend":
        variables["EMAIL_TOKEN"] = mailed_token(mailoutbox, "verify-email")
    elif anchor in ("login", "refresh"):
        variables |= {"ACCESS_TOKEN": answer["access_token"], "REFRESH_TOKEN": answer["refresh_token"]}
    elif anchor == "password-forgot":
        variables["RESET_TOKEN"] = mailed_token(mailoutbox, "reset-password")


@pytest.mark.parametrize("require_email_verification", [False, True], ids=["verification-optional", "verification-required"])
def test_every_quickstart_line_runs_as_written_for_a_client_with_a_required_field(api, live_server, settings, mailoutbox, require_email_verification):
    """Sign-up, email confirmation, tokens, password reset and the users API, copied from the page, answer as it says."""

    settings.AUTHSVC_PUBLIC_URL = live_server.url
    tenant = make_tenant("Plan Co", custom_fields_schema=PLAN_SCHEMA, require_email_verification=require_email_verification)
    prelude, steps = quickstart(api.get(f"/docs/clients/{tenant.client_id}/").content.decode())
    assert KEY_PLACEHOLDER in prelude
    prelude = prelude.replace(KEY_PLACEHOLDER, tenant.access_key)

    variables: dict[str, str] = {}
    answers = {}
    for anchor, command in steps:
        status, body = run(prelude, variables, command)
        assert (anchor, status) == (anchor, STATUSES.get(anchor)), body
        answers[anchor] = json.loads(body) if body.strip() else {}
        keep(anchor, answers[anchor], variables, mailoutbox)

    assert [anchor for anchor, _ in steps] == list(STATUSES)
    assert answers["signup"]["custom_fields"] == {"plan": "free"}
    assert answers["email-verify"]["email_verified"] is True
    assert answers["verify"]["active"] is True
    assert [user["user_id"] for user in answers["users-list"]["results"]] == [variables["USER_ID"]]
    assert answers["user-update"]["custom_fields"] == {"plan": "free"}


# --- the second-factor section's lines ---------------------------------------------------------

EXAMPLE_CODE = "492039"  # the page's placeholder for a code of the user's app


def mfa_commands(page: str) -> list[str]:
    """The curl commands of the page's MFA section, continuation lines joined, comments dropped."""
    section = re.search(r'<section id="mfa".*?</section>', page, re.DOTALL)[0]
    text = html.unescape(re.search(r"<pre>(.*?)</pre>", section, re.DOTALL)[1]).replace("\\\n", " ")
    return [line for line in text.splitlines() if line.startswith("curl ")]


def run_mfa(access_key: str, variables: dict[str, str], command: str, code: str) -> tuple[int, dict]:
    command = command.replace("curl -X POST", "curl -sS -w '\\n%{http_code}' -X POST", 1).replace(EXAMPLE_CODE, code)
    status, body = run(f"export ACCESS_KEY='{access_key}'", variables, command)
    return status, json.loads(body) if body.strip() else {}


def test_the_mfa_lines_run_as_written_for_a_client_requiring_a_factor(api, live_server, settings, sealing_key):
    """Enrol, confirm, log in with a code; then, for a user without a factor, enrol during the login: each answers as the page says."""
    settings.AUTHSVC_PUBLIC_URL = live_server.url
    tenant = make_tenant("Strict Bank", "Fintech", mfa_policy="required")
    enrol, confirm, finish, login_enrol, login_confirm = mfa_commands(api.get(f"/docs/clients/{tenant.client_id}/").content.decode())
    password = {"email": "ada@example.com", "password": "correct horse battery staple"}
    user_id = api.post(tenant.url("signup"), password, format="json", **tenant.auth).json()["user_id"]
    variables = {"USER_ID": user_id}

    status, enrolment = run_mfa(tenant.access_key, variables, enrol, "")
    authenticator = pyotp.parse_uri(enrolment["otpauth_uri"])
    assert status == 201
    status, confirmed = run_mfa(tenant.access_key, variables, confirm, authenticator.now())
    assert status == 200 and len(confirmed["recovery_codes"]) == 10
    variables["MFA_TOKEN"] = api.post(tenant.url("login"), password, format="json", **tenant.auth).json()["mfa_token"]
    status, pair = run_mfa(tenant.access_key, variables, finish, confirmed["recovery_codes"][0])
    assert status == 200 and pair["refresh_token"].startswith("rt_")

    bob = {"email": "bob@example.com", "password": "correct horse battery staple"}
    api.post(tenant.url("signup"), bob, format="json", **tenant.auth)
    variables["MFA_TOKEN"] = api.post(tenant.url("login"), bob, format="json", **tenant.auth).json()["mfa_token"]
    status, enrolment = run_mfa(tenant.access_key, variables, login_enrol, "")
    assert status == 201
    status, done = run_mfa(tenant.access_key, variables, login_confirm, pyotp.parse_uri(enrolment["otpauth_uri"]).now())
    assert status == 200 and len(done["recovery_codes"]) == 10 and done["access_token"]


# --- the passkeys section's lines --------------------------------------------------------------


def passkey_commands(page: str) -> list[str]:
    """The curl commands of the page's passkeys section (its second block; the first is the page's JavaScript)."""
    section = re.search(r'<section id="passkeys".*?</section>', page, re.DOTALL)[0]
    text = html.unescape(re.findall(r"<pre>(.*?)</pre>", section, re.DOTALL)[1]).replace("\\\n", " ")
    return [line for line in text.splitlines() if line.startswith("curl ")]


def test_the_passkey_lines_run_as_written_with_a_browsers_credentials(api, live_server, settings):
    """Register, log in with the passkey alone, then prove it as a second factor: each line answers as the page
    says, the credentials coming from a software authenticator as a browser's credential.toJSON()."""
    settings.AUTHSVC_PUBLIC_URL = live_server.url
    tenant = passkeys_on(make_tenant("Passkey Co"))
    options, register, login_options, login, mfa_options, mfa_finish = passkey_commands(api.get(f"/docs/clients/{tenant.client_id}/").content.decode())
    password = {"email": "ada@example.com", "password": "correct horse battery staple"}
    variables = {"USER_ID": api.post(tenant.url("signup"), password, format="json", **tenant.auth).json()["user_id"]}
    authenticator = SoftAuthenticator()

    status, creation = run_mfa(tenant.access_key, variables, options, "")
    assert status == 200
    variables["CREDENTIAL_JSON"] = json.dumps(authenticator.create(creation, origin=ORIGIN))
    status, registered = run_mfa(tenant.access_key, variables, register, "")
    assert (status, registered["name"]) == (201, "MacBook")

    status, answer = run_mfa(tenant.access_key, variables, login_options, "")
    assert status == 200 and len(answer["options"]["allowCredentials"]) == 1
    variables |= {"CHALLENGE_ID": answer["challenge_id"], "CREDENTIAL_JSON": json.dumps(authenticator.get(answer["options"], origin=ORIGIN))}
    status, pair = run_mfa(tenant.access_key, variables, login, "")
    assert status == 200 and pair["refresh_token"].startswith("rt_")

    variables["MFA_TOKEN"] = api.post(tenant.url("login"), password, format="json", **tenant.auth).json()["mfa_token"]
    status, request = run_mfa(tenant.access_key, variables, mfa_options, "")
    assert status == 200
    variables["CREDENTIAL_JSON"] = json.dumps(authenticator.get(request, origin=ORIGIN))
    status, pair = run_mfa(tenant.access_key, variables, mfa_finish, "")
    assert status == 200 and pair["access_token"]
