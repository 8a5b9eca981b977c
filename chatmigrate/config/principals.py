"""`[principals.<name>]`: further identities that replay runs the whole corpus as, on every side.

A cutover is signed per principal: an admin, a staff user, a user who is not staff, a deactivated one, and nobody.
Each principal borrows every target's `[auth]` table and swaps in its own user, so one table per principal serves
old's session login, new's token endpoint and a minted token alike.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ValidationError, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from chatmigrate.config import values as v
from chatmigrate.config.section import Section, internal, invalid, key

if TYPE_CHECKING:
    from chatmigrate.config.models import AuthConfig

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A principal's name travels in entry ids (``entry@name``) and report tables: short and plain."""

ANONYMOUS = "anonymous"


class Principal(Section):
    """`[principals.<name>]` (optional): a further identity the corpus is replayed as, on every side, for the
    principal matrix (see reports.md). Its user stands in for the one in each target's `[auth]` table; a
    principal that old's login refuses (a user who is not staff) is recorded as *refused at login*, and its
    legacy answers count as unauthenticated."""

    anonymous: Annotated[bool, v.FLAG] = key(False, "no credential at all: every side is called without auth")
    username: Annotated[str, v.TEXT] | None = key(None, "its login on every side (mint: the `username` claim)")
    password_env: Annotated[str, v.ENV_NAME] | None = key(None, "its password, by reference (a variable's name)")
    password_file: Annotated[Path, v.FILE, v.RELATIVE] | None = key(None, "its password, by reference (a file)")
    user_id: Annotated[int, v.between(1, v.MAX_ID)] | None = key(None, "mint: its `user_id` claim")
    role: Annotated[str, v.TEXT] | None = key(None, "mint: its `role` claim (required where a target mints)")
    password: SkipJsonSchema[str | None] = internal(doc="the embedded server's own password, never read from a file")

    @model_validator(mode="after")
    def _who(self) -> Principal:
        if self.anonymous and self.username is not None:
            raise invalid("an anonymous principal has no username", "username")
        if not self.anonymous and self.username is None:
            raise invalid("needs a username, or anonymous = true", "username")
        return self

    def auth_for(self, auth: AuthConfig) -> AuthConfig | None:
        """The target's `[auth]` table as this principal; None when it goes without a credential."""
        if self.anonymous:
            return None
        if auth.kind == "bearer":
            raise invalid("a target with a fixed bearer token cannot log in as another user", "username")
        swapped: dict[str, Any] = {
            "username": self.username,
            "password_env": self.password_env,
            "password_file": self.password_file,
            "password": self.password,
        }
        if auth.kind == "mint":
            if self.role is None:
                raise invalid("a target that mints tokens needs the principal's own role claim", "role")
            swapped.update(user_id=self.user_id, role=self.role, email=None)
        try:
            return auth.model_validate({**dict(auth), **swapped})
        except ValidationError as error:
            first = error.errors()[0]
            field = str((first.get("ctx") or {}).get("field") or "username")
            raise invalid(first["msg"].replace("auth kind", "a target's auth kind"), field) from None


def check_principals(principals: dict[str, Principal], auths: list[AuthConfig]) -> None:
    """Every principal can stand in on every target, or the config says at which key it cannot."""
    for name, principal in principals.items():
        if not NAME.fullmatch(name):
            raise invalid(f"principal name {name!r}: letters, digits, '.', '_' and '-' only", f"principals.{name}")
        for auth in auths:
            try:
                principal.auth_for(auth)
            except PydanticCustomError as error:
                field = (error.context or {}).get("field", "username")
                raise invalid(error.message(), f"principals.{name}.{field}") from None
