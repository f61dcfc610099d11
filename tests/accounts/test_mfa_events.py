"""What the MFA calls publish (accounts.events, in the catalog) and what audit keeps of them: which factor,
how many codes, never a secret, a code or an mfa_token."""

import logging
from dataclasses import asdict

import pyotp
import pytest

from audit.models import AuditLog
from tests.accounts.conftest import call, totp_enrol
from tests.audit.conftest import serialized

# TOTP secrets are sealed: the suite runs with DEBUG off, so each test brings a sealing key.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("sealing_key")]


def test_each_step_of_a_journey_publishes_its_event(user, published):
    """Enrol, confirm, login (asked), a wrong code, a right code, a recovery code, new codes, removal."""
    path = f"users/{user.user_id}/mfa"
    authenticator = totp_enrol(user)
    codes = call(user.tenant, f"{path}/totp/confirm", {"code": authenticator.now()}).json()["recovery_codes"]
    login = {"email": user.email, "password": user.password}
    token = call(user.tenant, "login", login).json()["mfa_token"]
    call(user.tenant, "login/mfa", {"mfa_token": token, "code": "x" * 6})
    call(user.tenant, "login/mfa", {"mfa_token": token, "code": codes[0]})
    call(user.tenant, f"{path}/recovery-codes")
    call(user.tenant, f"{path}/totp", method="DELETE")

    mfa_events = [event for event in published if event.name.startswith(("mfa.", "user.login_mfa"))]
    assert [(event.name, {k: v for k, v in asdict(event).items() if k not in ("client_id", "user_id", "request_meta")})
            for event in mfa_events] == [
        ("mfa.totp_enrolment_started", {"via": "api"}),
        ("mfa.totp_enabled", {"recovery_codes": 10}),
        ("user.login_mfa_required", {"methods": ("totp", "recovery_code"), "enrollment": False}),
        ("mfa.failed", {"reason": "invalid_mfa_code", "attempts_left": 4}),
        ("mfa.recovery_code_used", {"codes_left": 9, "method": "recovery_code"}),
        ("mfa.recovery_codes_regenerated", {"count": 10}),
        ("mfa.totp_removed", {"recovery_codes_dropped": True}),
    ]
    assert {str(event.user_id) for event in mfa_events} == {user.user_id}


def test_audit_records_name_the_factor_and_nothing_secret(user, caplog):
    """Every record of the journey, and every log line, is free of the secret, the codes and the mfa_token."""
    caplog.set_level(logging.DEBUG)
    enrolment = call(user.tenant, f"users/{user.user_id}/mfa/totp").json()
    code = pyotp.TOTP(enrolment["secret"]).now()
    codes = call(user.tenant, f"users/{user.user_id}/mfa/totp/confirm", {"code": code}).json()["recovery_codes"]
    token = call(user.tenant, "login", {"email": user.email, "password": user.password}).json()["mfa_token"]
    call(user.tenant, "login/mfa", {"mfa_token": token, "code": codes[1]})

    secrets = [enrolment["secret"], code, token, token.split(".")[1], *codes, *(c.replace("-", "") for c in codes)]
    trail = [serialized(record) for record in AuditLog.objects.all()] + [caplog.text]
    leaked = [secret for secret in secrets for text in trail if secret in text]
    assert leaked == []
    finished = AuditLog.objects.get(action="login", status="success")
    assert finished.metadata == {"codes_left": 9, "method": "recovery_code"}
    assert AuditLog.objects.get(action="login_mfa_required").metadata == {"methods": ["totp", "recovery_code"], "enrollment": False}
