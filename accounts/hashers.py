"""Django's BCryptSHA256 hasher with its work factor taken from AUTHSVC_BCRYPT_ROUNDS.

Same algorithm name and hash format as Django's, so hashes stay interchangeable; raising
the rounds later upgrades each hash at its user's next login (Django's `must_update`).
"""

from django.conf import settings
from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class ConfigurableBCryptSHA256PasswordHasher(BCryptSHA256PasswordHasher):
    @property
    def rounds(self) -> int:
        return settings.AUTHSVC_BCRYPT_ROUNDS
