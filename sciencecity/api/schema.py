"""OpenAPI additions: the problem-details error responses every operation can give (RFC 9457)."""

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details, in the language asked for by Accept-Language.",
    "properties": {
        "type": {"type": "string", "example": "urn:sciencecity:problem:validation-error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "One entry per problem with a field (dotted path; empty for the whole request).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                },
                "required": ["field", "code", "detail"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

READ_ERRORS = {
    "401": "Not signed in",
    "404": "Outside the caller's scope, or no such object",
    "429": "Throttled",
}
WRITE_ERRORS = {
    **READ_ERRORS,
    "400": "Invalid input, with field errors",
    "403": "The caller's role may not do this",
    "409": "Not allowed in the object's current state",
    "422": "Idempotency-Key already used for a different request",
}
UPLOAD_ERRORS = {**WRITE_ERRORS, "413": "File too large", "415": "File type not accepted"}


def _uploads_a_file(body: dict, components: dict) -> bool:
    """Whether a multipart request body carries a binary field, looking through a component reference."""
    schema = body.get("multipart/form-data", {}).get("schema", {})
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return "binary" in str(schema)


def add_problem_responses(result, generator, request, public):
    """A drf-spectacular postprocessing hook: the Problem schema, and error responses on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if schemas.get("Problem", PROBLEM) != PROBLEM:  # a serializer named so would be silently replaced
        raise ValueError("a serializer's schema component is named 'Problem': give it another component_name")
    schemas["Problem"] = PROBLEM
    reference = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            if method == "get":
                errors = {**READ_ERRORS, "400": "Invalid filter or cursor"}
            elif _uploads_a_file(body, result["components"]["schemas"]):
                errors = UPLOAD_ERRORS
            else:
                errors = WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                responses.setdefault(status, {"description": description, "content": reference})
    return result
