"""The rows of accounts' `mail_outbox` become deliveries of kind "mail" (accounts then drops it).

Every row is copied, with its id (a pending mail keeps its Message-ID, and the next worker's
sweep sends it), its status and its history. Historical models only: no live code is imported.
"""

import uuid

from django.db import migrations

BATCH = 1000
SAME_FIELDS = (
    "client_id", "status", "attempts", "next_attempt_at", "lease_until", "last_error", "created_at", "give_up_at", "sent_at",
)


def _copied(model, rows, convert) -> int:
    batch, copied = [], 0
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(model(**convert(row)))
        if len(batch) == BATCH:
            copied += len(model.objects.bulk_create(batch))
            batch = []
    return copied + len(model.objects.bulk_create(batch))


def mail_to_delivery(mail) -> dict:
    return {
        "delivery_id": mail.mail_id,
        "kind": "mail",
        "topic": mail.kind,
        "target": mail.recipient if mail.user_id else "",
        "payload": {"user_id": str(mail.user_id) if mail.user_id else None},
        **{field: getattr(mail, field) for field in SAME_FIELDS},
    }


def delivery_to_mail(delivery) -> dict:
    user_id = delivery.payload.get("user_id")
    return {
        "mail_id": delivery.delivery_id,
        "kind": delivery.topic,
        "recipient": delivery.target,
        "user_id": uuid.UUID(user_id) if user_id else None,
        **{field: getattr(delivery, field) for field in SAME_FIELDS},
    }


def forwards(apps, schema_editor):
    mails = apps.get_model("accounts", "OutboundMail").objects.using(schema_editor.connection.alias)
    _copied(apps.get_model("delivery", "Delivery"), mails.order_by("created_at"), mail_to_delivery)


def backwards(apps, schema_editor):
    deliveries = apps.get_model("delivery", "Delivery").objects.using(schema_editor.connection.alias).filter(kind="mail")
    _copied(apps.get_model("accounts", "OutboundMail"), deliveries.order_by("created_at"), delivery_to_mail)
    deliveries.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("delivery", "0001_initial"),
        ("accounts", "0003_outbound_mail_stand_ins"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
