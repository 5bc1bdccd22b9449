from flask import Blueprint

bp = Blueprint("register", __name__)

from portal.blueprints.register import routes  # noqa: E402, F401
