"""The checks across the whole file, once every row was checked on its own.

One NIK on two rows, one KK in two villages, a NIK column that a spreadsheet stored as numbers
(every NIK ending in 0): each rejects the rows concerned, and the ids of those rows are held so
that their families are not changed by a part of them.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _

from portal.blueprints.register.validated import Issue, PersonRow


def reject_duplicates(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    seen: dict[str, list[int]] = defaultdict(list)
    for person in rows:
        seen[person.nik].append(person.row)
    duplicated = {nik for nik, lines in seen.items() if len(lines) > 1}
    if not duplicated:
        return rows
    kept = []
    for person in rows:
        if person.nik in duplicated:
            others = ", ".join(str(n) for n in seen[person.nik] if n != person.row)
            issues.append(
                Issue(
                    person.row,
                    "nomor_nik",
                    _("NIK yang sama juga ada di baris %(rows)s.", rows=others),
                )
            )
            rejected_ids.update((person.nik, person.kk))
        else:
            kept.append(person)
    return kept


def reject_split_families(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    """One KK lives in one village: a KK spread over villages is rejected whole."""
    villages: dict[str, set[str]] = defaultdict(set)
    for person in rows:
        villages[person.kk].add(person.village_code)
    split = {kk for kk, codes in villages.items() if len(codes) > 1}
    if not split:
        return rows
    kept = []
    for person in rows:
        if person.kk in split:
            issues.append(
                Issue(
                    person.row,
                    "nomor_kk",
                    _("No. KK yang sama tercatat di lebih dari satu desa/kelurahan."),
                )
            )
            rejected_ids.update((person.nik, person.kk))
        else:
            kept.append(person)
    return kept


def reject_zeroed_column(
    rows: list[PersonRow], issues: list[Issue], rejected_ids: set[str]
) -> list[PersonRow]:
    """Excel keeps 15 significant digits: a column stored as numbers ends every NIK in 0.

    About one NIK in ten ends in 0 naturally; far more than that means the column was damaged
    and the numbers cannot be trusted, so those rows are flagged.
    """
    zero = [p for p in rows if p.nik.endswith("0")]
    # A big file: far more than the natural one in ten. A small one: every NIK (at least four).
    damaged = (len(rows) >= 20 and len(zero) / len(rows) >= 0.5) or (
        4 <= len(rows) < 20 and len(zero) == len(rows)
    )
    if not damaged:
        return rows
    message = _(
        "Sebagian besar NIK di berkas ini berakhir dengan 0: kolom NIK kemungkinan pernah "
        "disimpan sebagai angka dan digit terakhirnya hilang. Periksa NIK ini."
    )
    for person in zero:
        issues.append(Issue(person.row, "nomor_nik", message))
        rejected_ids.update((person.nik, person.kk))
    return [p for p in rows if not p.nik.endswith("0")]
