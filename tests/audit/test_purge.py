"""`manage.py purge_audit` and `manage.py purge_tokens`: what they delete, what they keep, how they report."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.flows.minting import refresh_token_hash
from accounts.models import MfaChallenge, PasskeyChallenge, RefreshToken
from audit.models import AuditLog
from tests.accounts.conftest import SignedUpUser, call, log_in, passkeys_on, sign_up, totp_turn_on
from tests.audit.conftest import records_written_by, run_command, write_record

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = uuid.uuid4()


def write_aged(*ages: timedelta) -> list[uuid.UUID]:
    now = timezone.now()
    return [write_record(client_id=CLIENT_ID, timestamp=now - age).audit_id for age in ages]


def remaining() -> set[uuid.UUID]:
    """The records left, beside the ones each purge writes about itself."""
    return set(AuditLog.objects.exclude(action="audit_purge").values_list("audit_id", flat=True))


def progress_lines(out: str) -> list[str]:
    return re.findall(r"^\s+deleted .*$", out, re.MULTILINE)


# --- purge_audit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("older_than", "old", "recent"),
    [
        ("90d", timedelta(days=91), timedelta(days=89)),
        ("12h", timedelta(hours=13), timedelta(hours=11)),
    ],
    ids=["days", "hours"],
)
def test_purge_audit_deletes_records_older_than_the_cut_off_and_keeps_newer_ones(older_than, old, recent):
    """Records older than --older-than (days or hours) go; newer ones stay."""
    doomed = write_aged(old, old * 2)
    kept = write_aged(recent, timedelta(0))

    output = run_command("purge_audit", "--older-than", older_than)

    assert remaining() == set(kept)
    assert set(doomed).isdisjoint(remaining())
    assert "Deleted 2 audit records." in output.out


def test_purge_audit_deletes_in_batches_and_reports_each():
    """With --batch-size 2, five old records go in batches of 2, 2 and 1, each reported."""
    write_aged(*[timedelta(days=100 + n) for n in range(5)])
    kept = write_aged(timedelta(days=1))

    output = run_command("purge_audit", "--older-than", "90d", "--batch-size", "2")

    assert progress_lines(output.out) == [
        "  deleted 2 audit records (2 so far)",
        "  deleted 2 audit records (4 so far)",
        "  deleted 1 audit records (5 so far)",
    ]
    assert output.out.rstrip().endswith("Deleted 5 audit records.")
    assert remaining() == set(kept)


def test_purge_audit_dry_run_counts_and_deletes_nothing():
    """--dry-run prints how many records would go and leaves every one in place."""
    write_aged(timedelta(days=100), timedelta(days=200), timedelta(days=1))
    before = remaining()

    output = run_command("purge_audit", "--older-than", "90d", "--dry-run")

    assert "Would delete 2 audit records" in output.out
    assert progress_lines(output.out) == []
    assert remaining() == before


def test_purge_audit_leaves_a_record_of_itself_that_it_keeps():
    """Each run leaves one audit_purge record (up to when, how many, who), newer than anything it deletes."""
    write_aged(timedelta(days=100), timedelta(days=200))
    run_command("purge_audit", "--older-than", "90d", "--actor", "ops-alice")
    run_command("purge_audit", "--older-than", "1h")
    first, second = AuditLog.objects.filter(action="audit_purge").order_by("timestamp")
    assert (first.metadata["deleted"], second.metadata["deleted"]) == (2, 0)
    assert first.metadata["actor"]["username"] == "ops-alice"
    assert first.metadata["before"] < second.metadata["before"]


def test_purge_audit_with_nothing_to_delete_says_so():
    """An empty purge is not an error: it reports zero."""
    kept = write_aged(timedelta(days=1))
    output = run_command("purge_audit", "--older-than", "90d")
    assert "Deleted 0 audit records." in output.out
    assert remaining() == set(kept)


@pytest.mark.parametrize("older_than", ["0d", "0h", "90", "d", "-5d", "90m", "1.5d", "ninety", "", "9999999d", "40000d"])
def test_purge_audit_refuses_a_zero_or_malformed_age(older_than):
    """An age that is not a positive Nd / Nh (up to a century) is refused, and nothing is deleted."""
    kept = write_aged(timedelta(days=100))
    with pytest.raises(CommandError, match="--older-than"):
        run_command("purge_audit", "--older-than", older_than)
    assert remaining() == set(kept)


def test_purge_audit_requires_an_age():
    """Without --older-than the command refuses to guess."""
    with pytest.raises(CommandError, match="--older-than"):
        run_command("purge_audit")


@pytest.mark.parametrize("batch_size", ["0", "-1", "many"])
def test_purge_audit_refuses_a_batch_size_below_one(batch_size):
    """--batch-size must be a whole number of at least 1."""
    with pytest.raises(CommandError, match="--batch-size"):
        run_command("purge_audit", "--older-than", "90d", "--batch-size", batch_size)


# --- purge_tokens ------------------------------------------------------------------------------


def _row(refresh_token: str) -> RefreshToken:
    """The `tokens` row of a refresh token (rows keep only a hash of it)."""
    return RefreshToken.objects.get(token_hash=refresh_token_hash(refresh_token))


def _logged_out(session: SignedUpUser, *, ago: timedelta) -> uuid.UUID:
    assert call(session.tenant, "logout", {"refresh_token": session.refresh_token}).status_code == 204
    row = _row(session.refresh_token)
    RefreshToken.objects.filter(pk=row.pk).update(revoked_at=timezone.now() - ago)
    return row.pk


def _expired(session: SignedUpUser) -> uuid.UUID:
    row = _row(session.refresh_token)
    RefreshToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return row.pk


@pytest.fixture
def sessions(tenant) -> dict:
    """Token rows in every state: live, spent by a refresh, expired, and revoked 2 hours or 2 days ago."""
    user = sign_up(tenant)
    refreshed = call(tenant, "token/refresh", {"refresh_token": user.refresh_token})
    assert refreshed.status_code == 200
    live_token = refreshed.json()["refresh_token"]
    return {
        "live_token": live_token,
        "live": _row(live_token).pk,
        "spent": _row(user.refresh_token).pk,
        "expired": _expired(log_in(user)),
        "revoked_2h": _logged_out(log_in(user), ago=timedelta(hours=2)),
        "revoked_2d": _logged_out(log_in(user), ago=timedelta(days=2)),
    }


def token_rows_left(sessions: dict) -> set[str]:
    ids = set(RefreshToken.objects.values_list("token_id", flat=True))
    return {label for label, pk in sessions.items() if label != "live_token" and pk in ids}


@pytest.mark.parametrize(
    ("options", "kept"),
    [
        ((), {"live", "spent", "revoked_2h"}),
        (("--revoked-older-than", "1h"), {"live", "spent"}),
        (("--revoked-older-than", "3d"), {"live", "spent", "revoked_2h", "revoked_2d"}),
    ],
    ids=["default-1d", "1h", "3d"],
)
def test_purge_tokens_deletes_expired_and_long_revoked_rows_only(tenant, sessions, options, kept):
    """Expired rows and rows revoked longer ago than the limit go; live and spent ones stay."""
    output = run_command("purge_tokens", *options)
    assert token_rows_left(sessions) == kept
    assert f"Deleted {5 - len(kept)} token rows." in output.out


def test_a_live_refresh_token_still_works_after_the_purge(tenant, sessions):
    """The purge never touches a live token: it still refreshes afterwards."""
    run_command("purge_tokens", "--revoked-older-than", "1h")
    response = call(tenant, "token/refresh", {"refresh_token": sessions["live_token"]})
    assert response.status_code == 200


def test_purge_tokens_deletes_in_batches_and_reports_each(tenant, sessions):
    """With --batch-size 1, each deleted row is its own reported batch."""
    output = run_command("purge_tokens", "--revoked-older-than", "1h", "--batch-size", "1")
    assert progress_lines(output.out) == [f"  deleted 1 token rows ({n} so far)" for n in (1, 2, 3)]
    assert token_rows_left(sessions) == {"live", "spent"}


def test_purge_tokens_deletes_the_rows_of_expired_mfa_tokens_only(tenant, sessions, sealing_key):
    """A login waiting for its code keeps its row; one whose token expired loses it."""
    totp_user = totp_turn_on(sign_up(tenant, "mfa@example.com"))
    expired, live = totp_user.mfa_token(), totp_user.mfa_token()
    MfaChallenge.objects.filter(pk=uuid.UUID(expired[4:36])).update(expires_at=timezone.now() - timedelta(seconds=1))

    _, records = records_written_by(lambda: run_command("purge_tokens"))

    assert [str(row.pk.hex) for row in MfaChallenge.objects.all()] == [live[4:36]]
    assert [record.metadata["mfa_challenges"] for record in records if record.action == "token_purge"] == [1]


def test_purge_tokens_dry_run_counts_and_deletes_nothing(tenant, sessions):
    """--dry-run prints how many rows would go and leaves them all."""
    output = run_command("purge_tokens", "--dry-run")
    assert "Would delete 2 token rows" in output.out
    assert token_rows_left(sessions) == {"live", "spent", "expired", "revoked_2h", "revoked_2d"}


@pytest.mark.parametrize("age", ["0h", "1w", "yesterday"])
def test_purge_tokens_refuses_a_zero_or_malformed_age(age):
    """--revoked-older-than takes the same positive Nd / Nh ages as purge_audit."""
    with pytest.raises(CommandError, match="--revoked-older-than"):
        run_command("purge_tokens", "--revoked-older-than", age)


def test_purge_tokens_deletes_expired_passkey_challenges_only(tenant):
    """A passkey ceremony under way keeps its challenge; one past its five minutes loses it."""
    passkey_tenant = passkeys_on(tenant)
    expired = call(passkey_tenant, "login/passkey/options", {}).json()["challenge_id"]
    live = call(passkey_tenant, "login/passkey/options", {}).json()["challenge_id"]
    PasskeyChallenge.objects.filter(pk=expired).update(expires_at=timezone.now() - timedelta(seconds=1))

    _, records = records_written_by(lambda: run_command("purge_tokens"))

    assert [str(row.pk) for row in PasskeyChallenge.objects.all()] == [live]
    assert [record.metadata["passkey_challenges"] for record in records if record.action == "token_purge"] == [1]
