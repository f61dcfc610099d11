"""The password hashers: ours, and the one raw bcrypt hashes brought by an import are checked with.

`ConfigurableBCryptSHA256PasswordHasher`: Django's BCryptSHA256 with its work factor taken from
AUTHSVC_BCRYPT_ROUNDS. Same algorithm name and hash format as Django's, so hashes stay
interchangeable; raising the rounds later upgrades each hash at its user's next login (Django's
`must_update`).

`ImportedBCryptPasswordHasher`: Django's BCryptPasswordHasher (`bcrypt$<raw bcrypt hash>`), for the
hashes of other providers (accounts/imported_hashes.py). bcrypt reads at most 72 bytes of a password;
the systems that made those hashes dropped the rest, and the bcrypt library now refuses a longer
password instead of dropping it, so this hasher hands it the first 72 bytes, as they did. The hash is
replaced by one of ours at the user's first login.
"""

import bcrypt
from django.conf import settings
from django.contrib.auth.hashers import BCryptPasswordHasher, BCryptSHA256PasswordHasher

BCRYPT_MAX_PASSWORD_BYTES = 72


class ConfigurableBCryptSHA256PasswordHasher(BCryptSHA256PasswordHasher):
    @property
    def rounds(self) -> int:
        return settings.AUTHSVC_BCRYPT_ROUNDS


class ImportedBCryptPasswordHasher(BCryptPasswordHasher):
    def encode(self, password, salt):
        data = bcrypt.hashpw(password.encode()[:BCRYPT_MAX_PASSWORD_BYTES], salt)
        return f"{self.algorithm}${data.decode('ascii')}"
