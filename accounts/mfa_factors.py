"""A user's second factors, as kept in the `mfa` JSON of their row, and the one way to change them.

    {"totp": {"secret_sealed", "confirmed", "created_at", "confirmed_at", "last_used_step"},
     "recovery_codes": {"digests": [...], "created_at"},
     "passkeys": [{"passkey_id", "credential_id", "public_key", "sign_count", ...}]}

One key per factor (accounts/passkeys.py describes a passkey's). Nothing here is a secret in clear:
the TOTP secret is sealed (crypto/sealed.py), recovery codes are digests (accounts/recovery_codes.py),
a passkey's public key is public.

Every change goes through `mfa_write`: a compare-and-set on the row's `mfa_revision`, which each
write raises. Two processes spending the same TOTP step or recovery code both read revision n;
one update matches it, the other matches nothing, reads the row again and finds the step or code
already spent. The conditional update is atomic on every store (one row, one statement).
"""

import copy
from collections.abc import Callable

from django.utils import timezone

from core.updates import row_update_if
from tenants.models import AbstractTenantUser

TOTP, RECOVERY_CODES, PASSKEYS = "totp", "recovery_codes", "passkeys"
# Reads after a lost compare-and-set; each loss means another write landed, so this is plenty.
WRITE_TRIES = 8


def totp_state(mfa: dict) -> dict:
    return mfa.get(TOTP) or {}


def totp_on(mfa: dict) -> bool:
    return bool(totp_state(mfa).get("confirmed"))


def recovery_digests(mfa: dict) -> list[str]:
    return list((mfa.get(RECOVERY_CODES) or {}).get("digests") or [])


def passkey_count(mfa: dict) -> int:
    return len(mfa.get(PASSKEYS) or ())


def confirmed_factors(mfa: dict) -> tuple[str, ...]:
    """The factors a login can be asked for (recovery codes only back these up)."""
    return ((TOTP,) if totp_on(mfa) else ()) + (("passkey",) if passkey_count(mfa) else ())


def mfa_summary(mfa: dict) -> dict:
    """What the API shows of a user's factors: never a secret, never a digest."""
    return {"totp": totp_on(mfa), "passkeys": passkey_count(mfa), "recovery_codes_left": len(recovery_digests(mfa))}


def now_text() -> str:
    return timezone.now().isoformat()


def mfa_write(user: AbstractTenantUser, change: Callable[[dict], dict | None]) -> dict | None:
    """Apply `change` (given a copy of the factors, it returns them changed, or None to refuse) and
    save, only if no other write came in between; otherwise read again and ask `change` again.
    Returns the factors saved (also set on `user`), or None when `change` refused or the user is gone."""
    model = type(user)
    mfa, revision = user.mfa or {}, user.mfa_revision or 0
    for _ in range(WRITE_TRIES):
        changed = change(copy.deepcopy(mfa))
        if changed is None:
            return None
        now = timezone.now()
        written = {"mfa": changed, "mfa_revision": revision + 1, "updated_at": now}
        if row_update_if(model, user.pk, expected={"mfa_revision": revision}, changes=written):
            user.mfa, user.mfa_revision, user.updated_at = changed, revision + 1, now
            return changed
        current = model.objects.filter(pk=user.pk).values_list("mfa", "mfa_revision").first()
        if current is None:
            return None
        mfa, revision = current[0] or {}, current[1] or 0
    return None
