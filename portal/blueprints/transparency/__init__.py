"""Public transparency page per village: confirmed decisions, masked."""

from portal.blueprints.transparency.routes import bp

__all__ = ["bp"]
