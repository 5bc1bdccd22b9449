"""Berita acara: the official PDF, the locked decided list, signatures, public verification."""

from portal.blueprints.berita_acara.routes import bp, public_bp

__all__ = ["bp", "public_bp"]
