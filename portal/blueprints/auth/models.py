"""The auth area has no tables of its own: accounts are `users.models.User`."""

from portal.blueprints.users.models import User

__all__ = ["User"]
