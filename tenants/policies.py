"""A client's password and lockout policies: two JSON settings (`Client.password_policy`,
`Client.lockout`), each held to a JSON Schema, read as typed, complete policies.

A stored policy may name only some keys (one written before a key existed, or a PATCH that sets
one): the others take their defaults, which are the service's behaviour before the policies
existed. What accounts does with them: accounts.password_policy (the validators of a new password)
and accounts.lockout (consecutive failed logins). docs/api.md §10 is the contract.
"""

from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any, ClassVar

import jsonschema
from django.core.exceptions import ValidationError

# At most this many problems are named in a refusal: a hostile object with thousands of unknown
# keys gets a short answer.
MAX_PROBLEMS = 5


@dataclass(frozen=True)
class Policy:
    SCHEMA: ClassVar[dict]

    @classmethod
    def of(cls, stored: Any) -> "Policy":
        """The policy a stored value means: its keys, the defaults for the others. A value that no
        longer passes the schema (none should) counts as the defaults, never as a failed call."""
        if not isinstance(stored, dict):
            return cls()
        try:
            # Each value's type is in the key: True == 1 for the cache, not for the schema.
            return _policy_of(cls, tuple(sorted((name, type(value).__name__, value) for name, value in stored.items())))
        except TypeError:  # a list or an object as a value: no policy key takes one
            return cls()

    def as_setting(self) -> dict:
        return asdict(self)


# Every login and sign-up reads its client's policies: the few distinct values are checked once.
@lru_cache(maxsize=1024)
def _policy_of(policy: type[Policy], items: tuple) -> Policy:
    stored = {name: value for name, _, value in items}
    if policy_problems(policy, stored):
        return policy()
    defaults = policy()
    known = {field.name for field in fields(policy)}
    return policy(**{name: type(getattr(defaults, name))(value) for name, value in stored.items() if name in known})


@dataclass(frozen=True)
class PasswordPolicy(Policy):
    """What a new password must be (sign-up, reset, change, import). The defaults are the rules
    every client had before: 8 to 1024 characters, no strength floor, common passwords refused."""

    min_length: int = 8
    max_length: int = 1024
    # zxcvbn's score, 0 (guessable in under 10^3 tries) to 4 (over 10^10); 0 runs no estimate.
    min_strength: int = 0
    refuse_common: bool = True

    SCHEMA: ClassVar[dict] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_length": {"type": "integer", "minimum": 8, "maximum": 64},
            # bcrypt-sha256 hashes any length alike; the cap bounds the work of the validators.
            "max_length": {"type": "integer", "minimum": 64, "maximum": 1024},
            "min_strength": {"type": "integer", "minimum": 0, "maximum": 4},
            "refuse_common": {"type": "boolean"},
        },
    }


class LockoutMode:
    OFF = "off"
    THROTTLE = "throttle"  # a wait after each failure past max_failures, doubling, capped
    LOCK = "lock"  # no attempt at all after max_failures, until a reset, staff or forget_after_hours

    CHOICES = (OFF, THROTTLE, LOCK)


@dataclass(frozen=True)
class LockoutPolicy(Policy):
    """What consecutive failed logins of one email cost. Off by default: the per-email and per-IP
    rate limits were, and stay, the only bound unless the client chooses one."""

    mode: str = LockoutMode.OFF
    # NIST SP 800-63B 5.2.2: at most 100 consecutive failed attempts on one account.
    max_failures: int = 10
    max_delay_seconds: int = 900
    # Failures are forgotten this long after the last one counted; a lock lifts then too.
    forget_after_hours: int = 24

    SCHEMA: ClassVar[dict] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {"enum": list(LockoutMode.CHOICES)},
            "max_failures": {"type": "integer", "minimum": 1, "maximum": 100},
            "max_delay_seconds": {"type": "integer", "minimum": 1, "maximum": 86400},
            "forget_after_hours": {"type": "integer", "minimum": 1, "maximum": 720},
        },
    }

    @property
    def enabled(self) -> bool:
        return self.mode != LockoutMode.OFF


def policy_problems(policy: type[Policy], value: Any) -> list[str]:
    """What is wrong with `value` as a setting of `policy`, each naming its key (at most MAX_PROBLEMS)."""
    validator = jsonschema.Draft202012Validator(policy.SCHEMA)
    problems = []
    for error in sorted(validator.iter_errors(value), key=lambda error: [str(part) for part in error.path]):
        where = "/".join(str(part) for part in error.path)
        problems.append(f"{where}: {error.message}" if where else error.message)
        if len(problems) == MAX_PROBLEMS:
            break
    return problems


def _refuse_problems(policy: type[Policy], value: Any) -> None:
    if problems := policy_problems(policy, value):
        raise ValidationError(problems)


# The model fields' validators (the admin's forms and the API's serializers run them too).
def validate_password_policy(value: Any) -> None:
    _refuse_problems(PasswordPolicy, value)


def validate_lockout(value: Any) -> None:
    _refuse_problems(LockoutPolicy, value)


# The settings that are policies, and theirs.
POLICIES: dict[str, type[Policy]] = {"password_policy": PasswordPolicy, "lockout": LockoutPolicy}


def password_policy_default() -> dict:
    return PasswordPolicy().as_setting()


def lockout_default() -> dict:
    return LockoutPolicy().as_setting()


def policy_setting_clean(policy: type[Policy], value: Any) -> dict:
    """A setting as stored: checked (ValidationError naming each problem), every key present."""
    _refuse_problems(policy, value)
    return policy.of(value).as_setting()
