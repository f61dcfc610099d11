"""DRF authentication by client access key: `Authorization: Bearer ak_<key_id>.<secret>`.

On success `request.user` is the Client (an instance of this request's own) and `request.auth`
the key's frozen AccessKeySnapshot; `request.client` is set too, for code that reads better with it. Refusals are announced (for audit) and
answered 401 `unauthorized` with `WWW-Authenticate: Bearer`.
"""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from tenants.access_keys import parse_access_key, secret_matches
from tenants.permissions import announce_refusal
from tenants.selectors import access_key_for_request
from tenants.services import access_key_touch

KEYWORD = b"bearer"


def _refuse(request, reason: str, detail: str):
    announce_refusal(request, request.parser_context.get("view"), reason=reason)
    raise exceptions.AuthenticationFailed(detail)


class AccessKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != KEYWORD or len(header) != 2:
            _refuse(request, "malformed", "Use the header: Authorization: Bearer <access_key>.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            _refuse(request, "malformed", "The access key is malformed.")
        parsed = parse_access_key(raw)
        if parsed is None:
            _refuse(request, "malformed", "The access key is malformed.")
        key_id, secret = parsed
        key = access_key_for_request(key_id=key_id)
        if key is None or not secret_matches(secret, key.secret_hash):
            _refuse(request, "unknown", "The access key is not valid.")
        if key.revoked:
            _refuse(request, "revoked", "The access key has been revoked.")
        access_key_touch(key=key)
        client = key.client.to_client()
        request._request.client = client
        return client, key

    def authenticate_header(self, request):
        return 'Bearer realm="authsvc"'
