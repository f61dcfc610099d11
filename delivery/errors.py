"""The error codes of the delivery context: destinations a client may give us."""

from core.errors import ServiceError


class UnsafeDestination(ServiceError):
    code = "unsafe_url"
    status_code = 400
    default_detail = "The URL must be https and its host must resolve only to public addresses."
    meaning = (
        "A URL we would deliver to (a webhook's) is not an https URL without credentials, or its "
        "host does not resolve only to public addresses (loopback, private, link-local, metadata...)."
    )

    def __init__(self, detail: str | None = None, *, reason: str = "", field: str = "url"):
        # `reason` is for our logs and tests: it may name a resolved address, which a client
        # must not learn about our network (the detail says the same for every address).
        self.reason = reason or detail or self.default_detail
        super().__init__(detail, fields={field: [detail or self.default_detail]})
