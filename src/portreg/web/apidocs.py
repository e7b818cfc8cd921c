"""The API's documentation page, rendered on the server from its OpenAPI document.

FastAPI's own docs pages load JavaScript from a CDN: that fails offline and breaks a
Content-Security-Policy without inline or third-party script. This page is plain HTML:
each operation with its parameters (type, bounds, default, allowed values) and its
responses, then every schema with its fields. Every text is escaped.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, Iterator

__all__ = ["render_docs"]


def render_docs(openapi: dict[str, Any], *, openapi_url: str, stylesheet: str | None = None) -> str:
    """The whole page for ``openapi`` (an OpenAPI 3 document as a dict)."""
    info = openapi.get("info", {})
    title = escape(str(info.get("title", "API")))
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
    ]
    if stylesheet:
        head.append(f'<link rel="stylesheet" href="{escape(stylesheet)}">')
    head.append('</head><body class="api-docs"><main>')
    body = [
        f"<h1>{title} <small>{escape(str(info.get('version', '')))}</small></h1>",
        _paragraphs(info.get("description", "")),
        f'<p>Machine-readable: <a href="{escape(openapi_url)}">{escape(openapi_url)}</a> '
        f'(OpenAPI {escape(str(openapi.get("openapi", "")))}).</p>',
        "<h2>Operations</h2>",
        '<ul class="toc">',
    ]
    operations = list(_operations(openapi))
    for method, path, op in operations:
        body.append(
            f'<li><a href="#{_anchor(method, path)}"><code>{method.upper()} {escape(path)}</code></a> '
            f'— {escape(op.get("summary", ""))}</li>'
        )
    body.append("</ul>")
    for method, path, op in operations:
        body.extend(_operation(method, path, op))
    schemas = openapi.get("components", {}).get("schemas", {})
    if schemas:
        body.append("<h2>Schemas</h2>")
        for name in sorted(schemas):
            body.extend(_schema(name, schemas[name]))
    body.append("</main></body></html>")
    return "\n".join(head + body)


def _operations(openapi: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in openapi.get("paths", {}).items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                yield method, path, op


def _anchor(method: str, path: str) -> str:
    return "op-" + method + "-" + "".join(c if c.isalnum() else "-" for c in path).strip("-")


def _operation(method: str, path: str, op: dict[str, Any]) -> list[str]:
    out = [
        f'<section id="{_anchor(method, path)}" class="operation">',
        f"<h3><code>{method.upper()} {escape(path)}</code></h3>",
        f"<p><strong>{escape(op.get('summary', ''))}</strong></p>",
        _paragraphs(op.get("description", "")),
    ]
    params = op.get("parameters", [])
    if params:
        out.append("<table><thead><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>")
        for p in params:
            required = " (required)" if p.get("required") else ""
            out.append(
                f"<tr><td><code>{escape(p['name'])}</code>{required}</td><td>{escape(p.get('in', ''))}</td>"
                f"<td>{escape(_type(p.get('schema', {})))}</td>"
                f"<td>{escape(p.get('description') or p.get('schema', {}).get('description', ''))}</td></tr>"
            )
        out.append("</tbody></table>")
    responses = op.get("responses", {})
    if responses:
        out.append("<p>Responses:</p><ul>")
        for status, resp in responses.items():
            out.append(
                f"<li><code>{escape(str(status))}</code> "
                f"{escape(resp.get('description', ''))}{_response_schema(resp)}</li>"
            )
        out.append("</ul>")
    out.append("</section>")
    return out


def _response_schema(resp: dict[str, Any]) -> str:
    for media, content in resp.get("content", {}).items():
        schema = content.get("schema", {})
        name = _type(schema)
        if name:
            return f" — <code>{escape(media)}</code>: {_linked(name)}"
    return ""


def _linked(type_text: str) -> str:
    """Link schema names inside a type description to their section."""
    words = []
    for word in type_text.split(" "):
        bare = word.strip("[],|")
        if bare and bare[0].isupper():
            words.append(escape(word).replace(escape(bare), f'<a href="#schema-{escape(bare)}">{escape(bare)}</a>', 1))
        else:
            words.append(escape(word))
    return " ".join(words)


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    out = [
        f'<section id="schema-{escape(name)}" class="schema"><h3>{escape(name)}</h3>',
        _paragraphs(schema.get("description", "")),
    ]
    props = schema.get("properties", {})
    if props:
        required = set(schema.get("required", []))
        out.append("<table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>")
        for field, sub in props.items():
            mark = "" if field in required else " (optional)"
            out.append(
                f"<tr><td><code>{escape(field)}</code>{mark}</td><td>{_linked(_type(sub))}</td>"
                f"<td>{escape(sub.get('description', ''))}</td></tr>"
            )
        out.append("</tbody></table>")
    elif "enum" in schema:
        out.append(f"<p>One of: {escape(', '.join(map(str, schema['enum'])))}</p>")
    out.append("</section>")
    return out


def _type(schema: dict[str, Any] | bool) -> str:
    """A short reading of a JSON schema: ``integer 0…65535``, ``Record[]``, ``string | null``."""
    if isinstance(schema, bool):  # ``additionalProperties: true``: any value
        return "any" if schema else "nothing"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "")
    if kind == "array":
        return _type(schema.get("items", {})) + "[]"
    if kind == "object" and "additionalProperties" in schema:
        return "object of " + _type(schema["additionalProperties"])
    text = str(kind)
    if "enum" in schema:
        text += " (" + ", ".join(map(str, schema["enum"])) + ")"
    if "const" in schema:
        text += f" ({schema['const']})"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        text += f" {'' if low is None else low}…{'' if high is None else high}"
    if "maxLength" in schema:
        text += f" (at most {schema['maxLength']} characters)"
    if "pattern" in schema:
        text += f" matching {schema['pattern']}"
    if "default" in schema and schema["default"] is not None:
        text += f", default {schema['default']}"
    return text


def _paragraphs(text: str) -> str:
    """Plain paragraphs; Markdown's `code` spans become <code> (after escaping)."""
    parts = (part.strip() for part in str(text).split("\n\n"))
    return "".join("<p>" + _CODE.sub(r"<code>\1</code>", escape(part)) + "</p>" for part in parts if part)


_CODE = re.compile(r"`([^`]+)`")
