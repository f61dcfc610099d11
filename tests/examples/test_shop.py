"""examples/shop end to end: authsvc's production command on the suite's store, the shop's own Django
process beside it (SDK for sign-up/login/refresh/logout, offline-verified tokens for its API)."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from cryptography.fernet import Fernet

from tests.production import ROOT, production_server_running
from tests.stores import free_port

SHOP = ROOT / "examples" / "shop"
PASSWORD = "Correct-horse-battery-staple-9"


@dataclass(frozen=True)
class Shop:
    url: str
    log: Path
    authsvc: Any  # the authsvc server the shop calls (tests.production)
    client: dict  # the shop's registration there: client_id, access_key

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)


@pytest.fixture
def shop(tmp_path) -> Iterator[Shop]:
    """authsvc (gunicorn, DEBUG off, the suite's store), a client registered on it, and the shop's runserver."""
    # A sealing key, as production has one: TOTP secrets are kept sealed.
    with production_server_running(tmp_path, AUTHSVC_SEALING_KEYS=Fernet.generate_key().decode()) as authsvc:
        status, client = authsvc.request("POST", "/api/v1/clients/register", {"client_name": "Shop", "industry": "E-commerce"})
        assert status == 201, client
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings",
            "PYTHONPATH": str(ROOT / "clients" / "python" / "src"),
            "AUTHSVC_URL": authsvc.url,
            "AUTHSVC_CLIENT_ID": client["client_id"],
            "AUTHSVC_ACCESS_KEY": client["access_key"],
            "SHOP_DATABASE": str(tmp_path / "shop.sqlite3"),
        }
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=SHOP, env=env, check=True, timeout=120)
        port, log = free_port(), tmp_path / "shop.log"
        with open(log, "wb") as output:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=SHOP, env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        try:
            yield wait_for(Shop(f"http://127.0.0.1:{port}", log, authsvc, client), server)
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for(shop: Shop, server: subprocess.Popen) -> Shop:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, shop.log.read_text()[-3000:]
        try:
            shop.call("GET", "/api/me")
            return shop
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"the shop did not answer within 60 s:\n{shop.log.read_text()[-3000:]}")


def test_a_shopper_signs_up_orders_refreshes_and_logs_out(shop):
    """Sign-up and login through authsvc, the shop's API with the access token, refresh, logout, and refusals passed on."""
    credentials = {"email": "ada@example.com", "password": PASSWORD}
    signed_up = shop.call("POST", "/auth/signup", credentials)
    assert signed_up.status_code == 201, signed_up.text
    assert shop.call("POST", "/auth/signup", credentials).json()["error"] == "email_taken"
    assert shop.call("POST", "/auth/login", {**credentials, "password": "wrong password"}).status_code == 401

    tokens = shop.call("POST", "/auth/login", credentials).json()
    assert shop.call("GET", "/api/me", token=tokens["access_token"]).json() == {"user_id": signed_up.json()["user_id"], "email": "ada@example.com"}
    assert shop.call("POST", "/api/orders", {"item": "teapot"}, token=tokens["access_token"]).status_code == 201
    assert shop.call("GET", "/api/me").status_code == 401
    assert shop.call("GET", "/api/me", token=tokens["refresh_token"]).status_code == 401

    renewed = shop.call("POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}).json()
    assert [order["item"] for order in shop.call("GET", "/api/orders", token=renewed["access_token"]).json()] == ["teapot"]
    assert shop.call("POST", "/auth/logout", {"refresh_token": renewed["refresh_token"]}).status_code == 204
    refused = shop.call("POST", "/auth/refresh", {"refresh_token": renewed["refresh_token"]})
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token"), json.dumps(refused.json())


def test_a_shopper_with_totp_logs_in_in_two_steps(shop):
    """A shopper who turned TOTP on gets `mfa_required` and no token from /auth/login, then the tokens
    from /auth/login/mfa with a recovery code; a wrong code is authsvc's 401 passed on."""
    credentials = {"email": "grace@example.com", "password": PASSWORD}
    first = shop.call("POST", "/auth/signup", credentials).json()
    pending = shop.call("POST", "/api/me/totp", token=first["access_token"])
    assert pending.status_code == 201, pending.text
    code = pyotp.TOTP(pending.json()["secret"]).now()
    recovery = shop.call("POST", "/api/me/totp/confirm", {"code": code}, token=first["access_token"]).json()["recovery_codes"]
    assert len(recovery) == 10

    step = shop.call("POST", "/auth/login", credentials).json()
    assert step["mfa_required"] is True and "totp" in step["methods"] and "access_token" not in step
    wrong = shop.call("POST", "/auth/login/mfa", {"mfa_token": step["mfa_token"], "code": "000000"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_mfa_code")
    tokens = shop.call("POST", "/auth/login/mfa", {"mfa_token": step["mfa_token"], "code": recovery[0]}).json()
    assert shop.call("GET", "/api/me", token=tokens["access_token"]).json()["email"] == "grace@example.com"


def test_a_shop_that_requires_a_second_factor_enrols_it_before_any_token(shop):
    """With the client's mfa_policy `required`, sign-up answers the enrolment step; the secret it shows,
    confirmed with a code of it, finishes the login with tokens and recovery codes."""
    status, _ = shop.authsvc.request("PATCH", f"/api/v1/{shop.client['client_id']}/", {"mfa_policy": "required"}, key=shop.client["access_key"])
    assert status == 200
    signed_up = shop.call("POST", "/auth/signup", {"email": "hopper@example.com", "password": PASSWORD})
    step = signed_up.json()
    assert signed_up.status_code == 201 and step["mfa_enrollment_required"] is True and "access_token" not in step
    secret = shop.call("POST", "/auth/login/mfa/totp", {"mfa_token": step["mfa_token"]}).json()["secret"]
    done = shop.call("POST", "/auth/login/mfa/totp/confirm", {"mfa_token": step["mfa_token"], "code": pyotp.TOTP(secret).now()}).json()
    assert len(done["recovery_codes"]) == 10
    assert shop.call("GET", "/api/me", token=done["access_token"]).json()["user_id"] == step["user_id"]
