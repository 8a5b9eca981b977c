"""Shadow mode: parity on live traffic, each request mirrored to new as the same user that sent it to old."""

from chatmigrate.shadow.principals import Principals
from chatmigrate.shadow.serve import principals_of, run_shadow
from chatmigrate.shadow.service import ShadowService

__all__ = ["Principals", "ShadowService", "principals_of", "run_shadow"]
