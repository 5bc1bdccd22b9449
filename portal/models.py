"""Every model, imported in one place so that Alembic sees the whole metadata."""

from portal.audit import AuditEntry
from portal.blueprints.berita_acara.models import BeritaAcara, SigningCertificate
from portal.blueprints.entry.models import EntryMark
from portal.blueprints.meetings.models import (
    KabupatenRules,
    Meeting,
    MeetingMove,
    Participant,
    Proposal,
    ProposalPhoto,
    Vote,
)
from portal.blueprints.notifications.models import Notification
from portal.blueprints.regions.models import Region
from portal.blueprints.register.models import (
    Household,
    HouseholdEvent,
    Person,
    RegisterImport,
    RegisterImportFile,
)
from portal.blueprints.review.models import MeetingReview
from portal.blueprints.users.models import User

__all__ = [
    "AuditEntry",
    "BeritaAcara",
    "EntryMark",
    "Household",
    "HouseholdEvent",
    "KabupatenRules",
    "Meeting",
    "MeetingMove",
    "MeetingReview",
    "Notification",
    "Participant",
    "Person",
    "Proposal",
    "ProposalPhoto",
    "Region",
    "RegisterImport",
    "RegisterImportFile",
    "SigningCertificate",
    "User",
    "Vote",
]
