"""Sign-up: a new user of a client, logged in at once unless the client requires a verified email, or a
second factor (`mfa_policy: required`: the answer is then an enrolment mfa_token, accounts.flows.mfa_login)."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, router, transaction

from accounts import outbox
from accounts.errors import EmailTaken
from accounts.events import UserSignedUp, UserSignupFailed
from accounts.flows.mfa_login import mfa_challenge_issue
from accounts.flows.minting import TokenPair, pair_issue
from accounts.lockout import login_failures_clear
from accounts.models import MailKind, MfaPurpose
from accounts.validation import normalize_email, validate_custom_fields, validate_new_password
from core.events import failures_published, publish
from core.request_meta import RequestMeta
from delivery.models import Delivery
from tenants.models import AbstractTenantUser, Client, MfaPolicy
from tenants.user_models import user_model_for


@dataclass(frozen=True)
class SignupResult:
    user: AbstractTenantUser
    tokens: TokenPair | None  # None while the email awaits verification, or a factor must be enrolled first
    mfa_token: str | None = None  # to enrol that factor (login/mfa/totp), when the client requires one


def user_signup(
    *,
    client: Client,
    email: str,
    password: str,
    custom_fields: dict | None = None,
    request_meta: RequestMeta | None = None,
) -> SignupResult:
    with failures_published(UserSignupFailed, client_id=client.client_id, request_meta=request_meta):
        user = user_model_for(client)(email=normalize_email(email), custom_fields=custom_fields or {})
        validate_new_password(password, client=client, user=user)
        validate_custom_fields(user.custom_fields, schema=client.custom_fields_schema)
        user.password_hash = make_password(password)
        verifying = client.require_email_verification
        queued = _insert_user(user, then_mail=MailKind.VERIFY_EMAIL if verifying else None, client=client)
    # Failures counted against the email before it had an account are not the new user's.
    login_failures_clear(client=client, email=user.email)
    enrolling = not verifying and client.mfa_policy == MfaPolicy.REQUIRED
    mfa_token = mfa_challenge_issue(client=client, user=user, purpose=MfaPurpose.ENROL) if enrolling else None
    tokens = None if verifying or enrolling else pair_issue(client=client, user=user)
    # Published with the sign-up (one attempt, one event), not as a separate resend.
    publish(
        UserSignedUp(
            client_id=client.client_id,
            user_id=user.user_id,
            request_meta=request_meta,
            verification_required=verifying,
            verification_queued=queued if verifying else None,
            mfa_enrollment_required=enrolling or None,
        )
    )
    return SignupResult(user=user, tokens=tokens, mfa_token=mfa_token)


def _insert_user(user: AbstractTenantUser, *, then_mail: str | None, client: Client) -> bool:
    """The user's row, then its verification mail's outbox row, in one transaction where the
    store has one for both. Without (MongoDB, or users on another database) the order is what
    keeps it safe: a crash between the two writes leaves an account whose mail was never
    queued, which `email/resend` queues again; never a mail for an account that does not exist."""
    try:
        with transaction.atomic(using=router.db_for_write(Delivery)):
            user.save(force_insert=True)
            return then_mail is not None and outbox.outbound_mail_queue(client=client, user=user, kind=then_mail)
    except IntegrityError:
        raise EmailTaken() from None
