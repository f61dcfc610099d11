"""Receiving authsvc's webhooks: each message verified with the Standard Webhooks library.

    receiver = WebhookReceiver(os.environ["AUTHSVC_WEBHOOK_SECRET"])  # whsec_..., from create_webhook

    def hook(request):  # your webhook URL's view
        try:
            event = receiver.verify(request.body, request.headers)
        except WebhookVerificationFailed:
            return HttpResponse(status=400)
        if not already_handled(event.id):  # a message may arrive more than once: deduplicate on its id
            ...  # event.type, event.data["user_id"]
        return HttpResponse(status=204)

Needs the `webhooks` extra (`pip install "./clients/python[webhooks]"`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class WebhookVerificationFailed(Exception):
    """Not a message of ours: a bad or missing signature, or a timestamp more than 5 minutes away."""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified message: `id` (the `webhook-id`, the same on every attempt), `type`, `timestamp`, `data`."""

    id: str
    type: str
    timestamp: str
    data: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)


class WebhookReceiver:
    """Verifies messages signed with a webhook's secret (during a rotation they carry both signatures,
    so the new secret alone verifies them)."""

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)

    def __repr__(self) -> str:
        return "WebhookReceiver(...)"  # never the secret

    def verify(self, body: bytes | str, headers: Mapping[str, str]) -> WebhookEvent:
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            payload = self._webhook.verify(body, lowered)
        except (WebhookVerificationError, ValueError) as exc:  # ValueError: a malformed header or body
            raise WebhookVerificationFailed(str(exc)) from None
        if not isinstance(payload, dict):
            raise WebhookVerificationFailed("the body is not a JSON object")
        return WebhookEvent(
            id=lowered["webhook-id"],
            type=payload.get("type", ""),
            timestamp=payload.get("timestamp", ""),
            data=payload.get("data") or {},
            raw=payload,
        )
