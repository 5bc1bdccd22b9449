"""Routes of the transparency area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("transparency", __name__)
