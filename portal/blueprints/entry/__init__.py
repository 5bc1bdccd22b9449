"""SIKS-NG operator: inbox of confirmed meetings, decided-list exports, entry marks."""

from portal.blueprints.entry.routes import bp

__all__ = ["bp"]
