"""Words the programmes, rules and entitlements share (from the NORAQ setting, see DOMAIN.md)."""

from __future__ import annotations

from enum import StrEnum


class ReturnType(StrEnum):
    """Kept apart everywhere: statistics that merge them are useless."""

    voluntary_assisted = "voluntary_assisted"
    # Voluntary return by someone holding a residence permit (Swedish "återvandring").
    return_migration_with_permit = "return_migration_with_permit"
    self_initiated = "self_initiated"
    # After an enforcement decision, without consent.
    forced = "forced"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class Vulnerability(StrEnum):
    """Special-category data: used only to answer an entitlement question, never stored."""

    health_condition = "health_condition"
    disability = "disability"
    unaccompanied_minor = "unaccompanied_minor"
    victim_of_trafficking = "victim_of_trafficking"
    sexual_orientation_or_gender_identity = "sexual_orientation_or_gender_identity"
    single_parent = "single_parent"
    elderly = "elderly"


# Countries a returnee "from the EU" may come from: the 27 member states and the four Schengen
# associated states (Norway funds NORAQ, and is not an EU member). ISO 3166-1 alpha-2.
EU_MEMBER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    ]
)
SCHENGEN_ASSOCIATED = frozenset({"IS", "LI", "NO", "CH"})
EU_AND_ASSOCIATED = EU_MEMBER_STATES | SCHENGEN_ASSOCIATED
