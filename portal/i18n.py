"""Language: Indonesian first, English second. The choice is kept in the session."""

from __future__ import annotations

from datetime import date, datetime

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, session
from flask_babel import format_date, format_datetime, format_decimal, get_translations
from flask_login import current_user


def select_locale() -> str:
    languages: dict[str, str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        # CLI commands (`flask regions import`) translate messages too, with no session or user.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen: str | None = session.get("lang")
    if chosen in languages:
        return chosen
    user_locale: str | None = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _translations() -> NullTranslations:
    """The request's catalogue, looked up once per locale. `flask_babel.get_translations()` costs
    ~10 µs a call (several `g` lookups and `str(locale)` each time); a page translates dozens of
    strings. Keyed on the locale object, so that `flask_babel.refresh()` is still obeyed."""
    if not has_app_context():
        return get_translations()
    store = vars(g._get_current_object())
    locale = getattr(store.get("_flask_babel"), "babel_locale", None)
    cached = store.get("_portal_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()  # selects the locale, if not done yet
    store["_portal_translations"] = (
        getattr(store.get("_flask_babel"), "babel_locale", None),
        translations,
    )
    return translations


def init_app(app: Flask) -> None:
    # Flask-Babel's template callables, with the catalogue looked up once per request.
    # jinja2.ext.i18n (Flask-Babel adds it) sets this method on the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.template_filter("datetime")
    def _datetime(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else "—"

    @app.template_filter("date")
    def _date(value: date | None, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else "—"

    @app.template_filter("number")
    def _number(value: float | int | None) -> str:
        return format_decimal(value) if value is not None else "—"

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"languages": app.config["LANGUAGES"], "current_locale": select_locale()}
