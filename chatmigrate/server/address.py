"""How a listening address is written in a URL."""

from __future__ import annotations


def authority(host: str, port: int) -> str:
    """``host:port`` as it goes in a URL: IPv6 literals need brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
