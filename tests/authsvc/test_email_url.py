"""EMAIL_URL's documented `file:///abs/dir` writes mails into that absolute directory."""

import pytest

from authsvc.email_url import email_settings


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///var/mail/authsvc", "/var/mail/authsvc"),
        ("file:///tmp/with%20space", "/tmp/with space"),
        ("file://relative/dir", "relative/dir"),
    ],
)
def test_a_file_url_names_the_directory_it_spells(url, path):
    """Three slashes: an absolute path (dj-email-url alone made it relative to the working directory)."""
    config = email_settings(url)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == path


def test_other_urls_are_dj_email_urls_own(tmp_path):
    """smtp:// and console:// settings are exactly what dj-email-url gives."""
    config = email_settings("smtp://user:secret@mail.example.com:587/?tls=True")
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"], config["EMAIL_USE_TLS"]) == ("mail.example.com", 587, True)
    assert email_settings("console://")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.embedded_default
def test_manage_py_writes_mail_into_the_absolute_directory_of_a_file_url(run_django, tmp_path):
    """`EMAIL_URL=file:///abs/dir`: Django's own sendtestemail leaves its message there, nowhere else."""
    outbox = tmp_path / "mails"
    result = run_django("manage.py", "sendtestemail", "ada@example.com", DJANGO_DEBUG="1", EMAIL_URL=f"file://{outbox}")

    assert result.returncode == 0, result.stderr
    written = list(outbox.iterdir())
    assert len(written) == 1
    assert "ada@example.com" in written[0].read_text()
