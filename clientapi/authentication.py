"""DRF authentication by client access key: `Authorization: Bearer ak_<key_id>.<secret>`.

On success `request.auth` is the key's frozen AccessKeySnapshot and `request.user` is None:
the caller is a client's backend, not a user, and the view reads its client from the key
(ClientApi.client). A refused key raises 401 `unauthorized` carrying the problem for the
audit record the exception handler writes; nothing is announced from here.
"""

from rest_framework.authentication import BaseAuthentication, get_authorization_header

from core.errors import Unauthorized
from tenants.access_keys import parse_access_key, secret_matches
from tenants.selectors import access_key_for_request
from tenants.services import access_key_touch

KEYWORD = b"bearer"


def key_refused(problem: str, detail: str) -> Unauthorized:
    """401 for a key problem: "missing", "malformed", "unknown" or "revoked" (audit metadata only)."""
    return Unauthorized(detail, key_problem=problem)


class AccessKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != KEYWORD or len(header) != 2:
            raise key_refused("malformed", "Use the header: Authorization: Bearer <access_key>.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise key_refused("malformed", "The access key is malformed.") from None
        parsed = parse_access_key(raw)
        if parsed is None:
            raise key_refused("malformed", "The access key is malformed.")
        key_id, secret = parsed
        key = access_key_for_request(key_id=key_id)
        if key is None or not secret_matches(secret, key.secret_hash):
            raise key_refused("unknown", "The access key is not valid.")
        if key.revoked:
            raise key_refused("revoked", "The access key has been revoked.")
        access_key_touch(key=key)
        return None, key

    def authenticate_header(self, request):
        return 'Bearer realm="authsvc"'
