"""Notifications: the bell in the portal and email when SMTP is configured."""

from portal.blueprints.notifications.routes import bp

__all__ = ["bp"]
