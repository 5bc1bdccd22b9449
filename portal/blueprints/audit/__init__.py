"""The audit trail as people see it: admin (kabupaten) and camat (kecamatan) read and filter
it; admin checks the hash chain. `flask audit verify` checks it from the command line."""

from portal.blueprints.audit.routes import bp

__all__ = ["bp"]
