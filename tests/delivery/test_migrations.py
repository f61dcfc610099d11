"""Upgrading moves every `mail_outbox` row into `deliveries`: a mail pending at the upgrade is
still sent, with its Message-ID, and a stand-in stays a stand-in (and back, on a downgrade)."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from delivery.models import Delivery, Status
from tests.accounts.conftest import PASSWORD, call
from tests.conftest import make_tenant
from tests.mail import deliver_queued_mail

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0003_outbound_mail_stand_ins"), ("delivery", "0001_initial")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_pending_mails_and_stand_ins_survive_the_move_to_deliveries_both_ways(smtp_server):
    """Queued before the upgrade (as mail_outbox rows), sent after it, once, as the same message."""
    tenant = make_tenant("Mailer Co", require_email_verification=True)
    assert call(tenant, "signup", {"email": "ada@example.com", "password": PASSWORD}).status_code == 201
    assert call(tenant, "password/forgot", {"email": "nobody@example.com"}).status_code == 202
    mail, stand_in = Delivery.objects.order_by("created_at")
    targets = latest()

    old = migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("accounts", "OutboundMail")
    assert not Delivery.objects.exists()
    rows = {row["mail_id"]: row for row in old.objects.values("mail_id", "user_id", "recipient", "kind", "status")}
    assert rows[mail.pk] == {
        "mail_id": mail.pk, "user_id": uuid.UUID(mail.payload["user_id"]), "recipient": "ada@example.com", "kind": "verify_email", "status": "pending",
    }
    assert (rows[stand_in.pk]["user_id"], rows[stand_in.pk]["recipient"]) == (None, "")

    migrate(targets)
    moved = {row.pk: row for row in Delivery.objects.all()}
    assert (moved[mail.pk].kind, moved[mail.pk].topic, moved[mail.pk].target, moved[mail.pk].payload) == (
        "mail", "verify_email", "ada@example.com", mail.payload
    )
    assert (moved[stand_in.pk].target, moved[stand_in.pk].payload) == ("", {"user_id": None})

    deliver_queued_mail()  # the sweep finds what the upgrade moved
    assert [message["To"] for message in smtp_server.received] == ["ada@example.com"]
    assert str(mail.pk) in smtp_server.received[0]["Message-ID"]
    assert list(Delivery.objects.values_list("status", flat=True)) == [Status.SENT]
