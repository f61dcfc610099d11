"""The error codes of the webhooks context."""

from core.errors import ServiceError


class WebhookLimitReached(ServiceError):
    code = "webhook_limit_reached"
    status_code = 409
    default_detail = "This client has as many webhooks as it may; delete one first."
    meaning = "The client already has the most webhooks it may have (10): delete one first."
