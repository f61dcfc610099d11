"""The errors of sealing (crypto.sealed). They keep the API codes of their parents, so the
contract's list of codes is unchanged: an operator's missing key is `service_unavailable`, a
sealed value no listed key opens is `server_error`. `reason` says which, for logs and tests."""

from core.errors import ServerError, ServiceUnavailable


class SealingError(Exception):
    """Base of both, for callers that treat any sealing failure alike (a mail worker retries)."""

    reason = ""


class SealingUnavailable(SealingError, ServiceUnavailable):
    """No sealing key is configured (DEBUG off, AUTHSVC_SEALING_KEYS unset): nothing can be sealed
    or unsealed. Only what needs sealing fails; the rest of the service works."""

    reason = "no_sealing_keys"
    default_detail = (
        "This service cannot store secrets: its operator has not set AUTHSVC_SEALING_KEYS. "
        "Ask them to set it, then try again."
    )


class SealedSecretUnreadable(SealingError, ServerError):
    """A sealed value that none of AUTHSVC_SEALING_KEYS opens: made under a key no longer listed,
    or not a sealed value at all. Never the value or a key in the text."""

    reason = "unknown_sealing_key"
    default_detail = "A stored secret cannot be read with the configured AUTHSVC_SEALING_KEYS."
