"""What each role's home page says: where things stand and what to do next."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
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
        without_prelist = _villages_without_prelist(region.code)
        summary.counts["villages_without_prelist"] = without_prelist
        if without_prelist:
            summary.steps.append(
                NextStep(
                    ngettext(
                        "Impor prelist %(register)s untuk %(num)d desa/kelurahan yang belum punya.",
                        "Impor prelist %(register)s untuk %(num)d desa/kelurahan yang belum punya.",
                        without_prelist,
                        register=_register_name(),
                    ),
                    "register.index",
                )
            )
        summary.steps.append(
            NextStep(
                _("Periksa daftar pengguna dan nonaktifkan akun yang tidak dipakai lagi."),
                "users.index",
            )
        )
    elif user.role == SEKRETARIS:
        _secretary_steps(summary, user)
    elif user.role == CAMAT:
        _camat_steps(summary, user)
    elif user.role == OPERATOR:
        _operator_steps(summary, user)
    return summary


# Each role's list reads the same query as the page its step links to, so the home page and that
# page cannot disagree: the village's families (register.village), the meetings
# (meetings.index), the camat's inbox (review.inbox), the operator's entry list (entry.inbox).


def _secretary_steps(summary: HomeSummary, user: Any) -> None:
    from portal.access import scoped_select
    from portal.blueprints.meetings import states
    from portal.blueprints.meetings.models import Meeting
    from portal.blueprints.register.services import village_counts
    from portal.blueprints.review.services import addendum_of

    region = summary.region
    kind = region.meeting_kind or "musyawarah"
    families = village_counts(region.code).get(region.code, 0) if region.is_village else 0
    summary.counts["families"] = families
    if families == 0:
        summary.steps.append(
            NextStep(
                _(
                    "Prelist %(register)s desa/kelurahan Anda belum tersedia di portal. "
                    "Dinas sosial mengimpornya dari ekspor SIKS-NG; setelah itu Anda dapat "
                    "menyiapkan %(kind)s.",
                    register=_register_name(),
                    kind=kind,
                )
            )
        )
    else:
        summary.steps.append(
            NextStep(
                ngettext(
                    "Prelist %(register)s desa/kelurahan Anda: %(num)d keluarga.",
                    "Prelist %(register)s desa/kelurahan Anda: %(num)d keluarga.",
                    families,
                    register=_register_name(),
                ),
                "register.village",
                {"code": region.code},
            )
        )
    meetings = list(
        db.session.execute(
            scoped_select(Meeting, user)
            .where(Meeting.state.not_in((states.CONFIRMED, states.CANCELLED)))
            .order_by(Meeting.meeting_date, Meeting.id)
        ).scalars()
    )
    under_way = 0
    for meeting in meetings:
        if meeting.state == states.LOCKED:
            text = _(
                "%(kind)s %(number)s dikunci: berita acara menunggu konfirmasi camat.",
                kind=meeting.kind.upper(),
                number=meeting.number,
            )
        elif meeting.state == states.RETURNED:
            if addendum_of(meeting.id) is not None:
                continue
            text = _(
                "%(kind)s %(number)s dikembalikan camat: baca catatannya dan buat adendum.",
                kind=meeting.kind.upper(),
                number=meeting.number,
            )
        else:
            under_way += 1
            text = _(
                "Lanjutkan %(kind)s %(number)s (%(state)s).",
                kind=meeting.kind.upper(),
                number=meeting.number,
                state=meeting.state_label,
            )
        summary.steps.append(NextStep(text, "meetings.show", {"meeting_id": meeting.id}))
    summary.counts["meetings_open"] = under_way
    if families and not under_way:
        summary.steps.append(NextStep(_("Buat %(kind)s baru.", kind=kind), "meetings.create"))


def _camat_steps(summary: HomeSummary, user: Any) -> None:
    from portal.blueprints.review.services import inbox

    waiting = _count(inbox(user))
    summary.counts["reviews_waiting"] = waiting
    if waiting:
        summary.steps.append(
            NextStep(
                ngettext(
                    "%(num)d berita acara dari desa/kelurahan di kecamatan Anda menunggu "
                    "konfirmasi.",
                    "%(num)d berita acara dari desa/kelurahan di kecamatan Anda menunggu "
                    "konfirmasi.",
                    waiting,
                ),
                "review.inbox",
            )
        )
    else:
        summary.steps.append(
            NextStep(
                _(
                    "Belum ada berita acara dari desa/kelurahan di kecamatan Anda yang menunggu "
                    "konfirmasi."
                )
            )
        )
    summary.villages_without_secretary = villages_without_role(summary.region.code, SEKRETARIS)
    summary.steps.append(
        NextStep(
            _("Lihat desa/kelurahan di kecamatan Anda."),
            "regions.show",
            {"code": summary.region.code},
        )
    )


def _operator_steps(summary: HomeSummary, user: Any) -> None:
    from portal.blueprints.entry.services import inbox

    confirmed = inbox("semua", per_page=1, user=user).total
    open_for_entry = inbox("terbuka", per_page=1, user=user).total
    summary.counts["entry_confirmed"] = confirmed
    summary.counts["entry_open"] = open_for_entry
    if open_for_entry:
        summary.steps.append(
            NextStep(
                ngettext(
                    "%(num)d musyawarah yang dikonfirmasi camat menunggu entri ke SIKS-NG.",
                    "%(num)d musyawarah yang dikonfirmasi camat menunggu entri ke SIKS-NG.",
                    open_for_entry,
                ),
                "entry.inbox",
                {"tampil": "terbuka"},
            )
        )
    elif confirmed:
        summary.steps.append(
            NextStep(
                _(
                    "Semua keputusan musyawarah yang dikonfirmasi di wilayah Anda sudah ditandai "
                    "di SIKS-NG."
                ),
                "entry.inbox",
            )
        )
    else:
        summary.steps.append(
            NextStep(
                _(
                    "Belum ada keputusan musyawarah yang dikunci dan dikonfirmasi untuk "
                    "dimasukkan ke SIKS-NG di wilayah Anda."
                )
            )
        )


def _villages_without_prelist(prefix: str) -> int:
    """Villages under `prefix` that the register page lists with no active family."""
    from portal.blueprints.regions.services import regions_in_scope
    from portal.blueprints.register.services import village_counts

    with_families = village_counts(prefix)
    villages = regions_in_scope(prefix, (VILLAGE,))
    return sum(1 for village in villages if not with_families.get(village.code))


def _count(statement: Any) -> int:
    """How many rows a page's select lists (the same select, counted)."""
    return db.session.scalar(db.select(func.count()).select_from(statement.subquery())) or 0


def _register_name() -> str:
    from flask import current_app

    return current_app.config["REGISTER_NAME"]
