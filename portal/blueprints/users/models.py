"""Portal users. A user has one role and one region that is the scope of that role."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.blueprints.regions.models import Region
from portal.extensions import Model
from portal.timeutil import utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'sekretaris', 'camat', 'operator')", name="role_known"),
        # The scope's level fits the role (see access.ROLE_SCOPE_LEVELS).
        CheckConstraint(
            "(role = 'admin' AND length(region_code) = 4)"
            " OR (role = 'sekretaris' AND length(region_code) = 10)"
            " OR (role = 'camat' AND length(region_code) = 6)"
            " OR (role = 'operator' AND length(region_code) IN (6, 10))",
            name="scope_fits_role",
        ),
        CheckConstraint("username = lower(username)", name="username_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Nomor Induk Pegawai of a civil servant (a camat): printed with their confirmation.
    nip: Mapped[str | None] = mapped_column(String(18))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(10), ForeignKey("regions.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of the login session id: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    region: Mapped[Region] = relationship(lazy="joined")

    __scope_column__ = "region_code"

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role} {self.region_code}>"
