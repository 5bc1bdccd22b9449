"""Routes of the entry area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("entry", __name__)
