"""One URL, one API class per HTTP method.

Django routes a path to one view, so `GET`, `PATCH` and `DELETE /users/{id}` would share a class
that switches on the method. `by_method` keeps one class per operation (its own action name,
input and output serializers, schema) behind one path; `split_by_method`, a drf-spectacular
preprocessing hook, shows the schema generator each method's own class.
"""

from rest_framework.views import APIView


def by_method(**operations: type[APIView]):
    """A view for one path that hands each request to the API class of its method."""
    handlers = {method.upper(): api.as_view() for method, api in operations.items()}
    allowed = ", ".join([*handlers, "OPTIONS"])
    first = next(iter(handlers.values()))

    def view(request, *args, **kwargs):
        method = "GET" if request.method == "HEAD" and "GET" in handlers else request.method
        response = handlers.get(method, first)(request, *args, **kwargs)
        if method not in handlers:
            # The first class answered (405, or OPTIONS); the path takes every method here.
            response["Allow"] = allowed
        return response

    # What DRF's and drf-spectacular's endpoint discovery read: a view class listing the methods.
    view.cls = type("ByMethod", (APIView,), {method.lower(): _unused for method in handlers})
    view.initkwargs = {}
    view.handlers = handlers
    view.csrf_exempt = True  # each handler is an APIView, csrf-exempt like any
    return view


def _unused(self, request, *args, **kwargs):  # pragma: no cover - requests go to the handlers
    raise NotImplementedError


def split_by_method(endpoints):
    """drf-spectacular hook: each (path, method) is described by its own API class."""
    return [
        (path, path_regex, method, getattr(callback, "handlers", {}).get(method, callback))
        for path, path_regex, method, callback in endpoints
    ]
