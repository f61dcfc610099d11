"""What a client's strength floor (`password_policy.min_strength`, zxcvbn) adds to a sign-up (bench/README.md).

A new password goes through the client's validators before it is hashed. With a floor above 0,
that includes one zxcvbn estimate. For a set of passwords (typical, long, the worst shapes found:
72 characters of repeats, the most zxcvbn reads), this prints the CPU time (time.process_time,
median and max of the repeats) of: the estimate alone; the whole validator list with the floor
(accounts.password_policy, as sign-up runs it) and without it; and, for scale, one bcrypt-sha256
hash at 12 rounds (the production default), which every sign-up pays after the validators.

    .venv/bin/python bench/password_strength.py             # ~15 s
    .venv/bin/python bench/password_strength.py --repeat 3
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsvc.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import bcrypt  # noqa: E402
import django  # noqa: E402

django.setup()

from django.contrib.auth import password_validation  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from zxcvbn import zxcvbn  # noqa: E402

from accounts.password_policy import STRENGTH_PREFIX, policy_validators  # noqa: E402
from tenants.policies import PasswordPolicy  # noqa: E402

EMAIL, CLIENT_NAME = "ada.lovelace@example.com", "Analytical Engines"
PASSWORDS = {
    "common (password123)": "password123",
    "typical (Summer2024!)": "Summer2024!",
    "passphrase, 30 chars": "Correct-horse-battery-staple-9",
    "random, 16 chars": "q8#Lm2$vZ9pW-tr0",
    "repeats, 72 chars": "x" * 72,
    "repeated pattern, 72 chars": "aB3!" * 18,
    "random, 1,000 chars (72 read)": hashlib.sha512(b"seed").hexdigest() * 8 + "x" * 488,
}


class User:
    email = EMAIL


def cpu_ms(action, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        action()
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples), max(samples)


def validate(validators, password: str) -> None:
    try:
        password_validation.validate_password(password, user=User(), password_validators=validators)
    except ValidationError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    repeat = parser.parse_args().repeat
    with_floor, without = policy_validators(PasswordPolicy(min_strength=3), CLIENT_NAME), policy_validators(PasswordPolicy(), CLIENT_NAME)
    validate(without, "warm-up: the common-password list is read once per process")
    salt = bcrypt.gensalt(12)
    bcrypt_ms, _ = cpu_ms(lambda: bcrypt.hashpw(hashlib.sha256(b"x").hexdigest().encode(), salt), max(3, repeat // 3))

    print(f"bcrypt-sha256, 12 rounds: {bcrypt_ms:.0f} ms CPU (median)\n")
    print("| password | score | zxcvbn (median / max ms) | validators with floor 3 | without floor | floor / bcrypt |")
    print("|---|---|---|---|---|---|")
    for name, password in PASSWORDS.items():
        print(row(name, password, repeat=repeat, validators=(with_floor, without), bcrypt_ms=bcrypt_ms))


def row(name: str, password: str, *, repeat: int, validators: tuple, bcrypt_ms: float) -> str:
    with_floor, without = validators
    prefix = password[:STRENGTH_PREFIX]
    score = zxcvbn(prefix, user_inputs=[EMAIL, CLIENT_NAME])["score"]
    estimate = cpu_ms(lambda: zxcvbn(prefix, user_inputs=[EMAIL, CLIENT_NAME]), repeat)
    floor = cpu_ms(lambda: validate(with_floor, password), repeat)
    plain = cpu_ms(lambda: validate(without, password), repeat)
    share = (floor[0] - plain[0]) / bcrypt_ms
    return (
        f"| {name} | {score} | {estimate[0]:.2f} / {estimate[1]:.2f} | {floor[0]:.2f} / {floor[1]:.2f} "
        f"| {plain[0]:.2f} / {plain[1]:.2f} | {share:.1%} |"
    )

if __name__ == "__main__":
    main()
