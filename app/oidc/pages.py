"""The provider's HTML: the sign-in page of an authorization request, and the pages that say why nothing was
redirected or that the user signed out. Templates are package data (app/static, string.Template); every value
put in them is HTML-escaped here.

Each page runs only the package's own script and stylesheet (a CSP without 'unsafe-inline'), may not be framed
(no clickjacking of the connect button) and sends no Referer (the query holds the state and the PKCE challenge).
The sign-in page's form goes to the authorization endpoint, which answers with a redirect to the client: the
CSP's form-action must admit the redirect_uri's origin too, as browsers apply it to a form's redirects.
"""

import html
from collections.abc import Iterable
from importlib.resources import files
from string import Template
from urllib.parse import urlsplit

STATIC = files("app") / "static"
SIGN_IN_TEMPLATE = Template(STATIC.joinpath("oidc-signin.html").read_text(encoding="utf-8"))
MESSAGE_TEMPLATE = Template(STATIC.joinpath("oidc-message.html").read_text(encoding="utf-8"))
# Parameters of the completion itself: never carried over from an earlier request into the page's form
COMPLETION_PARAMETERS = frozenset({"message", "signature"})
HTML = "text/html; charset=utf-8"


def page_headers(form_action: str = "'none'") -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        f"img-src 'self' data:; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def sign_in_page(
    params: Iterable[tuple[str, str]], *, client_name: str, domain: str, redirect_uri: str, chain_ids: Iterable[int]
) -> str:
    """The sign-in page of a valid authorization request whose parameters were `params` (each carried over
    into the completion form, in order)."""
    hidden = "\n".join(
        f'    <input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in params
        if name not in COMPLETION_PARAMETERS
    )
    return SIGN_IN_TEMPLATE.substitute(
        client_name=html.escape(client_name),
        domain=html.escape(domain),
        redirect_uri=html.escape(redirect_uri),
        chain_ids=",".join(str(chain_id) for chain_id in chain_ids),
        hidden_inputs=hidden,
    )


def message_page(title: str, detail: str, *, error: str = "") -> str:
    """A page that only says something: an error (its code in `error`) or that the user signed out."""
    return MESSAGE_TEMPLATE.substitute(title=html.escape(title), detail=html.escape(detail), error=html.escape(error))
