"""What each role's home page says: where things stand and what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func

from portal.access import ADMIN, CAMAT, OPERATOR, SEKRETARIS, code_range_condition
from portal.blueprints.regions.models import VILLAGE, Region, count_children_by_level
from portal.blueprints.users.models import User
from portal.extensions import db


@dataclass
class NextStep:
    text: str
    endpoint: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class HomeSummary:
    region: Region
    counts: dict[str, int] = field(default_factory=dict)
    steps: list[NextStep] = field(default_factory=list)
    villages_without_secretary: list[Region] = field(default_factory=list)


def villages_without_role(prefix: str, role: str) -> list[Region]:
    """Villages under `prefix` with no active user of `role` scoped to them."""
    has_user = (
        db.select(User.region_code)
        .where(User.role == role, User.active.is_(True))
        .where(code_range_condition(User.region_code, prefix))
    )
    return list(
        db.session.execute(
            db.select(Region)
            .where(code_range_condition(Region.code, prefix), Region.level == VILLAGE)
            .where(Region.code.not_in(has_user))
            .order_by(Region.code)
        ).scalars()
    )


def home_summary(user: Any) -> HomeSummary:
    region: Region = user.region
    summary = HomeSummary(region=region)
    levels = count_children_by_level(region.code)
    summary.counts = {"kecamatan": levels.get(3, 0), "villages": levels.get(VILLAGE, 0)}
    if user.role == ADMIN:
        per_role = dict(
            db.session.execute(
                db.select(User.role, func.count())
                .where(code_range_condition(User.region_code, region.code), User.active.is_(True))
                .group_by(User.role)
            ).all()
        )
        summary.counts.update({f"users_{role}": n for role, n in per_role.items()})
        missing = villages_without_role(region.code, SEKRETARIS)
        summary.villages_without_secretary = missing
        if summary.counts["villages"] == 0:
            summary.steps.append(
                NextStep(
                    _(
                        "Data wilayah kabupaten/kota ini belum diimpor. Minta pengelola portal "
                        "menjalankan `flask regions import`."
                    )
                )
            )
        if missing:
            summary.steps.append(
                NextStep(
                    _(
                        "Buat akun sekretaris untuk %(n)d desa/kelurahan yang belum punya.",
                        n=len(missing),
                    ),
                    "users.create",
                )
            )
        summary.steps.append(
            NextStep(
                _("Periksa daftar pengguna dan nonaktifkan akun yang tidak dipakai lagi."),
                "users.index",
            )
        )
    elif user.role == SEKRETARIS:
        summary.steps.append(
            NextStep(
                _(
                    "Prelist %(register)s desa/kelurahan Anda belum tersedia di portal. "
                    "Dinas sosial mengimpornya dari ekspor SIKS-NG; setelah itu Anda dapat "
                    "menyiapkan %(kind)s.",
                    register=_register_name(),
                    kind=region.meeting_kind or "musyawarah",
                )
            )
        )
    elif user.role == CAMAT:
        summary.steps.append(
            NextStep(
                _(
                    "Belum ada berita acara dari desa/kelurahan di kecamatan Anda yang menunggu "
                    "konfirmasi."
                )
            )
        )
        summary.villages_without_secretary = villages_without_role(region.code, SEKRETARIS)
        summary.steps.append(
            NextStep(
                _("Lihat desa/kelurahan di kecamatan Anda."), "regions.show", {"code": region.code}
            )
        )
    elif user.role == OPERATOR:
        summary.steps.append(
            NextStep(
                _(
                    "Belum ada keputusan musyawarah yang dikunci dan dikonfirmasi untuk "
                    "dimasukkan ke SIKS-NG di wilayah Anda."
                )
            )
        )
    return summary


def _register_name() -> str:
    from flask import current_app

    return current_app.config["REGISTER_NAME"]
