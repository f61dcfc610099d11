"""Per-client webhook endpoints: thin views over webhooks.services and webhooks.selectors."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework.response import Response

from clientapi.api import ClientApi
from clientapi.openapi import WEBHOOKS, client_operation
from core.errors import NotFound
from delivery.errors import UnsafeDestination
from webhooks import selectors, services
from webhooks.errors import WebhookLimitReached
from webhooks.serializers import (
    DeliveriesQuery,
    DeliveryPageOutput,
    WebhookCreatedOutput,
    WebhookCreateInput,
    WebhookListOutput,
    WebhookSecretOutput,
)

SIGNING = (
    "Each message is a POST of `{\"type\", \"timestamp\", \"data\"}` signed per the Standard Webhooks "
    "specification: headers `webhook-id` (the same on every attempt: deduplicate on it), `webhook-timestamp` "
    "and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the secret). "
    "Answer 2xx within 10 seconds; anything else is retried with growing delays for up to three days."
)


@extend_schema_view(
    get=client_operation(
        summary="List this client's webhooks",
        description=(
            "Every webhook of this client, oldest first: URL, events, whether it is enabled (and if not, "
            "why and since when) and its current run of failed attempts. Secrets are never shown again. "
            "Read-only: leaves an audit record only when the call is refused."
        ),
        responses={200: WebhookListOutput},
        tags=[WEBHOOKS],
    )
)
class WebhookListApi(ClientApi):
    action_name = "webhook_list"

    def get(self, request, client_id):
        return Response(WebhookListOutput({"results": selectors.webhook_list(client=self.client)}).data)


@extend_schema_view(
    post=client_operation(
        summary="Add a webhook",
        description=(
            "Registers a URL of yours to receive the listed `events` (`user.created`, `user.login`, ...; "
            "docs/events.md says which events of the catalog each one sends). Answers the webhook with its "
            "signing `secret` (`whsec_…`), shown only here: keep it with your receiver.\n\n"
            f"{SIGNING}\n\n"
            "Errors: 400 `unsafe_url` (naming `url`) for a URL the service may not send to (not https, with "
            "credentials, or resolving to a loopback, private, link-local or metadata address), 400 "
            "`invalid_request` naming `events` for an unknown event (the message lists the valid ones) or any "
            "other invalid field; 409 `webhook_limit_reached` at 10 webhooks."
        ),
        request=WebhookCreateInput,
        responses={201: WebhookCreatedOutput},
        errors=(400, UnsafeDestination, WebhookLimitReached),
        tags=[WEBHOOKS],
        examples=[
            OpenApiExample(
                "webhook",
                request_only=True,
                value={"url": "https://example.com/hooks/auth", "events": ["user.created", "user.deleted"], "description": "CRM sync"},
            )
        ],
    )
)
class WebhookCreateApi(ClientApi):
    action_name = "webhook_create"

    def post(self, request, client_id):
        data = self.validated(WebhookCreateInput)
        created = services.webhook_create(client=self.client, request_meta=self.meta, **data)
        webhook = created.webhook
        answer = {name: getattr(webhook, name) for name in ("webhook_id", "url", "events", "description", "created_at")}
        return Response(WebhookCreatedOutput({**answer, "secret": created.secret}).data, status=201)


class _WebhookApi(ClientApi):
    # Not a docstring (drf-spectacular would publish it): the base of the operations on one webhook.

    def get_webhook(self, webhook_id):
        webhook = selectors.webhook_get(client=self.client, webhook_id=webhook_id)
        if webhook is None:
            raise NotFound("No such webhook.")
        return webhook


@extend_schema_view(
    delete=client_operation(
        summary="Delete a webhook",
        description=(
            "Deletes the webhook and the record of its deliveries; messages still queued for it are not "
            "sent. 404 `not_found` if this client has no such webhook."
        ),
        responses={204: None},
        tags=[WEBHOOKS],
    )
)
class WebhookDeleteApi(_WebhookApi):
    action_name = "webhook_delete"

    def delete(self, request, client_id, webhook_id):
        services.webhook_delete(webhook=self.get_webhook(webhook_id), request_meta=self.meta)
        return Response(status=204)


@extend_schema_view(
    post=client_operation(
        summary="Rotate a webhook's signing secret",
        description=(
            "Answers a new `secret`, shown only here. For 24 hours (`previous_secret_expires_at`) every "
            "message carries two signatures, one per secret, so your receiver keeps verifying while you "
            "deploy the new one; then only the new one signs. 404 `not_found` if this client has no such webhook."
        ),
        request=None,
        responses={200: WebhookSecretOutput},
        tags=[WEBHOOKS],
    )
)
class WebhookSecretRotateApi(_WebhookApi):
    action_name = "webhook_rotate_secret"

    def post(self, request, client_id, webhook_id):
        rotated = services.webhook_secret_rotate(webhook=self.get_webhook(webhook_id), request_meta=self.meta)
        answer = {
            "webhook_id": rotated.webhook.webhook_id,
            "secret": rotated.secret,
            "previous_secret_expires_at": rotated.webhook.previous_secret_expires_at,
        }
        return Response(WebhookSecretOutput(answer).data)


@extend_schema_view(
    get=client_operation(
        summary="A webhook's recent deliveries, newest first",
        description=(
            "One entry per message sent (or to send) to this webhook: its event, status (`pending`, "
            "`sending`, `sent`, `failed` after its retries, `discarded`), attempts so far, the HTTP status "
            "of the last attempt, and when the next attempt is due. `limit` is 1 to 200 (default 50); when "
            "`next` is not null, pass it as `cursor` for the following page. Your receiver's answers are "
            "never shown. 404 `not_found` if this client has no such webhook."
        ),
        parameters=[DeliveriesQuery],
        responses={200: DeliveryPageOutput},
        errors=(400,),
        tags=[WEBHOOKS],
    )
)
class WebhookDeliveriesApi(_WebhookApi):
    action_name = "webhook_deliveries"

    def get(self, request, client_id, webhook_id):
        query = DeliveriesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.webhook_deliveries(webhook=self.get_webhook(webhook_id), **query.validated_data)
        return Response(DeliveryPageOutput({"results": page.results, "next": page.next_cursor}).data)
