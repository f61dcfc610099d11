"""The ways a login's second step can be proven, in the order `methods` lists them.

A method names itself (`key`, what the login answer's `methods` lists), the body field its proof
comes in (`proof_field`: `code` for both built-in ones; the passkey method of
accounts.flows.passkey_login reads `passkey_credential`), whether a user has it (`offered`), and
checks a proof in two steps: `check` reads only and says whether the proof is right; the `Checked` it answers `use`s it up, atomically
and once. Between the two, `login/mfa` spends the mfa_token (one conditional update), so a right
proof costs no statement on the token beyond that. `login/mfa` tries the offered methods whose
proof field was sent, in order; the first that recognises the proof decides. A later factor
registers its method with `mfa_method_register` (from its app's `ready()`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from accounts.mfa_events import MfaVerified, RecoveryCodeUsed
from accounts.mfa_factors import TOTP, mfa_write, recovery_digests, totp_on, totp_state
from accounts.recovery_codes import recovery_code_match, recovery_code_normal
from accounts.totp import CODE_SHAPE, totp_step_of
from core.events import Event
from core.request_meta import RequestMeta
from crypto.sealed import unseal
from tenants.models import AbstractTenantUser, Client


@dataclass(frozen=True)
class Proof:
    """A spent proof: the event that announces the finished login, and its fields beyond the envelope."""

    event: type[Event]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Checked:
    """A proof found right, nothing written yet: `use()` spends it (None when another call spent it first)."""

    use: Callable[[], Proof | None]


class MfaMethod(Protocol):
    key: ClassVar[str]
    proof_field: ClassVar[str]

    def offered(self, mfa: dict) -> bool: ...

    def recognises(self, proof: object) -> bool:
        """Whether `proof` has this method's shape (a wrong proof of the right shape is still a try)."""

    def check(self, *, client: Client, user: AbstractTenantUser, proof: object, request_meta: RequestMeta | None = None) -> Checked | None:
        """Whether `proof` is right, reading only: a Checked that uses it up (once, across processes), else None.
        (`request_meta` for an event the check itself publishes: a passkey's counter that went back.)"""


class TotpMethod:
    key = TOTP
    proof_field = "code"

    def offered(self, mfa: dict) -> bool:
        return totp_on(mfa)

    def recognises(self, proof: object) -> bool:
        return isinstance(proof, str) and CODE_SHAPE.fullmatch(proof) is not None

    def check(self, *, client: Client, user: AbstractTenantUser, proof: object, request_meta: RequestMeta | None = None) -> Checked | None:
        sealed = totp_state(user.mfa).get("secret_sealed")
        step = totp_step_of(proof, unseal(sealed)) if sealed else None
        last = totp_state(user.mfa).get("last_used_step")
        if step is None or (last is not None and step <= last):
            return None

        def use_step(mfa: dict) -> dict | None:
            totp = totp_state(mfa)
            # The secret checked must still be the one on, and each step is accepted once, in order.
            last = totp.get("last_used_step")
            if not totp.get("confirmed") or totp.get("secret_sealed") != sealed or (last is not None and step <= last):
                return None
            mfa[TOTP] = {**totp, "last_used_step": step}
            return mfa

        return Checked(lambda: Proof(MfaVerified, {"method": self.key}) if mfa_write(user, use_step) is not None else None)


class RecoveryCodeMethod:
    key = "recovery_code"
    proof_field = "code"

    def offered(self, mfa: dict) -> bool:
        return bool(recovery_digests(mfa))

    def recognises(self, proof: object) -> bool:
        return isinstance(proof, str) and recovery_code_normal(proof) is not None

    def check(self, *, client: Client, user: AbstractTenantUser, proof: object, request_meta: RequestMeta | None = None) -> Checked | None:
        ids = {"client_id": client.client_id, "user_id": user.user_id}
        digest = recovery_code_match(proof, recovery_digests(user.mfa), **ids)
        if digest is None:
            return None

        def use_code(mfa: dict) -> dict | None:
            digests = recovery_digests(mfa)
            if digest not in digests:
                return None  # spent by a concurrent login, or replaced by a new set
            digests.remove(digest)
            mfa["recovery_codes"] = {**mfa["recovery_codes"], "digests": digests}
            return mfa

        def use() -> Proof | None:
            saved = mfa_write(user, use_code)
            return None if saved is None else Proof(RecoveryCodeUsed, {"codes_left": len(recovery_digests(saved))})

        return Checked(use)


_methods: tuple[MfaMethod, ...] = (TotpMethod(), RecoveryCodeMethod())


def mfa_methods() -> tuple[MfaMethod, ...]:
    return _methods


def mfa_method_register(method: MfaMethod) -> None:
    global _methods
    if any(known.key == method.key for known in _methods):
        raise ValueError(f"An MFA method {method.key!r} is already registered.")
    _methods = (*_methods, method)


def methods_offered(mfa: dict) -> list[str]:
    return [method.key for method in _methods if method.offered(mfa)]
