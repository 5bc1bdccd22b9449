"""Camat review of locked meetings: inbox, confirm with a second signature, return."""

from portal.blueprints.review.routes import bp

__all__ = ["bp"]
