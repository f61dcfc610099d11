"""HTTP surface of the tenants context: registration, the client's own record, its docs page."""

from django.conf import settings
from django.utils.crypto import constant_time_compare
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.authentication import get_authorization_header
from rest_framework.response import Response
from rest_framework.views import APIView

from clientapi.api import ClientApi
from clientapi.openapi import CLIENTS, client_operation, error_responses
from clientapi.ratelimits import enforce_rate_limit
from clients.serializers import ClientOutput, ClientRegisterInput, ClientRegisterOutput, ClientSettingsInput
from core.errors import Forbidden, Unauthorized
from core.request_meta import ip_bucket, peer_ip, request_meta
from tenants import services
from tenants.selectors import documentation_url, registration_mode


def _check_registration_allowed(request) -> None:
    mode = registration_mode()
    if mode == "open":
        return
    if mode == "closed":
        raise Forbidden(
            "Registration is closed on this service; its staff create clients "
            "(admin, or manage.py create_client)."
        )
    expected = settings.AUTHSVC_REGISTRATION_TOKEN
    parts = get_authorization_header(request).split()
    presented = parts[1].decode("latin-1") if len(parts) == 2 and parts[0].lower() == b"bearer" else ""
    if not constant_time_compare(presented, expected):
        raise Unauthorized("Registration needs Authorization: Bearer <registration token>.")


REGISTRATION_REFUSALS = (
    (Unauthorized, "This service takes registrations with its registration token, and it is missing or wrong."),
    (Forbidden, "Registration is closed on this service: its staff create clients."),
)


@extend_schema_view(
    post=extend_schema(
        summary="Register a client",
        description=(
            "Registers your company as a client and answers its `client_id`, its first access key and "
            "the URL of its documentation page. Call it once, by hand or from a setup script.\n\n"
            "The access key is shown only in this answer and stored only as a hash: keep it in your "
            "backend's secrets. It authenticates every other call as `Authorization: Bearer` followed by "
            "the key. Staff can issue more keys later.\n\n"
            "Needs no access key. If the service is configured with a registration token, send it as "
            "`Authorization: Bearer` followed by that token (else 401 `unauthorized`); where the "
            "operator closed registration it answers 403 `forbidden`. An unknown "
            "`industry` answers 400 with the list of valid ones in `fields.industry`. Registrations are "
            "rate limited per IP address (429)."
        ),
        request=ClientRegisterInput,
        responses={201: ClientRegisterOutput, **error_responses(400, *REGISTRATION_REFUSALS)},
        tags=[CLIENTS],
        examples=[
            OpenApiExample("register", request_only=True, value={"client_name": "AI Platform", "industry": "AI/ML"})
        ],
        auth=[],
    )
)
class ClientRegisterApi(APIView):
    """POST /api/v1/clients/register: a new client, its first access key (shown once) and collection."""

    # Refusals are announced as this action by the exception handler, with no client.
    action_name = "client_register"

    def post(self, request):
        # Counted before the token check, so guessing the registration token is limited too.
        self._limit_per_ip(request)
        _check_registration_allowed(request)
        data = ClientRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        registered = services.client_register(**data.validated_data, request_meta=request_meta(request, key_is_valid=False))
        client = registered.client
        body = ClientRegisterOutput(
            {
                "client_id": client.client_id,
                "client_name": client.client_name,
                "industry": client.industry,
                "access_key": registered.access_key,
                "documentation_url": documentation_url(client),
                "created_at": client.created_at,
            }
        ).data
        return Response(body, status=201)

    def _limit_per_ip(self, request) -> None:
        bucket = ip_bucket(peer_ip(request))
        if bucket is None:  # no address we could parse: nothing valid to key a bucket on
            return
        enforce_rate_limit(
            group="client_register",
            key=bucket,
            rate=settings.AUTHSVC_REGISTRATION_RATE,
            attempted="client_register",
            limit="registration_ip",
        )


@extend_schema_view(
    get=client_operation(
        summary="The calling client's settings",
        description=(
            "Answers the settings of the client the access key belongs to: name, industry, whether it "
            "is active, whether email verification is required, its custom fields schema, its refresh "
            "reuse interval (seconds; 0 is strict rotation), its mail settings (`PATCH` changes them) and "
            "its documentation URL. It changes nothing, which makes it the cheap way to check that a key "
            "works (at start-up, or after a key rotation).\n\n"
            "401 `unauthorized` for a missing, unknown or revoked key; 403 `forbidden` for another "
            "client's key or a disabled client. Read-only: leaves an audit record only when refused."
        ),
        responses={200: ClientOutput},
        tags=[CLIENTS],
    )
)
class ClientDetailApi(ClientApi):
    action_name = "client_get"

    def get(self, request, client_id):
        return Response(ClientOutput(self.client).data)


SETTINGS_EXAMPLE = {
    "verify_email_url": "https://app.example.com/verify?lang=en",
    "reset_password_url": "https://app.example.com/reset",
    "mail_sender_name": "Example App",
    "mail_reply_to": "support@example.com",
    "mail_templates": {
        "verify_email": {
            "subject": "Confirm your address for {client_name}",
            "text": "Hello,\n\nconfirm {email} by opening {link}\n\nThe link expires in {expires_in}.",
        }
    },
}


@extend_schema_view(
    patch=client_operation(
        summary="Change the calling client's settings",
        description=(
            "Changes the settings given, and only those (each is optional; `null` unsets an optional one), "
            "and answers all of them as `GET` does. The same rules as at registration apply: `client_name` "
            "is plain text, `industry` one of the list, `custom_fields_schema` a safe JSON Schema.\n\n"
            "Mail in your name: `verify_email_url` and `reset_password_url` are your own pages for the "
            "links we mail (https; the token is added to their query as `token=...`: your page's backend "
            "then calls `email/verify` or `password/reset` with it); `mail_sender_name` is the display "
            "name of the mails' From (the address stays ours); `mail_reply_to` sets their Reply-To; "
            "`mail_templates` replaces the subject and text of the verification and reset mails, with "
            "the placeholders `{link}`, `{client_name}`, `{email}` and `{expires_in}` only.\n\n"
            "Any key that is not a setting, or that you cannot set (`client_id`, `is_active`, "
            "`created_at`, `rate_limits`, which staff set), is a 400 `invalid_request` naming it in "
            "`fields`, and nothing changes; so does a refused value. Each change leaves one audit "
            "record (`client_update`) naming the settings changed; a call that changes nothing leaves none. "
            "The next call with any key of this client sees the new settings."
        ),
        request=ClientSettingsInput,
        responses={200: ClientOutput},
        errors=(400,),
        tags=[CLIENTS],
        examples=[OpenApiExample("mail in your name", request_only=True, value=SETTINGS_EXAMPLE)],
    )
)
class ClientSettingsUpdateApi(ClientApi):
    action_name = "client_update"

    def patch(self, request, client_id):
        data = ClientSettingsInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        client = services.client_settings_update(client=self.client, changes=data.validated_data, surface="api", request_meta=self.meta)
        return Response(ClientOutput(client).data)
