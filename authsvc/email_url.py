"""EMAIL_URL → Django's EMAIL_* settings, through dj-email-url, with its file:// quirk fixed."""

from urllib.parse import unquote, urlsplit

import dj_email_url


def email_settings(url: str) -> dict:
    """dj-email-url's settings for `url`; `file:///abs/dir` writes to the absolute /abs/dir.

    dj-email-url drops the leading slash of a file URL's path, so `file:///abs/dir` became the
    relative `abs/dir` under whatever the working directory was. RFC 8089 says the path after
    `file://` is absolute; `file://dir/sub` (a host part) stays relative, as it was.
    """
    config = dj_email_url.parse(url)
    parts = urlsplit(url)
    if parts.scheme == "file":
        config["EMAIL_FILE_PATH"] = unquote(f"{parts.netloc}{parts.path}" if parts.netloc else parts.path)
    return config
