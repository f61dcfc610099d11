"""Passkeys in a real browser: Chromium's own WebAuthn stack, with its virtual authenticator (a platform
authenticator that keeps discoverable credentials and verifies the user), takes the options JSON our API
answers (PublicKeyCredential.parse*OptionsFromJSON), makes and uses a passkey on a page of the client's
relying party (the live server's localhost), and our API accepts its credential.toJSON(): registration, a
passwordless login, the passkey as login/mfa's second factor. Then staff find the passkey on the users
page and remove it. Screenshots of each page under the test's tmp dir."""

import pytest
from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions

from tests.accounts.conftest import passkeys_on
from tests.conftest import make_tenant
from tests.e2e.browser import Journey
from tests.e2e.conftest import missing_browser
from tests.e2e.test_staff_journey import api_call, log_in

pytestmark = [
    pytest.mark.skipif(missing_browser() is not None, reason=f"browser tests skipped: {missing_browser()}"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.store_independent,  # pages and a browser; rows and races are tested on every store (tests/accounts)
]

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"
# What the client's page runs: our options JSON in, the credential's JSON out (or the browser's error).
CREATE = """const [options, done] = arguments;
navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)})
  .then((credential) => done(credential.toJSON()), (error) => done({error: String(error)}));"""
GET = """const [options, done] = arguments;
navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)})
  .then((credential) => done(credential.toJSON()), (error) => done({error: String(error)}));"""


def browser_ceremony(journey: Journey, script: str, options: dict) -> dict:
    credential = journey.driver.execute_async_script(script, options)
    assert "error" not in credential, credential
    return credential


def test_a_browser_registers_and_uses_a_passkey_and_staff_remove_it(live_server, browser, superuser, tmp_path):
    """Chromium's authenticator registers through our options, logs in with no password and as a second factor;
    the users page lists the passkey by name; Remove; the API then refuses it."""
    base = live_server.url
    tenant = passkeys_on(make_tenant("Passkey Co"), rp_id="localhost", origins=[base])
    api = f"/api/v1/{tenant.client_id}/"
    call = lambda path, body=None: api_call(base, f"{api}{path}", tenant.access_key, body)  # noqa: E731
    user_id = call("signup", {"email": EMAIL, "password": PASSWORD})[1]["user_id"]

    journey = Journey(browser, base, tmp_path)
    browser.set_script_timeout(15)
    browser.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True, has_user_verification=True, is_user_verified=True,
    ))
    journey.open(f"/docs/clients/{tenant.client_id}/")  # a page of the relying party: the client's site in real life
    options = call(f"users/{user_id}/passkeys/registration/options", {})[1]
    created = browser_ceremony(journey, CREATE, options)
    status, registered = call(f"users/{user_id}/passkeys", {"credential": created, "name": "Chromium"})
    assert (status, registered["name"]) == (201, "Chromium")

    answer = call("login/passkey/options", {})[1]
    status, tokens = call("login/passkey", {"challenge_id": answer["challenge_id"], "credential": browser_ceremony(journey, GET, answer["options"])})
    assert status == 200 and call("token/verify", {"token": tokens["access_token"]})[1]["active"] is True

    step = call("login", {"email": EMAIL, "password": PASSWORD})[1]
    assert step["methods"] == ["passkey"]
    options = call("login/mfa/passkey/options", {"mfa_token": step["mfa_token"]})[1]
    status, tokens = call("login/mfa", {"mfa_token": step["mfa_token"], "passkey_credential": browser_ceremony(journey, GET, options)})
    assert status == 200 and "access_token" in tokens
    journey.watch.assert_clean()

    log_in(journey)
    journey.open(f"/admin/accounts/clients/{tenant.client_id}/users/")
    assert journey.find("td.factors .passkey-name").text == "Chromium"
    assert "last used" in journey.find("td.factors .passkey-dates").text
    journey.screenshot("users-with-a-passkey")
    journey.find(f"button[name=passkey_remove][value='{user_id}:{registered['passkey_id']}']").click()
    journey.wait.until(lambda driver: driver.find_elements("css selector", "ul.messagelist"))
    assert f"Removed a passkey of {EMAIL}" in journey.find("ul.messagelist").text
    assert journey.find("td.factors").text == "–"
    journey.screenshot("passkey-removed")

    assert call(f"users/{user_id}/passkeys")[1] == {"passkeys": []}
    answer = call("login/passkey/options", {"email": EMAIL})[1]
    assert answer["options"]["allowCredentials"] and len(answer["options"]["allowCredentials"]) == 1  # a made-up one now
