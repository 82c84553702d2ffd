"""What the services' codes are called on a page, in each language (codes stay codes on the wire)."""

from __future__ import annotations

from collections.abc import Mapping

from services.portal import i18n
from services.portal.i18n import N_
from services.portal.i18n import gettext_ as _

RETURN_TYPES = {
    "voluntary_assisted": N_("Voluntary, assisted"),
    "return_migration_with_permit": N_("Return migration (with residence permit)"),
    "self_initiated": N_("Self-initiated"),
    "forced": N_("Forced (enforcement decision)"),
}
GENDERS = {
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Other"),
    "undisclosed": N_("Not disclosed"),
}
AGE_BANDS = {b: b for b in ("0-17", "18-24", "25-34", "35-49", "50-64", "65+")}
PURPOSES = {
    "referral": N_("Referral to services"),
    "follow_up_contact": N_("Follow-up contact"),
    "statistics": N_("Statistics (anonymous counts)"),
}
DATA_CATEGORIES = {
    "identity_contact": N_("Identity and contact details"),
    "needs": N_("Needs assessment"),
    "vulnerabilities": N_("Vulnerabilities (health, disability, …)"),
    "documents": N_("Documents"),
}
LEGAL_BASES = {"consent": N_("Consent"), "vital_interest": N_("Vital interest")}
OBTAINED_HOW = {"verbal": N_("Verbally"), "written": N_("In writing"), "electronic": N_("Electronically")}
CHILD_VIEWS = {
    "agrees": N_("The child agrees"),
    "disagrees": N_("The child disagrees"),
    "unable_to_express": N_("The child cannot express a view"),
}
DECLINE_REASONS = {
    "no_capacity": N_("No capacity"),
    "not_eligible": N_("Not eligible"),
    "out_of_area": N_("Out of area"),
    "duplicate": N_("Duplicate"),
    "could_not_contact": N_("Could not contact"),
    "other": N_("Other"),
}
OUTCOMES = {
    "delivered": N_("Service delivered"),
    "partially_delivered": N_("Partially delivered"),
    "not_delivered": N_("Not delivered"),
}
CLOSE_REASONS = {
    "no_show": N_("No show"),
    "client_withdrew": N_("Client withdrew"),
    "unreachable": N_("Unreachable"),
}
REFERRAL_STATUSES = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "closed": N_("Closed"),
    "revoked": N_("Revoked"),
    "expired": N_("Expired"),
}
CASE_STATUSES = {"open": N_("Open"), "closed": N_("Closed"), "erased": N_("Erased")}
TRANSFER_STATUSES = {"requested": N_("Requested"), "accepted": N_("Accepted"), "declined": N_("Declined")}
TIMEPOINTS = {
    "baseline": N_("Baseline"),
    "month_3": N_("3 months"),
    "month_6": N_("6 months"),
    "month_12": N_("12 months"),
}
DIMENSIONS = {
    "economic": N_("Economic"),
    "social": N_("Social"),
    "psychosocial": N_("Psychosocial"),
    "arrival_reception": N_("Arrival and reception"),
    "information_counselling": N_("Information and counselling"),
}
VULNERABILITIES = {
    "health": N_("Health condition"),
    "disability": N_("Disability"),
    "unaccompanied_minor": N_("Unaccompanied minor"),
    "trafficking": N_("Victim of trafficking"),
    "other": N_("Other"),
}
NEED_LEVELS = {"0": N_("None"), "1": N_("Low"), "2": N_("Medium"), "3": N_("Urgent")}
# Countries returnees come back from most often; the form also accepts any ISO 3166 alpha-2 code.
COUNTRIES = ("SE", "NO", "DK", "FI", "DE", "NL", "BE", "AT", "FR", "GB", "TR")
TRANSITION_LABELS = {
    "accept": N_("Accept"),
    "decline": N_("Decline"),
    "start": N_("Start the service"),
    "complete": N_("Complete"),
    "close": N_("Close"),
    "revoke": N_("Withdraw the referral"),
    "send": N_("Send"),
}


def label(vocabulary: Mapping[str, str], code: str | None) -> str:
    """The translated name of ``code``; an unknown code is shown as it is."""
    if code is None:
        return "—"
    text = vocabulary.get(code)
    return _(text) if text else code


def options(vocabulary: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(code, _(text)) for code, text in vocabulary.items()]


def localized(names: Mapping[str, str] | None) -> str:
    """A registry name in the reader's language, else English, else any."""
    if not names:
        return ""
    lang = i18n.current_language.get()
    return names.get(lang) or names.get("en") or next(iter(names.values()), "")


def country_name(code: str | None) -> str:
    if not code:
        return "—"
    return i18n.locale(i18n.current_language.get()).territories.get(code.upper(), code)
