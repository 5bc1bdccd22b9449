"""Response helpers shared by every area: htmx fragments, security headers, navigation."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.access import can
from portal.control_characters import without_control_characters
from portal.extensions import htmx
from portal.personal_data import shown_id

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)


def fragment_or_page(page_template: str, fragment_template: str, **context: Any) -> Response:
    """One URL, two answers: the fragment for an htmx request, the full page otherwise.

    History restores (`HX-History-Restore-Request`) get the full page, as htmx expects.
    """
    wants_fragment = bool(htmx) and not htmx.history_restore_request and not htmx.boosted
    response = make_response(
        render_template(fragment_template if wants_fragment else page_template, **context)
    )
    response.vary.add("HX-Request")
    return response


LAST_PAGE = 10_000  # far beyond any list; an unbounded number overflowed the database's OFFSET


def page_number(value: str) -> int:
    """A `?halaman=` value as a page number from 1 to `LAST_PAGE`; use as
    `request.args.get("halaman", 1, type=page_number)` (anything not a number gives page 1)."""
    return min(max(int(value), 1), LAST_PAGE)


SEARCH_LENGTH = 100


def search_query(name: str = "q") -> str:
    """A search box's value as the database may be asked for it: control characters removed
    (PostgreSQL refuses a NUL in any text, which was a 500 on every search), trimmed, at most
    `SEARCH_LENGTH` characters. Wildcards stay literal where the query escapes them (`contains(...,
    autoescape=True)`)."""
    return without_control_characters(request.args.get(name, "", type=str)).strip()[:SEARCH_LENGTH]


def no_store(response: Response) -> Response:
    """For pages that show a secret once (a temporary password)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def navigation() -> list[tuple[str, Any, bool]]:
    """The menu for the current user's role: (endpoint, label, is the current section)."""
    if not current_user.is_authenticated:
        return []
    current = request.endpoint or ""
    items: list[tuple[str, Any, bool]] = [("main.home", _l("Beranda"), current == "main.home")]
    if can("view_regions"):
        items.append(("regions.index", _l("Wilayah"), current.startswith("regions.")))
    if can("view_meetings"):
        items.append(("meetings.index", _l("Musyawarah"), current.startswith("meetings.")))
    if can("review_meetings"):
        items.append(("review.inbox", _l("Konfirmasi"), current.startswith("review.")))
    if can("enter_decisions"):
        items.append(("entry.inbox", _l("Entri SIKS-NG"), current.startswith("entry.")))
    if can("view_dashboard"):
        items.append(("dashboard.index", _l("Dasbor"), current.startswith("dashboard.")))
    if can("view_register"):
        in_register = current.startswith("register.") and not current.startswith("register.import")
        items.append(("register.index", _l("Keluarga"), in_register))
    if can("import_register"):
        items.append(("register.imports", _l("Impor"), current.startswith("register.import")))
    if can("view_users"):
        items.append(("users.index", _l("Pengguna"), current.startswith("users.")))
    if can("view_audit"):
        items.append(("audit.index", _l("Jejak audit"), current.startswith("audit.")))
    return items


class _Navigation:
    """`navigation()`, worked out only when a page's menu is drawn (not for htmx fragments)."""

    def __iter__(self):
        return iter(navigation())


def init_app(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "navigation": _Navigation(),
            "can": can,
            "register_name": current_app.config["REGISTER_NAME"],
            "show_id": shown_id,
        }

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and getattr(current_user, "is_authenticated", False):
            # Pages of a logged-in user hold personal data: never in a shared cache.
            headers.setdefault("Cache-Control", "private, no-cache")
        if request.endpoint != "static":
            response.vary.add("Cookie")
        return response
