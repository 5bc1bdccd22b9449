"""Issue 6's fixtures (users of every role, a locked/confirmed/returned meeting of Pasar Ipuh)."""

from tests.review.conftest import confirmed, locked, register, returned, sekretaris, users  # noqa: F401
