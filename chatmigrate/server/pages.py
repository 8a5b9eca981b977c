"""The HTML a Django admin answers with: login form, 404 page, CSRF failure page.

These are what chatmigrate must recognise (and never mistake for data), so they
look like Django's own pages. All interpolated values are escaped.
"""

from __future__ import annotations

from html import escape

_LAYOUT = """<!DOCTYPE html>
<html lang="en-us"><head><meta charset="utf-8"><title>{title} | Django site admin</title>
<meta name="robots" content="NONE,NOARCHIVE"></head>
<body class="{body_class}"><div id="container"><div id="header"><div id="branding">
<h1 id="site-name"><a href="/admin/">Django administration</a></h1></div></div>
<div id="content" class="colM">{content}</div></div></body></html>
"""


def _page(title: str, content: str, body_class: str = "") -> str:
    return _LAYOUT.format(title=escape(title), content=content, body_class=body_class)


def login_page(csrf_token: str, next_url: str, error: str | None = None) -> str:
    note = f'<p class="errornote">{escape(error)}</p>' if error else ""
    form = (
        f'{note}<div id="content-main"><form action="/admin/login/" method="post" id="login-form">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        '<div class="form-row"><label class="required" for="id_username">Username:</label>'
        '<input type="text" name="username" autofocus autocapitalize="none" autocomplete="username"'
        ' maxlength="150" required id="id_username"></div>'
        '<div class="form-row"><label class="required" for="id_password">Password:</label>'
        '<input type="password" name="password" autocomplete="current-password" required id="id_password">'
        f'<input type="hidden" name="next" value="{escape(next_url)}"></div>'
        '<div class="submit-row"><input type="submit" value="Log in"></div></form></div>'
    )
    return _page("Log in", form, "login")


def not_found_page(path: str) -> str:
    return _page(
        "Page not found",
        f"<h1>Not Found</h1><p>The requested resource was not found on this server.</p><!-- {escape(path)} -->",
    )


def csrf_failure_page(reason: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
        '<meta name="robots" content="NONE,NOARCHIVE"><title>403 Forbidden</title></head><body>'
        '<div id="summary"><h1>Forbidden <span>(403)</span></h1><p>CSRF verification failed. Request aborted.</p>'
        f'</div><div id="info"><p>Reason given for failure:</p><pre>    {escape(reason)}\n    </pre></div>'
        "</body></html>"
    )


def logged_out_page() -> str:
    return _page(
        "Logged out",
        "<h1>Logged out</h1><p>Thanks for spending some quality time with the web site today."
        '</p><p><a href="/admin/">Log in again</a></p>',
    )


def password_changed_page() -> str:
    return _page("Password change successful", "<h1>Password change successful</h1><p>Your password was changed.</p>")


def unauthorized_page() -> str:
    return _page("Log in", "<h1>401 Unauthorized</h1><p>Please log in again.</p>", "login")
