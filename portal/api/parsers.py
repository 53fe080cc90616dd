"""What request bodies the API reads: JSON, as the schema documents (plus multipart where
a file is uploaded). Form encodings cannot say null or a typed value, so they are not offered."""

from rest_framework.parsers import JSONParser, MultiPartParser

JSON = [JSONParser]
JSON_OR_UPLOAD = [JSONParser, MultiPartParser]
