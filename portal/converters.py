from django.urls import register_converter


class ReferenceConverter:
    """Reference codes such as UC-2026-0001; anything else is not a route (404), so odd
    bytes (NUL and the like) never reach a database query."""

    regex = "[A-Za-z0-9-]{1,40}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ReferenceConverter, "reference")
