"""The API's interactive documentation at /api/docs, rendered on the server.

django-ninja's Swagger UI needs JavaScript and, unless ``ninja`` is an installed app, loads it
from a CDN. The site works without JavaScript and never reaches the network at run time, so this
page lists every operation from the same OpenAPI schema as /api/openapi.json instead: method,
path, who may call it, parameters, body fields and responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
#: Headings of the page's sections, one per OpenAPI tag.
TAG_LABELS = {
    "organisations": _("Organisations"),
    "facilities": _("Facilities"),
    "rounds": _("Survey rounds"),
    "responses": _("Needs (a participant's answers)"),
    "offers": _("Education offers"),
    "publications": _("Published snapshots"),
}


def _t(text: str) -> str:
    """The schema's English text (marked with gettext_noop in api.py and schemas.py) in the
    page's language."""
    return gettext(text) if text else text


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type of a JSON schema: ``integer``, ``list of NeedLine``, ..."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            parts = [type_of(part) for part in schema[combinator]]
            return " or ".join(dict.fromkeys(parts))
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _fields(components: dict[str, Any], ref: str) -> list[dict[str, Any]]:
    model = components.get(_ref_name(ref), {})
    required = set(model.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(prop),
            "required": name in required,
            "description": _t(prop.get("description", "")),
        }
        for name, prop in model.get("properties", {}).items()
    ]


def endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Operations grouped by tag, in the schema's order, ready for the template."""
    components = schema.get("components", {}).get("schemas", {})
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method, op in sorted(item.items(), key=lambda kv: METHOD_ORDER.get(kv[0], 9)):
            body = None
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                ref = content["schema"].get("$ref", "")
                body = {"name": _ref_name(ref), "fields": _fields(components, ref)}
            responses = []
            for code, answer in op.get("responses", {}).items():
                shape = answer.get("content", {}).get("application/json", {}).get("schema", {})
                responses.append(
                    {
                        "code": code,
                        "description": answer.get("description", ""),
                        "type": type_of(shape) if shape else "",
                    }
                )
            tag = (op.get("tags") or ["api"])[0]
            groups.setdefault(tag, []).append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": _t(op.get("summary", "")),
                    "description": _t(op.get("description", "")),
                    "public": not op.get("security"),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": type_of(p.get("schema", {})),
                            "required": p.get("required", False),
                            "description": _t(
                                p.get("description", "")
                                or p.get("schema", {}).get("description", "")
                            ),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": body,
                    "responses": responses,
                }
            )
    return [
        {"tag": tag, "label": TAG_LABELS.get(tag, tag), "endpoints": ops}
        for tag, ops in groups.items()
    ]


class ServerRenderedDocs(DocsBase):
    """Renders ``api/docs.html``: no JavaScript, no CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        return render(
            request,
            "api/docs.html",
            {
                "api_title": schema["info"]["title"],
                "api_version": schema["info"]["version"],
                "api_description": _t(schema["info"].get("description", "")),
                "groups": endpoints(schema),
                "openapi_url": self.get_openapi_url(api, kwargs),
                "tokens_url": reverse("api:tokens"),
            },
        )
