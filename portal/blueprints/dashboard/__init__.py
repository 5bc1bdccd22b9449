"""Progress dashboard of a kabupaten or kecamatan, charts and CSV."""

from portal.blueprints.dashboard.routes import bp

__all__ = ["bp"]
