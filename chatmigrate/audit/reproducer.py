"""Copy-paste reproducers for findings, with every secret replaced by a ``$NAME`` placeholder.

Known secrets become the placeholders the run recorded (``$TOKEN``, ``$SESSIONID``…)
and the probe's own forged token becomes ``$FORGED_TOKEN``, described by its
decoded header and claims. Reproducers must also survive ``redact`` unchanged,
because every writer redacts again: ``redact`` masks whatever follows
``Authorization:`` or ``token=``, placeholders included. So a pair that would be
masked is written with its name and value as separate shell words
(``"$(printf '%s: %s' Authorization "Bearer $TOKEN")"``), which no pattern joins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from chatmigrate.audit.probe import HttpProbe, Probe, WsProbe
from chatmigrate.redact import redact

FORGED = "FORGED_TOKEN"
_CONTROL = re.compile(r"([\x00-\x1f])")


def substitute(text: str, names: Mapping[str, str]) -> str:
    """Known secrets to ``$NAME``, longest first so that a token goes before its own signature."""
    for value in sorted(names, key=len, reverse=True):
        text = text.replace(value, f"${names[value]}")
    return text


def scrub(text: str, names: Mapping[str, str]) -> str:
    """Free text (evidence, notes): placeholders, then every redaction layer."""
    return redact(substitute(text, names))


def _names(probe: Probe, placeholders: Mapping[str, str]) -> dict[str, str]:
    names = dict(placeholders)
    if probe.token and probe.token not in names:
        names[probe.token] = FORGED
    return names


def _sh(text: str, names: Mapping[str, str]) -> str:
    """Double-quoted for sh: ``$NAME`` placeholders stay live, everything else is literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    for name in sorted(set(names.values()), key=len, reverse=True):
        escaped = escaped.replace(f"\\${name}", f"${name}")
    return f'"{escaped}"'


def shell_pair(key: str, separator: str, value: str, names: Mapping[str, str]) -> str:
    """One shell word for ``key<separator>value``; split through printf when redact would mask it."""
    text = f"{key}{separator}{value}"
    if redact(text) == text:
        return _sh(text, names)
    return f"\"$(printf '%s{separator}%s' {_sh(key, names)} {_sh(value, names)})\""


def reproducer(probe: Probe, placeholders: Mapping[str, str]) -> str:
    names = _names(probe, placeholders)
    if isinstance(probe, WsProbe):
        body = _python_ws(probe, names)
    elif probe.raw:
        body = _raw_http(probe, names)
    else:
        body = _curl(probe, names)
    used = sorted({name for name in names.values() if f"${name}" in body or f'"{name}"' in body})
    lines = [f"# probe: {probe.label} (expected: {probe.expect.describe()})"]
    if used:
        lines.append(f"# set first: {', '.join('$' + name for name in used)} (docs/audit.md, 'Reproducers')")
    if probe.note is not None and FORGED in used:
        lines.append(f"# ${FORGED}: {scrub(probe.note.describe(), names)}")
    return redact("\n".join([*lines, body]))


def _curl(probe: HttpProbe, names: Mapping[str, str]) -> str:
    parts = urlsplit(probe.url)
    plain: list[tuple[str, str]] = []
    sensitive: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        pair = f"{key}={substitute(value, names)}"
        (plain if redact(pair) == pair else sensitive).append((key, substitute(value, names)))
    query = "&".join(f"{key}={value}" for key, value in plain)
    url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{query}" if query else "")
    args = ["curl -sS -i", f"-X {probe.method}", _sh(url, names)]
    args += [f"--url-query {shell_pair(key, '=', value, names)}" for key, value in sensitive]
    for name, value in probe.headers:
        if name.lower() == "cookie":
            args += [
                f"-b {shell_pair(key, '=', substitute(item, names), names)}"
                for key, _eq, item in (pair.partition("=") for pair in value.split("; "))
            ]
        else:
            args.append(f"-H {shell_pair(name, ': ', substitute(value, names), names)}")
    if probe.body is not None:
        text = probe.body.decode("utf-8", "replace")
        if _is_form(probe):
            args += [
                f"--data-urlencode {shell_pair(key, '=', substitute(item, names), names)}"
                for key, item in parse_qsl(text, keep_blank_values=True)
            ]
        else:
            args.append(f"--data-raw {_sh(substitute(text, names), names)}")
    return " \\\n  ".join(args)


def _is_form(probe: HttpProbe) -> bool:
    return any(name.lower() == "content-type" and "form-urlencoded" in value for name, value in probe.headers)


def _raw_http(probe: HttpProbe, names: Mapping[str, str]) -> str:
    """printf into nc: the header holds bytes (NUL, a bare LF, a fold) that curl will not send.

    Every piece of text is a printf argument and the format holds only ``%s`` and escaped
    control bytes, so no redaction pattern ever sees a header name next to its value.
    """
    parts = urlsplit(probe.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [[f"{probe.method} {target} HTTP/1.1"], ["Host: ", parts.netloc], ["Connection: close"]]
    lines += [[name, ": ", substitute(value, names)] for name, value in probe.headers]
    template, arguments = "", []
    for line in [*lines, []]:
        for piece in line:
            for chunk in _CONTROL.split(piece):
                if _CONTROL.fullmatch(chunk):
                    template += f"\\{ord(chunk):03o}"
                elif chunk:
                    template += "%s"
                    arguments.append(_sh(chunk, names))
        template += "\\r\\n"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return " ".join(["printf", f"'{template}'", *arguments, "|", "nc", str(parts.hostname), str(port)])


def _python_ws(probe: WsProbe, names: Mapping[str, str]) -> str:
    url = substitute(probe.url, names)
    lines = [
        "python - <<'PY'",
        "import asyncio, json, os",
        "from websockets.asyncio.client import connect",
        "",
        "async def main():",
        f"    url = {url!r}",
        f"    async with connect(url, origin={probe.origin!r}) as ws:",
    ]
    if probe.first_message is not None:
        lines += [f"        {line}" for line in _ws_message(substitute(probe.first_message, names), names)]
    lines.append("        print(await ws.recv())")
    if probe.session is not None:
        if probe.session.change_label:
            lines.append(f"        input('now make it so that {probe.session.change_label}, then press Enter')")
        lines += [f"        await ws.send({probe.session.message!r})", "        print(await ws.recv())"]
    lines += ["", "asyncio.run(main())", "PY"]
    return "\n".join(lines)


def _ws_message(text: str, names: Mapping[str, str]) -> list[str]:
    """A JSON frame built key by key, so that a ``"token": $TOKEN`` pair never appears as text."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return [f"await ws.send({text!r})"]
    secret = {
        key: item
        for key, item in value.items()
        if isinstance(item, str) and item.startswith("$") and item[1:] in set(names.values())
    }
    plain = {key: item for key, item in value.items() if key not in secret}
    lines = [f"message = {plain!r}"]
    lines += [f"message[{key!r}] = os.environ[{item[1:]!r}]" for key, item in secret.items()]
    return [*lines, "await ws.send(json.dumps(message))"]
