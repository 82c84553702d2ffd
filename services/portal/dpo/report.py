"""The subject access report as a readable page: the referrals service's JSON, section by section.

The report is the service's; this only lays it out (tables with captions and scoped headers) in
the reader's language. Field names the service adds later still show, humanised, rather than
being dropped: a subject access report must not leave anything out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.portal import i18n, vocabulary
from services.portal.charts import ChartLocale
from services.portal.charts.governorates import name as governorate_name
from services.portal.charts.table import Cell, Row, Table, table_markup
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _

LABELS = {
    "reference": N_("Reference"),
    "status": N_("Status"),
    "owner_org_id": N_("Owning organisation"),
    "counsellor_username": N_("Counsellor"),
    "gender": N_("Gender"),
    "age_band": N_("Age band"),
    "governorate_code": N_("Governorate"),
    "district_code": N_("District"),
    "country_returned_from": N_("Returned from"),
    "return_type": N_("Return type"),
    "arrival_date": N_("Arrival date"),
    "household_size": N_("Household size"),
    "created_at": N_("Opened"),
    "closed_at": N_("Closed"),
    "erased_at": N_("Erased"),
    "erased_by": N_("Erased by"),
    "who": N_("Who"),
    "org_id": N_("Organisation"),
    "at": N_("When"),
    "categories": N_("Data categories"),
    "why": N_("Why"),
    "recorded_at": N_("Recorded"),
    "action": N_("Action"),
    "purposes": N_("Purposes"),
    "data_categories": N_("Data categories"),
    "recipient_org_ids": N_("Recipient organisations"),
    "recipient_categories": N_("Recipient categories"),
    "legal_basis": N_("Legal basis"),
    "obtained_how": N_("Obtained"),
    "information_language": N_("Information sheet language"),
    "expires_at": N_("Expires"),
    "recorded_by": N_("Recorded by"),
    "sent_at": N_("Sent"),
    "service_id": N_("Service"),
    "provider_org_id": N_("Provider"),
    "programme_id": N_("Programme"),
    "decline_reason": N_("Decline reason"),
    "outcome": N_("Outcome"),
    "notes": N_("Notes"),
    "seq": N_("Entry"),
    "actor_username": N_("Who"),
    "purpose": N_("Why"),
    "timepoint": N_("Time point"),
    "answers": N_("Answers"),
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # msgid
    columns: tuple[str, ...]  # the columns shown first; any others follow


SECTIONS = (
    Section("accessed_by", N_("Who saw the personal data"), ("at", "who", "org_id", "categories", "why")),
    Section(
        "consent",
        N_("Consent records"),
        (
            "recorded_at",
            "action",
            "purposes",
            "data_categories",
            "recipient_org_ids",
            "recipient_categories",
            "legal_basis",
            "obtained_how",
            "information_language",
            "expires_at",
            "recorded_by",
        ),
    ),
    Section(
        "referrals",
        N_("Referrals"),
        ("sent_at", "status", "service_id", "provider_org_id", "programme_id", "data_categories", "notes"),
    ),
    Section("follow_ups", N_("Follow-ups"), ("timepoint", "recorded_at", "answers")),
    Section("transfers", N_("Transfers"), ("created_at", "status")),
    Section("duplicate_flags", N_("Possible duplicates"), ("created_at", "status")),
    Section(
        "audit", N_("Audit log entries about this case"), ("seq", "at", "actor_username", "action", "purpose")
    ),
)
CASE_FIELDS = (
    "reference",
    "status",
    "owner_org_id",
    "counsellor_username",
    "gender",
    "age_band",
    "governorate_code",
    "district_code",
    "country_returned_from",
    "return_type",
    "arrival_date",
    "household_size",
    "created_at",
    "closed_at",
    "erased_at",
    "erased_by",
)
HIDDEN = {"id", "case_id", "version", "updated_at"}  # ids and bookkeeping, in the JSON download
# Codes written by their names in the reader's language (the JSON download keeps the codes).
VALUES: dict[str, Mapping[str, str]] = {
    "status": {**vocabulary.REFERRAL_STATUSES, **vocabulary.TRANSFER_STATUSES, **vocabulary.CASE_STATUSES},
    "gender": vocabulary.GENDERS,
    "return_type": vocabulary.RETURN_TYPES,
    "purposes": vocabulary.PURPOSES,
    "data_categories": vocabulary.DATA_CATEGORIES,
    "categories": vocabulary.DATA_CATEGORIES,
    "legal_basis": vocabulary.LEGAL_BASES,
    "obtained_how": vocabulary.OBTAINED_HOW,
    "decline_reason": vocabulary.DECLINE_REASONS,
    "outcome": vocabulary.OUTCOMES,
    "close_reason": vocabulary.CLOSE_REASONS,
    "timepoint": vocabulary.TIMEPOINTS,
    "child_view": vocabulary.CHILD_VIEWS,
    "flags": vocabulary.VULNERABILITIES,
}


def label(key: str) -> str:
    return _(LABELS[key]) if key in LABELS else key.replace("_", " ").capitalize()


def text(value: Any, key: str = "") -> str:
    """A value as text: dates in the reader's locale, lists joined, nested objects flattened."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(text(v, key) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {text(v, k)}" for k, v in value.items())
    if key in VALUES and isinstance(value, str):
        return vocabulary.label(VALUES[key], value)
    if key == "country_returned_from":
        return vocabulary.country_name(str(value))
    if key == "governorate_code":
        return f"{governorate_name(str(value), chart_locale())} ({value})"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return i18n.format_datetime(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return i18n.format_date(value)
    return str(value)


def chart_locale() -> ChartLocale:
    lang = i18n.current_language.get()
    return ChartLocale(lang, i18n.translations(lang))


def columns_of(rows: Sequence[Mapping[str, Any]], first: Sequence[str]) -> list[str]:
    present = [c for c in first if any(c in r for r in rows)]
    rest = sorted({k for r in rows for k in r} - set(present) - HIDDEN)
    return present + rest


def section_table(section: Section, rows: Sequence[Mapping[str, Any]]) -> Markup | None:
    if not rows:
        return None
    columns = columns_of(rows, section.columns)
    body = [
        Row(Cell(text(r.get(columns[0]), columns[0])), [Cell(text(r.get(c), c)) for c in columns[1:]])
        for r in rows
    ]
    return table_markup(Table(_(section.title), [label(c) for c in columns], body), chart_locale())


def case_facts(case: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(label(k), text(case.get(k), k)) for k in CASE_FIELDS if k in case]


def personal_data(data: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Category -> its fields, each as (label, text)."""
    out = []
    for category, fields in data.items():
        if isinstance(fields, Mapping):
            out.append((label(category), [(label(k), text(v, k)) for k, v in fields.items()]))
        else:
            out.append((label(category), [(label(category), text(fields))]))
    return out


def sections(report: Mapping[str, Any]) -> list[tuple[str, str, Markup | None]]:
    """(anchor, title, table or None when the section is empty) for every section of the report."""
    return [(s.key, _(s.title), section_table(s, report.get(s.key) or [])) for s in SECTIONS]
