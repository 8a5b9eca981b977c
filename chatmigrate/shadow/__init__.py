"""Shadow mode: parity on live traffic, each request mirrored to new as the same user that sent it to old."""

from chatmigrate.shadow.options import ShadowOptions
from chatmigrate.shadow.principals import Principals
from chatmigrate.shadow.service import ShadowService

__all__ = ["Principals", "ShadowOptions", "ShadowService"]
