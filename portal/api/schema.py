"""Schema post-processing: the error answers every operation can give, documented once.

Each view documents its own success and business errors (409, a 400 with a particular
body); this hook adds what the framework itself answers for any operation, so clients
and the fuzzer (tests/portal/test_api_fuzz.py) see every status the API really sends:

- 400 with field messages, where the operation takes a body or query parameters;
- 401 when the token or session is missing or invalid;
- 403 when the role or the object's state does not allow the operation;
- 404 where a path names an object (or a page of a list does not exist).

It also states in the request schemas that text may not contain NUL characters, which
the serializers refuse (PostgreSQL cannot store them), and that no other field than those
listed is taken (``additionalProperties: false``), and documents decimals as the
numerals ``portal.api.strict`` accepts. ``dashboard.api.urls`` imports this module, which
registers the extension.

Identifiers are English whatever the reader's language: client generators name their
types, modules and enums after component names, property titles and the API title, so a
schema read in Japanese would otherwise give a different (and non-ASCII) client.
``SchemaGenerator`` builds the schema in English and, for another language, copies only
the translated descriptions and summaries into it.
"""

import copy

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular import generators
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ComponentRegistry

from portal.api.strict import decimal_pattern

METHODS = ("get", "put", "post", "delete", "patch")
# "Contains no NUL" as a negated pattern: generators filter it cheaply, unlike ``^[^\x00]*$``.
NO_NUL = {"pattern": r"\x00"}


class DecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A decimal in a request: the numerals the strict serializers accept (no exponent, no
    blanks, no sign where the minimum is zero or more)."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(self.target)
        return schema


# Texts a reader's language may change; everything else (names, titles, enums) stays English.
TRANSLATED = ("description", "summary")


class SchemaGenerator(generators.SchemaGenerator):
    """The schema with English identifiers, described in the active language."""

    def get_schema(self, request=None, public=False):
        language = translation.get_language() if _language_asked(request) else "en"
        with translation.override("en"):
            schema = self._fresh_schema(request, public)
        if language and translation.get_supported_language_variant(language) != "en":
            with translation.override(language):
                _localize(schema, self._fresh_schema(request, public))
        return schema

    def _fresh_schema(self, request, public):
        # The registry keeps the components of a previous run; each language starts afresh.
        self.registry = ComponentRegistry()
        self.schemas_storage = []
        return super().get_schema(request=request, public=public)


def _language_asked(request):
    """Descriptions are translated only when the reader asks: ``?lang=``, an Accept-Language
    header (browsers, the API docs pages) or the language cookie. A plain fetch, as a client
    generator makes, gets the schema in English throughout."""
    if request is None:
        return True  # manage.py spectacular: the active language, as set by the command
    return (
        "lang" in request.GET
        or "HTTP_ACCEPT_LANGUAGE" in request.META
        or settings.LANGUAGE_COOKIE_NAME in request.COOKIES
    )


def _localize(english, local):
    """Copy the descriptions and summaries of ``local`` into ``english`` (same structure)."""
    if isinstance(english, dict) and isinstance(local, dict):
        for key, value in english.items():
            if key not in local:
                continue
            if key in TRANSLATED and isinstance(value, str) and isinstance(local[key], str):
                english[key] = local[key]
            else:
                _localize(value, local[key])
        # A title names a generated type, so it stays English; its translation still reaches
        # the reader as the description when there is none.
        title = local.get("title")
        if isinstance(title, str) and title != english.get("title") and "description" not in english:
            english["description"] = title
    elif isinstance(english, list) and isinstance(local, list) and len(english) == len(local):
        for english_item, local_item in zip(english, local, strict=True):
            _localize(english_item, local_item)


def _error_schemas(components):
    components.setdefault(
        "Error",
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    )
    # Named, and without a bare ``{"type": "object"}`` in a union, so client generators can
    # build a type for every member (openapi-python-client dropped the anonymous one and
    # then failed to import every module that named it).
    components["ValidationError"] = {
        "description": gettext("Invalid input: a message per field."),
        "oneOf": [{"$ref": "#/components/schemas/FieldErrors"}, {"$ref": "#/components/schemas/ErrorList"}],
    }
    components["FieldErrors"] = {
        "type": "object",
        "description": gettext(
            "Messages by field name: a list of messages, or the same structure again for a "
            "nested object or a list item (keyed by its position)."
        ),
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {}},
                {"$ref": "#/components/schemas/FieldErrors"},
                {"type": "string"},
            ]
        },
    }
    components["ErrorList"] = {
        "type": "array",
        "description": gettext("Messages about the input as a whole."),
        "items": {"type": "string"},
    }


def _json(name):
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    _error_schemas(components)
    errors = {
        "400": {"content": _json("ValidationError"), "description": gettext("Invalid input: a message per field.")},
        "401": {
            "content": _json("Error"),
            "description": gettext("Not signed in: send a valid personal API token or a session cookie."),
        },
        "403": {"content": _json("Error"), "description": gettext("Not allowed for this user.")},
        "404": {"content": _json("Error"), "description": gettext("Not found or not visible to this user.")},
    }
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            parameters = operation.get("parameters", [])
            locations = {parameter["in"] for parameter in parameters}
            paginated = any(p["in"] == "query" and p["name"] == "page" for p in parameters)
            wanted = ["403"]
            if operation.get("security") and {} not in operation["security"]:
                wanted.append("401")
            if operation.get("requestBody") or "query" in locations:
                wanted.append("400")
            if "path" in locations or paginated:
                wanted.append("404")
            responses = operation.setdefault("responses", {})
            for code in wanted:
                responses.setdefault(code, errors[code])
            # A documented error without a body schema gets the shared one; a particular 400
            # (e.g. the unmet gates of a step) may also be the usual field messages.
            for code, response in responses.items():
                if code in errors and "content" not in response:
                    response["content"] = errors[code]["content"]
            validation = responses["400"]["content"]["application/json"]["schema"] if "400" in responses else None
            if "400" in wanted and validation != {"$ref": "#/components/schemas/ValidationError"}:
                responses["400"]["content"]["application/json"]["schema"] = {
                    "anyOf": [validation, {"$ref": "#/components/schemas/ValidationError"}]
                }
            operation["responses"] = dict(sorted(responses.items()))
    _split_multipart(result, components)
    _forbid_nul(result, components)
    return result


def _split_multipart(result, components):
    """A body taken as JSON or as multipart gets a component per media type, and is marked optional.

    openapi-python-client tells the media types apart by the type of the body, so one
    component for both would always send JSON; and for a required body with several
    media types it writes ``Unset`` without importing it (openapi-python-client issues
    1276 and 1451), which breaks the import of the module. The server answers a missing
    body with the usual 400 naming the required fields.
    """
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}) if method in METHODS else {}
            multipart = content.get("multipart/form-data", {}).get("schema", {}).get("$ref")
            if len(content) < 2 or not multipart:
                continue
            name = multipart.rsplit("/", 1)[-1]
            twin = f"{name.removesuffix('Request')}MultipartRequest"
            components.setdefault(twin, copy.deepcopy(components[name]))
            content["multipart/form-data"]["schema"] = {"$ref": f"#/components/schemas/{twin}"}
            operation["requestBody"]["required"] = False


def _request_schemas(result):
    """The schemas of request bodies (multipart ones first), after marking the query parameters."""
    bodies = []
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                bodies.append((not media_type.startswith("multipart/"), media.get("schema", {})))
            for parameter in operation.get("parameters", []):
                # ``ordering`` has its pattern (portal.api.filters.StrictOrderingFilter), which wins.
                _no_nul(parameter.get("schema", {}))
    return sorted(bodies, key=lambda body: body[0])


def _walk(schema, components, seen, multipart):
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            component = components.get(name, {})
            # A body with a file part is described for multipart even where it is also taken as
            # JSON (its twin for multipart is a copy, see _split_multipart).
            binary = any(
                isinstance(field, dict) and field.get("format") == "binary"
                for field in component.get("properties", {}).values()
            )
            _walk(component, components, seen, multipart or binary)
        return
    _no_nul(schema, multipart)
    if schema.get("type") == "object" and "properties" in schema:
        # The serializers refuse a field they do not take (portal.api.strict); the schema says so.
        schema.setdefault("additionalProperties", False)
    for key in ("properties", "patternProperties"):
        for child in schema.get(key, {}).values():
            _walk(child, components, seen, multipart)
    for key in ("items", "additionalProperties"):
        _walk(schema.get(key), components, seen, multipart)
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, []):
            _walk(child, components, seen, multipart)


def _no_nul(schema, multipart=False):
    if schema.get("type") == "string" and not ({"enum", "format", "pattern", "not"} & schema.keys()):
        if multipart:
            # schemathesis cannot yet combine ``not`` with a file part of a multipart body.
            schema["pattern"] = r"^[^\x00]*$"
        else:
            schema["not"] = dict(NO_NUL)
    elif schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _no_nul(schema["items"], multipart)


def _forbid_nul(result, components):
    seen = set()
    for json_body, schema in _request_schemas(result):
        _walk(schema, components, seen, multipart=not json_body)
