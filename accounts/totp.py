"""TOTP (RFC 6238) through pyotp: new secrets, the otpauth:// URI authenticator apps scan, and which
time step a code belongs to (so that each step is accepted once, accounts/mfa_methods.py).

Six digits, 30-second steps, SHA-1: what every authenticator app supports. A code of the step
before or after the current one is accepted too (clock drift, a code typed as it rolled over).
"""

import re
import time
import unicodedata
from urllib.parse import quote, urlencode

import pyotp
from pyotp import OTPVerificationError

DIGITS = 6
PERIOD_SECONDS = 30
VALID_WINDOW = 1  # steps either side of the current one
CODE_SHAPE = re.compile(r"[0-9]{6}")
# pyotp's default: 32 base32 characters, 160 bits (RFC 4226's recommended key length).
SECRET_LENGTH = 32


def totp_secret_new() -> str:
    return pyotp.random_base32(length=SECRET_LENGTH)


def totp_step_of(code: str, secret: str, *, now: float | None = None) -> int | None:
    """The time step (counter) `code` is the code of, within the accepted window; None when it is none's."""
    if not isinstance(code, str) or CODE_SHAPE.fullmatch(code) is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD_SECONDS)
    try:
        return totp.verify_and_get_timecode(code, for_time=time.time() if now is None else now, valid_window=VALID_WINDOW)
    except OTPVerificationError:
        return None


def _label_part(text: str) -> str:
    """The Key URI format reserves ':' between issuer and account, and apps show the label as one line."""
    visible = "".join(" " if unicodedata.category(ch)[0] in "CZ" or ch == ":" else ch for ch in text)
    return " ".join(visible.split())


def otpauth_uri(secret: str, *, issuer: str, account: str) -> str:
    """otpauth://totp/<issuer>:<account>?secret=…&issuer=… with every part percent-encoded.

    Built here rather than by pyotp's provisioning_uri, which leaves '/' unencoded in the label: a
    client named "A/B" would put a path segment in the URI. The issuer is the client's name, which
    the client chose (hostile input, docs/api.md §8): it is shown by the app, never interpreted.
    """
    issuer, account = _label_part(issuer), _label_part(account)
    label = f"{quote(issuer, safe='')}:{quote(account, safe='@')}"
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": PERIOD_SECONDS}, quote_via=quote
    )
    return f"otpauth://totp/{label}?{query}"
