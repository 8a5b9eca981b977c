"""Reading Django's HTML forms: the one place that knows how a login page carries its CSRF form token.

Django's templates write ``name="csrfmiddlewaretoken" value="…"``, but a site's own login template may use
single quotes or none; the session login and the audit share this reader so they cannot drift apart.
"""

from __future__ import annotations

import re

FORM_TOKEN = re.compile(r"""name=["']?csrfmiddlewaretoken["']?\s+value=["']?([^"'\s>]+)""")
"""Group 1 is the ``csrfmiddlewaretoken`` hidden field's value, whichever quotes the template used."""


def csrf_form_token(page: str) -> str | None:
    match = FORM_TOKEN.search(page)
    return match.group(1) if match else None
