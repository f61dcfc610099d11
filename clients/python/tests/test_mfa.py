"""Second factors through AuthsvcClient against a live authsvc: TOTP enrolment, a login's second step
(TOTP, recovery codes), the enrolment a client's `mfa_policy: required` asks for, and results whose
secrets stay out of their repr. Codes are made with pyotp from the secret the service answered."""

import pytest
from conftest import PASSWORD, sdk_for, totp_code, totp_turned_on, unique_email, wrong_code

from authsvc_client import (
    Conflict,
    EnrolledLogin,
    InvalidMfaCode,
    InvalidToken,
    MfaConflict,
    MfaEnrollmentRequired,
    MfaRequired,
    NotFound,
    RecoveryCodes,
    TokenPair,
    TotpEnrolment,
)
from tests.conftest import make_tenant

# A TOTP secret is sealed at rest: the service refuses to enrol without a sealing key (503).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.store_independent, pytest.mark.usefixtures("sealing_key")]


def assert_live(sdk, tokens: TokenPair, user_id: str) -> None:
    introspection = sdk.verify(tokens.access_token)
    assert (introspection.active, introspection.user_id) == (True, user_id)


def test_enrol_and_confirm_totp_answers_a_secret_then_ten_recovery_codes(sdk):
    """enrol_totp: a secret and its otpauth URI; confirm_totp with a code of it: ten codes; the user's mfa shows it."""
    user = sdk.signup(unique_email(), PASSWORD)
    enrolment = sdk.enrol_totp(user.user_id)
    assert isinstance(enrolment, TotpEnrolment) and enrolment.otpauth_uri.startswith("otpauth://totp/")
    assert f"secret={enrolment.secret}" in enrolment.otpauth_uri
    codes = sdk.confirm_totp(user.user_id, totp_code(enrolment.secret))
    assert isinstance(codes, RecoveryCodes) and len(codes) == 10 and len(set(codes)) == 10
    assert sdk.get_user(user.user_id).raw["mfa"] == {"totp": True, "passkeys": 0, "recovery_codes_left": 10}


def test_a_login_with_totp_on_asks_for_a_code_then_login_mfa_answers_the_pair(sdk):
    """login → MfaRequired (no tokens, its methods); login_mfa with a current code → a live TokenPair."""
    mfa = totp_turned_on(sdk)
    step = sdk.login(mfa.user.email, PASSWORD)
    assert isinstance(step, MfaRequired) and step.is_complete is False
    assert step.methods == ["totp", "recovery_code"] and step.mfa_token.startswith("mfa_")
    tokens = sdk.login_mfa(step.mfa_token, code=totp_code(mfa.secret))
    assert isinstance(tokens, TokenPair) and tokens.is_complete is True
    assert_live(sdk, tokens, mfa.user.user_id)
    with pytest.raises(InvalidToken):
        sdk.login_mfa(step.mfa_token, code=totp_code(mfa.secret, 1))  # the mfa_token finished its login


def test_a_login_without_a_factor_still_answers_a_token_pair(sdk):
    """A client's users without a factor: login answers the TokenPair as before, complete."""
    user = sdk.signup(unique_email(), PASSWORD)
    tokens = sdk.login(user.email, PASSWORD)
    assert isinstance(tokens, TokenPair) and tokens.is_complete and tokens.user_id == user.user_id


def test_a_wrong_code_raises_invalid_mfa_code_and_the_token_takes_a_right_one_after(sdk):
    """login_mfa with a code of no step near now: InvalidMfaCode (401); the same mfa_token then finishes."""
    mfa = totp_turned_on(sdk)
    step = sdk.login(mfa.user.email, PASSWORD)
    with pytest.raises(InvalidMfaCode) as raised:
        sdk.login_mfa(step.mfa_token, code=wrong_code(mfa.secret))
    assert (raised.value.status, raised.value.code) == (401, "invalid_mfa_code")
    assert_live(sdk, sdk.login_mfa(step.mfa_token, code=totp_code(mfa.secret)), mfa.user.user_id)


def test_a_recovery_code_finishes_a_login_once(sdk):
    """login_mfa with a recovery code: the pair; the same code at the next login: InvalidMfaCode."""
    mfa = totp_turned_on(sdk)
    first = next(iter(mfa.recovery_codes))
    assert_live(sdk, sdk.login_mfa(sdk.login(mfa.user.email, PASSWORD).mfa_token, code=first), mfa.user.user_id)
    assert sdk.get_user(mfa.user.user_id).raw["mfa"]["recovery_codes_left"] == 9
    with pytest.raises(InvalidMfaCode):
        sdk.login_mfa(sdk.login(mfa.user.email, PASSWORD).mfa_token, code=first)


def test_regenerated_recovery_codes_replace_the_old_ones(sdk):
    """regenerate_recovery_codes: ten new codes; an old one no longer finishes a login, a new one does."""
    mfa = totp_turned_on(sdk)
    fresh = sdk.regenerate_recovery_codes(mfa.user.user_id)
    assert len(fresh) == 10 and set(fresh).isdisjoint(mfa.recovery_codes)
    step = sdk.login(mfa.user.email, PASSWORD)
    with pytest.raises(InvalidMfaCode):
        sdk.login_mfa(step.mfa_token, code=mfa.recovery_codes.codes[0])
    assert_live(sdk, sdk.login_mfa(step.mfa_token, code=fresh.codes[0]), mfa.user.user_id)


def test_remove_totp_turns_the_second_step_off(sdk):
    """remove_totp: login answers the pair again; enrolling again works; removing twice is NotFound."""
    mfa = totp_turned_on(sdk)
    sdk.remove_totp(mfa.user.user_id)
    assert isinstance(sdk.login(mfa.user.email, PASSWORD), TokenPair)
    with pytest.raises(NotFound):
        sdk.remove_totp(mfa.user.user_id)


def test_enrolling_while_totp_is_on_or_confirming_nothing_is_a_conflict(sdk):
    """MfaConflict (409 mfa_conflict, a Conflict): enrol_totp with TOTP on; confirm_totp with nothing pending."""
    mfa = totp_turned_on(sdk)
    with pytest.raises(MfaConflict) as raised:
        sdk.enrol_totp(mfa.user.user_id)
    assert raised.value.status == 409 and isinstance(raised.value, Conflict)
    other = sdk.signup(unique_email(), PASSWORD)
    with pytest.raises(MfaConflict):
        sdk.confirm_totp(other.user_id, "123456")


def test_mfa_policy_required_makes_login_enrol_totp_before_the_pair(sdk):
    """update_settings(mfa_policy="required"): login → MfaEnrollmentRequired; login_mfa_totp_enrol → a secret;
    login_mfa_totp_confirm with its code → the pair and ten recovery codes; the next login asks for a code."""
    user = sdk.signup(unique_email(), PASSWORD)
    assert sdk.update_settings(mfa_policy="required").raw["mfa_policy"] == "required"
    step = sdk.login(user.email, PASSWORD)
    assert isinstance(step, MfaEnrollmentRequired) and step.is_complete is False
    enrolment = sdk.login_mfa_totp_enrol(step.mfa_token)
    enrolled = sdk.login_mfa_totp_confirm(step.mfa_token, totp_code(enrolment.secret, -1))
    assert isinstance(enrolled, EnrolledLogin) and len(enrolled.recovery_codes) == 10
    assert_live(sdk, enrolled.tokens, user.user_id)
    assert isinstance(sdk.login(user.email, PASSWORD), MfaRequired)


def test_signup_under_required_mfa_answers_the_enrolment_token(service, attempts):
    """A sign-up under mfa_policy required: no tokens, `mfa_enrollment` with a token that enrols and logs in."""
    sdk = sdk_for(service, make_tenant("Strict MFA", mfa_policy="required"), attempts)
    result = sdk.signup(unique_email(), PASSWORD)
    assert (result.tokens, result.verification_required) == (None, False)
    assert isinstance(result.mfa_enrollment, MfaEnrollmentRequired)
    secret = sdk.login_mfa_totp_enrol(result.mfa_enrollment.mfa_token).secret
    enrolled = sdk.login_mfa_totp_confirm(result.mfa_enrollment.mfa_token, totp_code(secret))
    assert_live(sdk, enrolled.tokens, result.user_id)


def test_a_results_repr_shows_no_secret(sdk):
    """The TOTP secret, its URI, recovery codes and mfa_tokens are attributes, never in a repr (a log line)."""
    user = sdk.signup(unique_email(), PASSWORD)
    enrolment = sdk.enrol_totp(user.user_id)
    codes = sdk.confirm_totp(user.user_id, totp_code(enrolment.secret, -1))
    step = sdk.login(user.email, PASSWORD)
    shown = " ".join(repr(result) for result in (enrolment, codes, step))
    for secret in (enrolment.secret, step.mfa_token, *codes):
        assert secret not in shown
    assert repr(codes) == "RecoveryCodes(10 codes)" and "methods=['totp', 'recovery_code']" in repr(step)


def test_end_user_address_and_agent_of_a_second_step_reach_the_audit_trail(sdk):
    """login_mfa's end_user_ip / end_user_agent travel as X-End-User-IP / -Agent, as login's do."""
    mfa = totp_turned_on(sdk)
    step = sdk.login(mfa.user.email, PASSWORD)
    sdk.login_mfa(step.mfa_token, code=totp_code(mfa.secret), end_user_ip="203.0.113.9", end_user_agent="Firefox/140")
    (record,) = sdk.list_audit(action="login", status="success")
    assert (record.ip_address, record.user_agent, record.user_id) == ("203.0.113.9", "Firefox/140", mfa.user.user_id)
