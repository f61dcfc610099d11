"""Without DJANGO_SECRET_KEY every process of one installation uses one key, generated once into var/."""

import hashlib
import stat
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tests.authsvc.conftest import django_environment

pytestmark = pytest.mark.embedded_default

# A digest, so the test output never shows the key itself.
PRINT_KEY_DIGEST = """
import hashlib, django
django.setup()
from django.conf import settings

print(hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest())
"""


def test_two_processes_without_a_secret_key_agree_on_the_generated_one(var_dir):
    """Started together on a fresh var dir with DEBUG off, both use the key in var/secret_key, mode 0600."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY_DIGEST],
            cwd=django_settings.BASE_DIR,
            env=django_environment(var_dir, AUTHSVC_PUBLIC_URL="http://127.0.0.1:8000"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    digests = {stdout.strip() for stdout, _ in outputs}
    key_file = var_dir / "secret_key"
    assert digests == {hashlib.sha256(key_file.read_text().strip().encode()).hexdigest()}
    assert len(key_file.read_text().strip()) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in var_dir.iterdir() if path.name.startswith(".secret_key")] == []
