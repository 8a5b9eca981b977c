"""The live status page under ``/_chatmigrate/``: per-endpoint mirrored / compared / differing, and the queue.

Every string on it came from traffic or config, so all of it is escaped; it shows no cookie, token or body.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from chatmigrate.config import ShadowConfig
from chatmigrate.shadow.queue import MirrorQueue
from chatmigrate.shadow.stats import LiveStats

PREFIX = "/_chatmigrate/"


def status_document(stats: LiveStats, queue: MirrorQueue, options: ShadowConfig, *, reported_at: str) -> dict[str, Any]:
    return {
        "reported_at": reported_at,
        "queue": {
            "waiting": queue.waiting,
            "held_bytes": queue.held_bytes,
            "offered": queue.offered,
            "dropped": dict(queue.dropped),
        },
        "primary_errors": stats.primary_errors,
        "thresholds": {"relative_percent": options.relative_threshold, "absolute": options.absolute_threshold},
        "endpoints": [
            {
                "endpoint": row.endpoint,
                "seen": row.seen,
                "mirrored": row.mirrored,
                "skipped": dict(row.skipped),
                "compared": row.compared,
                "differing": row.differing,
                "failing": row.failing(options.relative_threshold, options.absolute_threshold),
            }
            for row in stats.rows()
        ],
    }


def status_page(document: dict[str, Any]) -> str:
    queue = document["queue"]
    dropped = ", ".join(f"{escape(k)}: {v}" for k, v in queue["dropped"].items()) or "none"
    rows = "".join(
        "<tr{cls}><td>{endpoint}</td><td>{seen}</td><td>{mirrored}</td><td>{compared}</td><td>{differing}</td>"
        "<td>{state}</td><td>{skipped}</td></tr>".format(
            cls=' class="failing"' if row["failing"] else "",
            endpoint=escape(row["endpoint"]),
            seen=row["seen"],
            mirrored=row["mirrored"],
            compared=row["compared"],
            differing=row["differing"],
            state="FAILING" if row["failing"] else "ok",
            skipped=escape(", ".join(f"{k}: {v}" for k, v in row["skipped"].items()) or "-"),
        )
        for row in document["endpoints"]
    )
    limits = document["thresholds"]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>chatmigrate shadow</title>"
        "<meta http-equiv='refresh' content='5'>"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{padding:4px 10px;text-align:left}"
        "tr.failing{background:#fdd}</style></head><body>"
        "<h1>chatmigrate shadow</h1>"
        f"<p>Compared at {escape(document['reported_at'] or 'not yet')}. An endpoint fails when at least "
        f"{limits['relative_percent']}% and at least {limits['absolute']} of its compared requests differ.</p>"
        f"<p>Queue: {queue['waiting']} waiting ({queue['held_bytes']} bytes), {queue['offered']} offered; "
        f"dropped: {dropped}. Old unreachable: {document['primary_errors']}.</p>"
        "<table><tr><th>endpoint</th><th>seen</th><th>mirrored</th><th>compared</th><th>differing</th>"
        f"<th>state</th><th>not mirrored</th></tr>{rows}</table>"
        "<p><a href='status.json'>status.json</a></p></body></html>"
    )
