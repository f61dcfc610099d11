"""Request lines are logged with their path and without their query string.

A mailed link's first request carries its token as `?token=...` (accounts/link_pages.py), and a
log line must not hold a credential. gunicorn's access log keeps to the rule by logging the path
atom `%(U)s` alone (gunicorn.conf.py); this filter keeps `manage.py runserver`'s request lines
(the `django.server` logger, settings.LOGGING) to it.
"""

import logging
import re

# From the "?" to the end of the request target: a request line's target ends at a space, and
# a malformed one quoted in an error message at a quote.
QUERY_STRING = re.compile(r"\?[^\s'\"]*")


def without_query_string(text: str) -> str:
    return QUERY_STRING.sub("", text)


class WithoutQueryStrings(logging.Filter):
    """Drops the query string from a record's text arguments (the request line, or the bad request quoted)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(without_query_string(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
