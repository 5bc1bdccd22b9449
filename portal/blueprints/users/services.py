"""User management rules: who may be created where, password resets, disabling.

Services validate against the acting user's scope, write the audit entry and flush; the request
commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_

from portal import audit
from portal.access import ROLE_SCOPE_LEVELS, ROLES, covers, in_scope
from portal.blueprints.regions.models import Region
from portal.blueprints.users.models import User, new_session_token
from portal.extensions import db
from portal.passwords import generate_password, hash_password, policy_errors, verify_password
from portal.refusal import Refused
from portal.timeutil import utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class UserError(Refused):
    """A rule refused the change to a user."""


@dataclass
class UserData:
    username: str
    full_name: str
    role: str
    region_code: str
    email: str | None = None
    phone: str | None = None
    nip: str | None = None


def _check_role_region(role: str, region_code: str, actor: Any | None) -> Region:
    if role not in ROLES:
        raise UserError(_("Peran tidak dikenal."), "role")
    region = db.session.get(Region, region_code)
    if region is None or (actor is not None and not covers(region_code, actor)):
        raise UserError(_("Wilayah tidak ditemukan dalam cakupan Anda."), "region_code")
    if region.level not in ROLE_SCOPE_LEVELS[role]:
        raise UserError(role_scope_hint(role), "region_code")
    return region


def role_scope_hint(role: str) -> str:
    return {
        "admin": _("Admin dinas sosial harus berwilayah kabupaten/kota."),
        "sekretaris": _("Sekretaris harus berwilayah satu desa/kelurahan."),
        "camat": _("Camat harus berwilayah satu kecamatan."),
        "operator": _("Operator harus berwilayah satu desa/kelurahan atau satu kecamatan."),
    }[role]


def _clean(data: UserData) -> UserData:
    data.username = data.username.strip().lower()
    data.full_name = data.full_name.strip()
    data.email = (data.email or "").strip() or None
    data.phone = (data.phone or "").strip() or None
    data.nip = "".join((data.nip or "").split()) or None
    if data.nip is not None and not re.fullmatch(r"[0-9]{18}", data.nip):
        raise UserError(_("NIP terdiri atas 18 angka."), "nip")
    return data


def username_taken(username: str, except_id: int | None = None) -> bool:
    stmt = db.select(func.count()).select_from(User).where(User.username == username)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.session.execute(stmt).scalar_one() > 0


def create_user(
    data: UserData,
    *,
    password: str | None = None,
    actor: Any | None = None,
    chosen_by_owner: bool = False,
) -> tuple[User, str | None]:
    """Create a user. Without a password a temporary one is generated and returned (shown once).
    Either way the user must change it at first login: a password someone else chose (an admin,
    an operator at the command line) is known to them. Only `chosen_by_owner`, said by whoever
    creates their own account with a password of their own (`flask users create
    --own-password`), lets the account keep it; a generated password is never kept."""
    data = _clean(data)
    if not USERNAME_RE.match(data.username):
        raise UserError(
            _("Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah atau strip."),
            "username",
        )
    if not data.full_name:
        raise UserError(_("Nama lengkap wajib diisi."), "full_name")
    region = _check_role_region(data.role, data.region_code, actor)
    if username_taken(data.username):
        raise UserError(_("Nama pengguna sudah dipakai."), "username")
    temporary = None
    if password is None:
        password = temporary = generate_password()
    else:
        problems = policy_errors(password, data.username)
        if problems:
            raise UserError(" ".join(problems), "password")
    user = User(
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        nip=data.nip,
        role=data.role,
        region_code=region.code,
        password_hash=hash_password(password),
        must_change_password=temporary is not None or not chosen_by_owner,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        details={"username": user.username, "role": user.role},
    )
    return user, temporary


def update_user(user: User, data: UserData, *, actor: Any) -> User:
    data = _clean(data)
    if not data.full_name:
        raise UserError(_("Nama lengkap wajib diisi."), "full_name")
    region = _check_role_region(data.role, data.region_code, actor)
    if user.id == actor.id and (data.role != user.role or region.code != user.region_code):
        raise UserError(_("Anda tidak dapat mengubah peran atau wilayah akun Anda sendiri."))
    before = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "nip": user.nip,
        "role": user.role,
        "region_code": user.region_code,
    }
    user.full_name, user.email, user.phone = data.full_name, data.email, data.phone
    user.nip = data.nip
    scope_changed = (user.role, user.region_code) != (data.role, region.code)
    user.role, user.region_code = data.role, region.code
    if scope_changed:
        user.session_token = new_session_token()  # a new scope starts with a new login
    after = {k: getattr(user, k) for k in before}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit.record(
            "user.update",
            object_type="user",
            object_id=user.id,
            region_code=user.region_code,
            details={"changes": changes},
        )
    db.session.flush()
    return user


def set_active(user: User, active: bool, *, actor: Any) -> None:
    if user.id == actor.id and not active:
        raise UserError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if user.active == active:
        return
    user.active = active
    user.session_token = new_session_token()
    audit.record(
        "user.enable" if active else "user.disable",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
    )
    db.session.flush()


def reset_password(user: User, *, actor: Any) -> str:
    """Give the user a new temporary password (returned, shown once) and end their sessions."""
    temporary = generate_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_token = new_session_token()
    audit.record(
        "user.reset_password", object_type="user", object_id=user.id, region_code=user.region_code
    )
    db.session.flush()
    return temporary


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise UserError(_("Kata sandi saat ini salah."), "current_password")
    if current == new:
        raise UserError(_("Kata sandi baru harus berbeda dari yang lama."), "new_password")
    problems = policy_errors(new, user.username)
    if problems:
        raise UserError(" ".join(problems), "new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()
    audit.record(
        "user.change_password",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
    )
    db.session.flush()


def find_by_username(username: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()


def authenticate(username: str, password: str) -> User | None:
    """The user whose password matches, active or not (the caller tells a disabled user apart)."""
    user = db.session.execute(
        db.select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user


def end_sessions(user: User) -> None:
    """Every session of the user ends (they carry the old token)."""
    user.session_token = new_session_token()


def record_login(user: User) -> None:
    user.last_login_at = utcnow()
    audit.record(
        "auth.login",
        object_type="user",
        object_id=user.id,
        region_code=user.region_code,
        user_id=user.id,
    )


def users_in_scope(actor: Any, *, query: str = "", role: str = ""):  # -> Select
    stmt = db.select(User).where(in_scope(User.region_code, actor))
    if query:
        words = query.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(User.username).contains(words, autoescape=True),
                func.lower(User.full_name).contains(words, autoescape=True),
            )
        )
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    return stmt.order_by(User.region_code, User.role, User.username)
