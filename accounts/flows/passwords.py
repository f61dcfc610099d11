"""Passwords: the login flow's checks (the real one, and the one spent on an unknown email), and
the one way a new password replaces the old (reset and change)."""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import timezone
from django.utils.crypto import get_random_string

from tenants.models import AbstractTenantUser


@lru_cache(maxsize=4)
def _dummy_password_hash(rounds: int) -> str:
    return make_password(get_random_string(32))


def password_check_spend(password: str) -> None:
    """Same hasher, same rounds as a real check: an unknown email costs what a wrong password costs."""
    check_password(password, _dummy_password_hash(settings.AUTHSVC_BCRYPT_ROUNDS))


def password_matches(user: AbstractTenantUser, password: str) -> bool:
    """Whether `password` is the user's; a hash of an older hasher or cost is upgraded on the way."""

    def upgrade(raw: str) -> None:
        user.password_hash = make_password(raw)
        type(user).objects.filter(pk=user.pk).update(password_hash=user.password_hash)

    return check_password(password, user.password_hash, setter=upgrade)


def password_replace(user: AbstractTenantUser, new_password: str, **also) -> bool:
    """Set the new password (and `also`'s fields) and start a new token generation, only if the hash
    is still the one the caller checked: of two concurrent resets or changes, one applies. False when
    the other did."""
    new_hash = make_password(new_password)
    next_generation = user.current_token_generation + 1
    changed = type(user).objects.filter(pk=user.pk, password_hash=user.password_hash).update(
        password_hash=new_hash, token_generation=next_generation, updated_at=timezone.now(), **also
    )
    if changed != 1:
        return False
    user.password_hash, user.token_generation = new_hash, next_generation
    for name, value in also.items():
        setattr(user, name, value)
    return True
