"""The spare principal's password set again (to the same value): the stale token and session cases share it.

Django rotates the session auth hash on any password change, so the sessions and tokens issued
before it show whether the target revokes them. The change runs once, whichever case asks first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from chatmigrate.audit.context import AuditContext, LegacySession
from chatmigrate.audit.probe import NotApplicable


@dataclass(frozen=True, slots=True)
class PasswordChange:
    token_before: str = field(repr=False)
    session_before: LegacySession


async def password_change(ctx: AuditContext) -> PasswordChange | NotApplicable:
    target = ctx.target
    spare = target.spare_principal
    if spare is None:
        return NotApplicable("needs a spare staff principal whose password may be set again (spare_principal)")
    if not (target.token_url and target.old_url):
        return NotApplicable("needs both the JWT API and the legacy admin (password change is a legacy view)")
    token = await ctx.obtain_token(spare, "SPARE_TOKEN")
    before = await ctx.login(spare)
    changer = await ctx.login(spare)
    if before is None or changer is None:
        return NotApplicable(f"cannot log in as the spare principal {spare.username!r}")
    url = f"{target.old_url}{target.password_change_path}"
    form = {
        "old_password": spare.password,
        "new_password1": spare.password,
        "new_password2": spare.password,
        "csrfmiddlewaretoken": changer.csrftoken,
    }
    answer = await ctx.post_form(url, form, changer)
    if not changed(answer, ctx.options.policy.password_change_done_path):
        where = answer.headers.get("location")
        to = f" to {where}" if answer.status_code in (301, 302, 303) and where else ""
        return NotApplicable(f"the password change at {target.password_change_path} answered {answer.status_code}{to}")
    return PasswordChange(token, before)


def changed(answer: httpx.Response, done_path: str) -> bool:
    """Django answers a successful change with 302 to its done page (a failed one re-renders the form)."""
    if answer.status_code == 200:
        return True
    return answer.status_code in (302, 303) and urlsplit(answer.headers.get("location", "")).path == done_path
