"""Each request's parameters as the page needs them: a JSON Schema with its references inlined.

The page reads every bound, default and choice of a request from here (a slider's
range, a menu's options), so no limit or name is typed a second time in JavaScript.
Titles and descriptions are dropped: they are for the error sentences, not the page.
"""

from __future__ import annotations

from pydantic import BaseModel

KEPT = {
    "type",
    "properties",
    "items",
    "prefixItems",
    "anyOf",
    "enum",
    "const",
    "default",
    "required",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
}


def _inline(node, defs: dict):
    """``node`` with every ``$ref`` replaced by the definition it names, and only the KEPT keys."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(defs[node["$ref"].rsplit("/", 1)[1]], defs)
    if "properties" in node:
        return {
            key: (
                {name: _inline(sub, defs) for name, sub in value.items()}
                if key == "properties"
                else _inline(value, defs)
            )
            for key, value in node.items()
            if key in KEPT
        }
    return {key: _inline(value, defs) for key, value in node.items() if key in KEPT}


def page_schema(model: type[BaseModel]) -> dict:
    """``model``'s JSON Schema, self-contained and trimmed to what a page reads."""
    schema = model.model_json_schema()
    return _inline(schema, schema.get("$defs", {}))
