"""What request bodies the API reads: JSON, as the schema documents (plus multipart where
a file is uploaded). Form encodings cannot say null or a typed value, so they are not offered.

JSON is read by ``JSONParser``, which refuses a document nested deeper than ``MAX_DEPTH``
with a 400: no request body of the API comes near it, and a few kilobytes of ``[[[[…`` made
the decoder (or the code reading the data after it) exceed Python's recursion limit, a 500.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser

MAX_DEPTH = 32


def too_deep(data, limit=MAX_DEPTH):
    """Whether ``data`` nests objects and arrays more than ``limit`` levels (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    message = _("JSON nested more than %(depth)d levels deep is not accepted.")

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(self.message % {"depth": MAX_DEPTH}) from error
        if too_deep(data):
            raise ParseError(self.message % {"depth": MAX_DEPTH})
        return data


JSON = [JSONParser]
JSON_OR_UPLOAD = [JSONParser, MultiPartParser]
