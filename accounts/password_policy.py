"""A client's password policy (tenants.policies.PasswordPolicy) as Django password validators.

Every new password of a client's users (sign-up, reset, change, import) goes through
`validate_password` with the list built here: Django's length, common-password, numeric and
similarity validators, plus the two Django lacks, a maximum length and a strength floor. The
strength is zxcvbn's score (0-4), estimated with the user's email and the client's name as words
an attacker would try first. Messages name the rule and never the password.

zxcvbn's cost: it runs before bcrypt, only for a client whose floor is above 0, and on at most
STRENGTH_PREFIX characters (its own limit; its cost grows with the length): 0.5-2 ms for an
ordinary password, ~21 ms at worst, against ~215 ms of CPU for bcrypt at 12 rounds
(bench/password_strength.py).
"""

import re
import threading
from functools import lru_cache

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

from tenants.models import Client
from tenants.policies import PasswordPolicy

# zxcvbn refuses longer passwords; the estimate of their first 72 characters stands for theirs.
STRENGTH_PREFIX = 72
# zxcvbn keeps the words of each call's user inputs in a module-level dictionary, so two threads
# estimating at once could each use the other's words: one estimate at a time per process.
_estimating = threading.Lock()


class MaximumLengthValidator:
    """The password has at most `max_length` characters (Django has only a minimum)."""

    def __init__(self, max_length: int):
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long. It must contain at most {self.max_length} characters.", code="password_too_long"
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at most {self.max_length} characters."


class StrengthValidator:
    """zxcvbn's score of the password is at least `min_score`; the user's email and the client's
    name count as known words (a password made of them is easy to guess)."""

    def __init__(self, min_score: int, client_name: str = ""):
        self.min_score = min_score
        self.client_words = _words(client_name)

    def validate(self, password: str, user=None) -> None:
        known = [*self.client_words, *_words(getattr(user, "email", "") or "")]
        with _estimating:
            estimate = zxcvbn(password[:STRENGTH_PREFIX], user_inputs=known)
        if estimate["score"] < self.min_score:
            # zxcvbn's warnings are fixed sentences ("This is a top-10 common password."), never the password.
            warning = estimate["feedback"]["warning"]
            raise ValidationError(
                f"This password is too easy to guess (score {estimate['score']}, the client requires {self.min_score})."
                + (f" {warning}" if warning else ""),
                code="password_too_weak",
            )

    def get_help_text(self) -> str:
        return f"Your password must be hard to guess: a zxcvbn score of at least {self.min_score} (of 4)."


def _words(text: str) -> list[str]:
    """`text` and its words (an email's local part and domain labels, a name's words): zxcvbn
    matches whole dictionary entries, so `ada` must be one for `Ada2024!` to count as guessable."""
    words = [part for part in re.split(r"[^\w]+", text.lower()) if len(part) >= 3]
    return [text.lower(), *words] if text else []


def password_validators_for(client: Client) -> tuple:
    """The validators a new password of `client`'s users must pass, built from its policy."""
    return policy_validators(PasswordPolicy.of(client.password_policy), client.client_name)


def policy_validators(policy: PasswordPolicy, client_name: str) -> tuple:
    # In the order of the settings' list before the policies, whose messages clients have seen. Built
    # per call (each is a few attributes), but for the common-password list, read once per process.
    return (
        password_validation.UserAttributeSimilarityValidator(),
        password_validation.MinimumLengthValidator(policy.min_length),
        MaximumLengthValidator(policy.max_length),
        *([_common_passwords()] if policy.refuse_common else []),
        password_validation.NumericPasswordValidator(),
        *([StrengthValidator(policy.min_strength, client_name)] if policy.min_strength > 0 else []),
    )


@lru_cache(maxsize=1)
def _common_passwords() -> password_validation.CommonPasswordValidator:
    """Django's 20,000 common passwords, which each instance reads from disk and keeps (~2 MB)."""
    return password_validation.CommonPasswordValidator()
