"""One refusal type for every area: a rule said no, nothing changed.

`Refused` carries the message for the user (already translated) and, where one form field is to
blame, its name. Each area names its own refusals as subclasses (`MeetingError`,
`BeritaAcaraError`, `ReviewError`, ...), so a page can say which rule spoke, but a caller that
calls into another area catches `Refused` and lets the message through unchanged: no area wraps
another's refusal in its own.
"""

from __future__ import annotations


class Refused(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
