"""Login stages: after the right password, each stage may stop the login; a second factor plugs in here."""

import pytest

from accounts.flows.login import LoginDone, LoginPending, user_login
from accounts.flows.login_stages import login_stage_register, login_stage_unregister, login_stages
from accounts.models import RefreshToken
from audit.models import AuditLog
from core.errors import Forbidden
from tests.accounts.conftest import call

pytestmark = pytest.mark.django_db(transaction=True)


class SecondFactor:
    """A stage as an MFA app would register it: it stops every login it sees (a real class, no mock)."""

    key = "second_factor"

    def __init__(self, stops: bool = True):
        self.stops = stops
        self.seen: list = []

    def stop(self, *, client, user):
        self.seen.append(user.user_id)
        return Forbidden("A second factor is required.") if self.stops else None


@pytest.fixture
def second_factor():
    stage = SecondFactor()
    login_stage_register(stage)
    yield stage
    login_stage_unregister(stage.key)


def test_the_built_in_stages_run_then_the_second_factor():
    """Account active, then email verified, then the second factor that the accounts app registers."""
    assert [stage.key for stage in login_stages()] == ["account_active", "email_verified", "mfa"]


def test_a_registered_stage_stops_a_login_with_the_right_password(user, second_factor, published):
    """Its error is the answer; no token is issued; published and audited as stopped, not as a wrong password."""
    tokens_before = RefreshToken.objects.count()
    published.clear()

    response = call(user.tenant, "login", {"email": user.email, "password": user.password})

    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert RefreshToken.objects.count() == tokens_before
    assert [(event.name, event.stage, event.reason) for event in published] == [("user.login_stopped", "second_factor", "forbidden")]
    record = AuditLog.objects.get(action="login", status="failed")
    assert (record.reason, str(record.user_id)) == ("forbidden", user.user_id)


def test_a_wrong_password_never_reaches_the_stages(user, second_factor):
    """Only someone who knows the password learns what a stage would say."""
    response = call(user.tenant, "login", {"email": user.email, "password": "Not-the-password-1"})
    assert response.json()["error"] == "invalid_credentials"
    assert second_factor.seen == []


def test_a_registered_stage_runs_after_the_built_in_ones(user, second_factor):
    """A disabled account stops at account_active: the later stage never sees it."""
    type(user.row()).objects.filter(pk=user.user_id).update(is_active=False)
    result = user_login(client=user.tenant.client, email=user.email, password=user.password)
    assert isinstance(result, LoginPending)
    assert (result.stage, result.refusal.code) == ("account_active", "account_disabled")
    assert second_factor.seen == []


def test_a_stage_that_lets_the_login_go_on_ends_in_a_token_pair(user):
    """A stage answering None: the login finishes as without it."""
    stage = SecondFactor(stops=False)
    login_stage_register(stage)
    try:
        result = user_login(client=user.tenant.client, email=user.email, password=user.password)
    finally:
        login_stage_unregister(stage.key)
    assert isinstance(result, LoginDone) and result.tokens.refresh_token
    assert stage.seen == [result.user.user_id]


def test_two_stages_cannot_share_a_key(second_factor):
    """A key names one stage in the published stop."""
    with pytest.raises(ValueError, match="already registered"):
        login_stage_register(SecondFactor())
