"""Copy the JSON Schemas in schemas/ into the OpenAPI documents' components.

The schema files are the one source of truth; the OpenAPI documents carry
embedded copies so that every tool (schemathesis, Swagger UI, openapi-spec-validator)
reads one self-contained file, from disk or from a URL, without resolving
references across files. A component whose name is the PascalCase of a schema
file stem (``chat-list-entry.json`` -> ``ChatListEntry``) is generated: it is
written when the document refers to it, directly or through another generated
component, and removed when nothing does. Everything else is hand-written.

    python contracts/embed_schemas.py           # rewrite the documents
    python contracts/embed_schemas.py --check   # exit 1 if any document is out of date
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COMPONENT_PREFIX = "#/components/schemas/"
_COMPONENT_REF = re.compile(r"^#/components/schemas/([^/]+)")


def component_name(stem: str) -> str:
    return "".join(part.capitalize() for part in stem.split("-"))


def load_schemas(folder: Path) -> dict[str, dict[str, Any]]:
    """Schema files keyed by the component name they become."""
    return {
        component_name(path.stem): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.json"))
    }


def _component_ref(ref: str, own_name: str) -> str:
    """Rewrite a reference made inside a schema file so that it points into the OpenAPI components."""
    target, _, fragment = ref.partition("#")
    name = component_name(Path(target).name.removesuffix(".json")) if target else own_name
    return f"{COMPONENT_PREFIX}{name}{fragment}"


def embedded(schema: Any, own_name: str) -> Any:
    """The schema as an OpenAPI component: no ``$schema``/``$id``, references rewritten."""
    if isinstance(schema, list):
        return [embedded(item, own_name) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("$schema", "$id"):
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = _component_ref(value, own_name)
        elif key == "discriminator" and isinstance(value, dict) and isinstance(value.get("mapping"), dict):
            mapping = {tag: _component_ref(ref, own_name) for tag, ref in value["mapping"].items()}
            out[key] = {**value, "mapping": mapping}
        else:
            out[key] = embedded(value, own_name)
    return out


def _referenced(value: Any, names: set[str]) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            match = _COMPONENT_REF.match(item) if key == "$ref" and isinstance(item, str) else None
            if match and match.group(1) in names:
                found.add(match.group(1))
            else:
                found |= _referenced(item, names)
    elif isinstance(value, list):
        for item in value:
            found |= _referenced(item, names)
    return found


def synced(document: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The document with its generated components rebuilt from the schema files."""
    components = document.get("components", {}).get("schemas", {})
    hand_written = {name: value for name, value in components.items() if name not in schemas}
    rest = {key: value for key, value in document.items() if key != "components"}
    needed = _referenced([rest, document.get("components", {}) | {"schemas": hand_written}], set(schemas))
    pending = list(needed)
    while pending:
        name = pending.pop()
        for dependency in _referenced(embedded(schemas[name], name), set(schemas)) - needed:
            needed.add(dependency)
            pending.append(dependency)
    generated = {name: embedded(schemas[name], name) for name in sorted(needed)}
    result = dict(document)
    result["components"] = {**document.get("components", {}), "schemas": {**hand_written, **generated}}
    return result


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale_documents(folder: Path, write: bool) -> list[str]:
    """Names of the OpenAPI documents whose generated components differ from the schema files."""
    schemas = load_schemas(folder / "schemas")
    stale = []
    for path in sorted(folder.glob("openapi-*.json")):
        text = path.read_text(encoding="utf-8")
        fresh = render(synced(json.loads(text), schemas))
        if fresh != text:
            stale.append(path.name)
            if write:
                path.write_text(fresh, encoding="utf-8")
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = stale_documents(HERE, write=not check)
    for name in stale:
        print(f"{name}: {'out of date with schemas/' if check else 'updated'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
