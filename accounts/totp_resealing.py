"""Where TOTP secrets are sealed, for `manage.py reseal_secrets` (crypto.resealing): in the `mfa` JSON of
each client's users table. Only rows whose factors were ever written (`mfa_revision` above 0) are read."""

from collections.abc import Iterator

from accounts.mfa_factors import TOTP, mfa_write, totp_state
from accounts.selectors import user_get
from crypto.resealing import SealedColumn
from tenants.models import Client
from tenants.user_models import user_model_for

NAME = "users.totp_secret"


def _sealed() -> Iterator[tuple[tuple[Client, object], str]]:
    # A list of the clients, not an open cursor: each client's users are read in turn.
    for client in list(Client.objects.only("client_id", "users_database").order_by("pk")):
        users = user_model_for(client).objects.filter(mfa_revision__gt=0).order_by("pk").values_list("user_id", "mfa")
        for user_id, mfa in users.iterator():
            token = totp_state(mfa or {}).get("secret_sealed")
            if token:
                yield (client, user_id), token


def _replace(key: tuple[Client, object], old: str, new: str) -> bool:
    """Store `new` only while the user's secret is still `old` (the factors' compare-and-set)."""
    client, user_id = key
    user = user_get(client=client, user_id=user_id)
    if user is None:
        return False

    def swap(mfa: dict) -> dict | None:
        totp = totp_state(mfa)
        return {**mfa, TOTP: {**totp, "secret_sealed": new}} if totp.get("secret_sealed") == old else None

    return mfa_write(user, swap) is not None


def totp_secrets_column() -> SealedColumn:
    return SealedColumn(name=NAME, count=lambda: sum(1 for _ in _sealed()), rows=_sealed, replace=_replace)
