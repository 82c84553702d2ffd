"""The authorization matrix, written down: for every route of every service, what each role gets on
an object of its own organization and on one of another organization.

Reading a row: ``{role: (own, other)}``. "Own" is the object of the caller's organization (a case
Erbil's counsellor owns, a referral or a service of the provider the caseworker works for, an inbox
item addressed to the caller); "other" is the same kind of object of another organization (MRC
Baghdad's case, ETTC's referral and service, another user's inbox). For a route without an object
in the path both columns are the same request. Every role not named gets ``default`` (403 unless
said). Without a token, or with an expired one, every route but the health checks is 401.

``fresh`` routes change the object for good (a transition, a deactivation, an erasure): each
request that is expected to succeed gets an object of its own; refused requests use the shared one,
which a refusal leaves as it was. ``body`` builds the request body for (world, side).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.security.stack import ROLES

Expect = dict[str, tuple[int, int]]
Body = Callable[[Any, str], Any] | None


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: Expect
    body: Body = None
    fresh: bool = False
    public: bool = False  # no token needed (health checks)
    query: dict[str, str] = field(default_factory=dict)
    # Which kind of object a path parameter names, where the name alone does not say (a referral
    # in the state the action needs).
    kinds: dict[str, str] = field(default_factory=dict)


def table(default: int = 403, **named: tuple[int, int]) -> Expect:
    """Every role gets (default, default) unless named."""
    return {role: named.get(role, (default, default)) for role in ROLES}


def everyone(own: int, other: int | None = None) -> Expect:
    return {role: (own, own if other is None else other) for role in ROLES}


def public(method: str, path: str) -> Row:
    return Row(method, path, everyone(200), public=True)


HEALTH = [public("GET", "/healthz"), public("GET", "/readyz")]
OWN_ONLY = (200, 403)  # allowed on your organization's object, refused on another's

# --- registry ---------------------------------------------------------------------------------------

READ = everyone(200)
ADMIN = "provider_admin"


def _organization(w: Any, side: str) -> dict[str, Any]:
    return {"kind": "ngo", "name": {"en": f"Matrix NGO {w.unique()}"}}


def _term(w: Any, side: str) -> dict[str, Any]:
    return {"code": f"matrix-{w.unique()}", "dimension": "social", "name": {"en": "Matrix term"}}


RULE = {"kind": "gender", "genders": ["female"]}
BENEFIT = {"kind": "in_kind", "amount": "150", "currency": "USD", "description": {"en": "Hygiene kit"}}
PROFILE = {
    "return_type": "voluntary_assisted",
    "returned_from": "SE",
    "governorate_code": "IQ-SU",
    "age": 34,
    "gender": "male",
    "household_size": 4,
    "arrival_date": "2025-01-15",
}
HISTORY = (*("steering_admin", "platform_admin", "data_protection_officer"),)

REGISTRY = [
    *HEALTH,
    Row("GET", "/v1/services", READ),
    Row("POST", "/v1/services", table(**{ADMIN: (201, 403)}), body=lambda w, s: w.service_body(s)),
    Row("GET", "/v1/services/{service_id}", READ),
    Row(
        "PATCH",
        "/v1/services/{service_id}",
        table(**{ADMIN: OWN_ONLY}),
        body=lambda w, s: {"languages": ["ar"]},
    ),
    Row(
        "PUT",
        "/v1/services/{service_id}/capacity",
        table(provider_admin=OWN_ONLY, provider_caseworker=OWN_ONLY),
        body=lambda w, s: {"open_places": 3},
    ),
    Row("POST", "/v1/services/{service_id}/confirm", table(**{ADMIN: OWN_ONLY})),
    Row("POST", "/v1/services/{service_id}/deactivate", table(**{ADMIN: OWN_ONLY}), fresh=True),
    Row("GET", "/v1/organizations", READ),
    Row("POST", "/v1/organizations", table(platform_admin=(201, 201)), body=_organization),
    Row("GET", "/v1/organizations/{organization_id}", READ),
    Row(
        "PATCH",
        "/v1/organizations/{organization_id}",
        table(platform_admin=(200, 200), provider_admin=OWN_ONLY),
        body=lambda w, s: {"description": {"en": "Updated by the matrix"}},
    ),
    Row(
        "POST", "/v1/organizations/{organization_id}/deactivate", table(platform_admin=(200, 200)), fresh=True
    ),
    Row("GET", "/v1/locations", READ),
    Row("POST", "/v1/locations", table(**{ADMIN: (201, 403)}), body=lambda w, s: w.location_body(s)),
    Row("GET", "/v1/locations/{location_id}", READ),
    Row(
        "PATCH", "/v1/locations/{location_id}", table(**{ADMIN: OWN_ONLY}), body=lambda w, s: {"address": "x"}
    ),
    Row("POST", "/v1/locations/{location_id}/deactivate", table(**{ADMIN: OWN_ONLY}), fresh=True),
    Row("GET", "/v1/taxonomy-terms", READ),
    Row("POST", "/v1/taxonomy-terms", table(steering_admin=(201, 201)), body=_term),
    Row("GET", "/v1/taxonomy-terms/{term_id}", READ),
    Row(
        "PATCH",
        "/v1/taxonomy-terms/{term_id}",
        table(steering_admin=(200, 200)),
        body=lambda w, s: {"description": {"en": "Matrix"}},
    ),
    Row("POST", "/v1/taxonomy-terms/{term_id}/deactivate", table(steering_admin=(200, 200)), fresh=True),
    Row("GET", "/v1/programmes", READ),
    Row("POST", "/v1/programmes", table(steering_admin=(201, 201)), body=lambda w, s: w.programme_body()),
    Row("GET", "/v1/programmes/{programme_id}", READ),
    Row(
        "PATCH",
        "/v1/programmes/{programme_id}",
        table(steering_admin=(200, 200)),
        body=lambda w, s: {"ends_on": "2030-12-31"},
    ),
    Row("POST", "/v1/programmes/{programme_id}/deactivate", table(steering_admin=(200, 200)), fresh=True),
    Row("GET", "/v1/programmes/{programme_id}/rules", READ),
    Row(
        "POST",
        "/v1/programmes/{programme_id}/rules",
        table(steering_admin=(201, 201)),
        body=lambda w, s: RULE,
    ),
    Row("GET", "/v1/services/{service_id}/rules", READ),
    Row("POST", "/v1/services/{service_id}/rules", table(**{ADMIN: (201, 403)}), body=lambda w, s: RULE),
    Row("GET", "/v1/rules/{rule_id}", READ),
    Row("PUT", "/v1/rules/{rule_id}", table(**{ADMIN: OWN_ONLY}), body=lambda w, s: RULE),
    Row("POST", "/v1/rules/{rule_id}/deactivate", table(**{ADMIN: OWN_ONLY}), fresh=True),
    Row("GET", "/v1/programmes/{programme_id}/benefits", READ),
    Row(
        "POST",
        "/v1/programmes/{programme_id}/benefits",
        table(steering_admin=(201, 201)),
        body=lambda w, s: BENEFIT,
    ),
    Row("GET", "/v1/services/{service_id}/benefits", READ),
    Row(
        "POST", "/v1/services/{service_id}/benefits", table(**{ADMIN: (201, 403)}), body=lambda w, s: BENEFIT
    ),
    Row("GET", "/v1/benefits/{benefit_id}", READ),
    Row("PUT", "/v1/benefits/{benefit_id}", table(**{ADMIN: OWN_ONLY}), body=lambda w, s: BENEFIT),
    Row("POST", "/v1/benefits/{benefit_id}/deactivate", table(**{ADMIN: OWN_ONLY}), fresh=True),
    Row("GET", "/v1/cost-of-living", READ),
    Row(
        "PUT",
        "/v1/cost-of-living/{governorate_code}",
        table(steering_admin=(200, 200)),
        body=lambda w, s: {"factor": "1.1"},
    ),
    Row("GET", "/v1/exchange-rates", READ),
    Row(
        "PUT",
        "/v1/exchange-rates/{currency}",
        table(steering_admin=(200, 200)),
        body=lambda w, s: {"iqd_per_unit": "130", "as_of": "2025-03-01"},
    ),
    Row("POST", "/v1/entitlements", READ, body=lambda w, s: PROFILE),
    Row(
        "GET",
        "/v1/history",
        table(provider_admin=(200, 200), **{r: (200, 200) for r in HISTORY}),
    ),
    Row("GET", "/v1/places", READ),
    Row("GET", "/hsds/", READ),
    Row("GET", "/hsds/profile", READ),
    Row("GET", "/hsds/profile/{name}", READ),
    Row("GET", "/hsds/services", READ),
    Row("GET", "/hsds/services/{service_id}", READ),
    Row("GET", "/hsds/organizations", READ),
    Row("GET", "/hsds/organizations/{organization_id}", READ),
    Row("GET", "/hsds/taxonomies", READ),
    Row("GET", "/hsds/taxonomies/{taxonomy_id}", READ),
    Row("GET", "/hsds/taxonomy_terms", READ),
    Row("GET", "/hsds/taxonomy_terms/{term_id}", READ),
    Row("GET", "/hsds/service_at_locations", READ),
    Row("GET", "/hsds/service_at_locations/{link_id}", READ),
]

# --- referrals --------------------------------------------------------------------------------------

# Case work is the owning organization's counsellor's; another organization's case does not exist
# for them (404). Everyone else is refused by role (403).
CASE_OWNER = table(counsellor=(200, 404))
CASE_CREATED = table(counsellor=(201, 404))
# Provider staff hold cases too when their organization receives returnees on arrival (reception);
# an MRC's case, even one referred to them, is not theirs: 404, never the case.
RECEPTION = {"provider_caseworker": (404, 404), "provider_admin": (404, 404)}
HOLDER = table(counsellor=(200, 404), **RECEPTION)
HOLDER_CREATED = table(counsellor=(201, 404), **RECEPTION)
HOLDERS_LIST = table(counsellor=(200, 200), provider_caseworker=(200, 200), provider_admin=(200, 200))
# A referral is visible to its sender (the case owner's counsellor) and to the provider it is
# addressed to; the one who is a party but not the right one for the action gets 403.
# The wrong role is refused before the referral is looked at (403 either way), which says nothing
# about whether it exists.
PROVIDER_ACTS = table(provider_caseworker=(200, 404), provider_admin=(200, 404))
SENDER_ACTS = table(counsellor=(200, 404))
READS_REFERRAL = table(counsellor=(200, 404), provider_caseworker=(200, 404), provider_admin=(200, 404))


def _consent(w: Any, side: str) -> dict[str, Any]:
    return w.grant(side)


REFERRALS = [
    *HEALTH,
    Row("POST", "/v1/cases", table(counsellor=(201, 201)), body=lambda w, s: w.case_body()),
    Row("GET", "/v1/cases", HOLDERS_LIST),
    Row("GET", "/v1/cases/{case_id}", HOLDER),
    Row("PATCH", "/v1/cases/{case_id}", HOLDER, body=lambda w, s: {"household_size": 4}),
    Row("GET", "/v1/cases/{case_id}/personal-data", HOLDER, query={"purpose": "referral"}),
    Row(
        "PUT",
        "/v1/cases/{case_id}/personal-data",
        HOLDER,
        body=lambda w, s: {"identity_contact": {"given_name": "Matrix"}},
    ),
    Row("POST", "/v1/cases/{case_id}/close", HOLDER, fresh=True, body=lambda w, s: {"reason": "other"}),
    Row("POST", "/v1/cases/{case_id}/consent", HOLDER_CREATED, body=_consent),
    Row("GET", "/v1/cases/{case_id}/consent", HOLDER),
    Row(
        "POST",
        "/v1/cases/{case_id}/consent/withdrawals",
        HOLDER_CREATED,
        fresh=True,
        body=lambda w, s: {"consent_id": w.last_consent},
    ),
    Row("GET", "/v1/cases/{case_id}/consent/history", HOLDER),
    Row("POST", "/v1/cases/{case_id}/referrals", CASE_CREATED, body=lambda w, s: w.referral_body(s)),
    Row(
        "GET",
        "/v1/referrals",
        table(counsellor=(200, 200), provider_caseworker=(200, 200), provider_admin=(200, 200)),
    ),
    Row("GET", "/v1/referrals/{referral_id}", READS_REFERRAL),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/send",
        table(counsellor=(200, 404)),
        kinds={"referral_id": "draft"},
        fresh=True,
    ),
    Row(
        "POST", "/v1/referrals/{referral_id}/accept", PROVIDER_ACTS, fresh=True, kinds={"referral_id": "sent"}
    ),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/decline",
        PROVIDER_ACTS,
        kinds={"referral_id": "sent"},
        fresh=True,
        body=lambda w, s: {"reason": "other", "reason_text": "matrix"},
    ),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/start",
        PROVIDER_ACTS,
        fresh=True,
        kinds={"referral_id": "accepted"},
    ),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/complete",
        PROVIDER_ACTS,
        kinds={"referral_id": "started"},
        fresh=True,
        body=lambda w, s: {"outcome": "delivered"},
    ),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/close",
        PROVIDER_ACTS,
        fresh=True,
        body=lambda w, s: {"reason": "no_show"},
        kinds={"referral_id": "started"},
    ),
    Row("POST", "/v1/referrals/{referral_id}/revoke", SENDER_ACTS, fresh=True, kinds={"referral_id": "sent"}),
    Row(
        "POST",
        "/v1/referrals/{referral_id}/feedback",
        SENDER_ACTS,
        kinds={"referral_id": "completed"},
        fresh=True,
        body=lambda w, s: {"delivered": True, "quality": 4},
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/transfers",
        HOLDER_CREATED,
        fresh=True,
        body=lambda w, s: {"to_org_id": str(w.sulaymaniyah)},
    ),
    Row("GET", "/v1/transfers", HOLDERS_LIST),
    Row("POST", "/v1/transfers/{transfer_id}/accept", CASE_OWNER, fresh=True),
    Row("POST", "/v1/transfers/{transfer_id}/decline", CASE_OWNER, fresh=True),
    Row("GET", "/v1/duplicates", table(counsellor=(200, 200))),
    Row("POST", "/v1/duplicates/{flag_id}/confirm", CASE_OWNER, fresh=True),
    Row("POST", "/v1/duplicates/{flag_id}/dismiss", CASE_OWNER, fresh=True),
    Row(
        "PUT",
        "/v1/cases/{case_id}/needs",
        CASE_OWNER,
        body=lambda w, s: {"social": {"level": 2, "notes": "matrix"}},
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/follow-ups",
        CASE_CREATED,
        fresh=True,
        body=lambda w, s: {"timepoint": "baseline", "answers": {"distress": 3}},
    ),
    Row("GET", "/v1/cases/{case_id}/follow-ups", CASE_OWNER),
    Row("GET", "/v1/rights/cases/{case_id}/access-report", table(data_protection_officer=(200, 200))),
    Row("POST", "/v1/rights/cases/{case_id}/erasure", table(data_protection_officer=(200, 200)), fresh=True),
    Row("GET", "/v1/audit/verify", table(data_protection_officer=(200, 200))),
    Row("POST", "/v1/keys/rotate", table(platform_admin=(200, 200))),
]

# --- notifications ----------------------------------------------------------------------------------

# An inbox item is addressed to an organization and a role group: the provider's staff for a new
# referral, the referring counsellors for an answer. Nobody else sees it: 404.
ITEM = table(404, counsellor=(200, 404), provider_caseworker=(200, 404), provider_admin=(200, 404))
ITEM_READ = table(404, counsellor=(204, 404), provider_caseworker=(204, 404), provider_admin=(204, 404))
WEBHOOK_ADMIN = table(provider_admin=(200, 404))


def _endpoint(w: Any, side: str) -> dict[str, Any]:
    return {"url": w.receiver_url, "event_types": ["org.hawkari.referral.sent.v1"]}


NOTIFICATIONS = [
    *HEALTH,
    Row("GET", "/v1/inbox", everyone(200)),
    Row("GET", "/v1/users/{subject}/inbox", everyone(200, 404)),
    Row("GET", "/v1/inbox/unread-count", everyone(200)),
    Row("GET", "/v1/inbox/stream", everyone(200)),
    Row("GET", "/v1/inbox/{item_id}", ITEM),
    Row("POST", "/v1/inbox/{item_id}/read", ITEM_READ),
    Row("POST", "/v1/inbox/read-all", everyone(200)),
    Row("GET", "/v1/preferences/me", everyone(200)),
    Row("PUT", "/v1/preferences/me", everyone(200), body=lambda w, s: {"language": "ar"}),
    Row("GET", "/v1/webhooks", table(provider_admin=(200, 200))),
    Row("POST", "/v1/webhooks", table(provider_admin=(201, 201)), body=_endpoint),
    Row("GET", "/v1/webhooks/{endpoint_id}", WEBHOOK_ADMIN),
    Row("PATCH", "/v1/webhooks/{endpoint_id}", WEBHOOK_ADMIN, body=lambda w, s: {"description": "matrix"}),
    Row("DELETE", "/v1/webhooks/{endpoint_id}", table(provider_admin=(204, 404)), fresh=True),
    Row("GET", "/v1/webhooks/{endpoint_id}/deliveries", WEBHOOK_ADMIN),
    Row(
        "POST",
        "/v1/webhooks/{endpoint_id}/secret/rotate",
        WEBHOOK_ADMIN,
        body=lambda w, s: {"grace_hours": 1},
    ),
    Row(
        "POST",
        "/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        table(provider_admin=(202, 404)),
    ),
]

# --- coordination -----------------------------------------------------------------------------------

DASHBOARD = table(funder=(200, 200), steering_admin=(200, 200))

COORDINATION = [
    *HEALTH,
    *(
        Row("GET", f"/v1/{view}", DASHBOARD)
        for view in (
            "coverage",
            "overlap",
            "overlap/cash",
            "gaps/declines",
            "gaps/needs",
            "gaps/supply",
            "funnel",
            "outcomes",
            "demographics",
            "timeline",
            "suppression",
        )
    ),
    Row("PUT", "/v1/suppression", table(steering_admin=(200, 200)), body=lambda w, s: {"k": 5}),
]

TABLES = {
    "registry": REGISTRY,
    "referrals": REFERRALS,
    "notifications": NOTIFICATIONS,
    "coordination": COORDINATION,
}
