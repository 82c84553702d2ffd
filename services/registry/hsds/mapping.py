"""Registry entities as HSDS 3.0 objects, plus the fields of the Hawkari profile (see profile/).

HSDS has one text per field; ``lang`` picks it (English by default, falling back to Arabic, then
Sorani) and the profile's ``translations`` carries the others. HSDS types never include null, so
absent values are left out rather than sent as null. Every nested row HSDS wants an id for gets a
stable UUID derived from what it describes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pycountry

from services.registry.common.localized import LANGUAGES, pick
from services.registry.directory.freshness import is_stale
from services.registry.directory.models import Service, ServiceStatus
from services.registry.directory.repository import link_id
from services.registry.eligibility.models import Benefit, EligibilityRule
from services.registry.hsds.repository import Bundle
from services.registry.locations.models import Location
from services.registry.organizations.models import Organization
from services.registry.places import catalogue
from services.registry.programmes.models import Programme
from services.registry.taxonomy.models import (
    TAXONOMY_DESCRIPTION,
    TAXONOMY_ID,
    TAXONOMY_NAME,
    TAXONOMY_VERSION,
    TaxonomyTerm,
)

HSDS_VERSION = "3.0"
NAMESPACE = uuid.UUID("8e2b0d4a-7a0c-4b8e-9f3a-1c2d3e4f5a6b")


def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def compact(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None and v != {}}


def _text(texts: dict[str, str] | None, lang: str) -> str | None:
    return pick(texts, lang)


def translations(fields: Mapping[str, dict[str, str] | None], lang: str) -> dict[str, dict[str, str]]:
    """The texts in the languages other than ``lang``: {"ar": {"name": ...}, "ckb": {...}}."""
    out: dict[str, dict[str, str]] = {}
    for code in LANGUAGES:
        if code == lang:
            continue
        found = {name: texts[code] for name, texts in fields.items() if texts and texts.get(code)}
        if found:
            out[code] = found
    return out


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- taxonomy -----------------------------------------------------------------------------------


def taxonomy(public_url: str) -> dict[str, Any]:
    return {
        "id": str(TAXONOMY_ID),
        "name": TAXONOMY_NAME,
        "description": TAXONOMY_DESCRIPTION,
        "uri": f"{public_url}/hsds/taxonomies/{TAXONOMY_ID}",
        "version": TAXONOMY_VERSION,
    }


def taxonomy_term(term: TaxonomyTerm, lang: str, public_url: str, *, nested: bool = True) -> dict[str, Any]:
    name = _text(term.name, lang) or term.code
    return compact(
        {
            "id": str(term.id),
            "code": term.code,
            "name": name,
            "description": _text(term.description, lang) or name,
            "parent_id": str(term.parent_id) if term.parent_id else None,
            "taxonomy": TAXONOMY_NAME,
            "taxonomy_id": str(TAXONOMY_ID),
            "taxonomy_detail": taxonomy(public_url) if nested else None,
            "language": lang,
            "term_uri": f"{public_url}/hsds/taxonomy_terms/{term.id}",
            # profile
            "dimension": term.dimension,
            "translations": translations({"name": term.name, "description": term.description}, lang),
        }
    )


# --- organizations ------------------------------------------------------------------------------


def organization(org: Organization, lang: str) -> dict[str, Any]:
    name = _text(org.name, lang) or str(org.id)
    return compact(
        {
            "id": str(org.id),
            "name": name,
            "description": _text(org.description, lang) or name,
            "email": org.email,
            "website": org.website,
            "parent_organization_id": str(org.parent_id) if org.parent_id else None,
            # profile
            "kind": org.kind,
            "country_code": org.country_code,
            "translations": translations({"name": org.name, "description": org.description}, lang),
        }
    )


def organization_full(
    org: Organization,
    lang: str,
    *,
    services: list[dict[str, Any]],
    locations: list[Location],
    programmes: list[Programme],
) -> dict[str, Any]:
    doc = organization(org, lang)
    doc["phones"] = (
        [{"id": derived_id(org.id, "phone"), "organization_id": str(org.id), "number": org.phone}]
        if org.phone
        else []
    )
    doc["locations"] = [location(loc, lang) for loc in locations]
    doc["programs"] = [program(p, org.id, lang) for p in programmes]
    doc["services"] = services
    return doc


# --- locations ----------------------------------------------------------------------------------


def _place_name(governorate: str | None, district: str | None) -> tuple[str | None, str | None]:
    gov = catalogue.governorates().get(governorate) if governorate else None
    dist = catalogue.districts().get(district) if district else None
    return (gov.name_en if gov else None), (dist.name_en if dist else None)


def location(loc: Location, lang: str) -> dict[str, Any]:
    gov_name, district_name = _place_name(loc.governorate_code, loc.district_code)
    addresses = []
    if loc.location_type == "physical" and loc.address:
        addresses.append(
            {
                "id": derived_id(loc.id, "address"),
                "location_id": str(loc.id),
                "address_1": loc.address,
                "city": district_name or gov_name or "",
                "state_province": gov_name or "",
                # Iraqi addresses rarely use the postal code; HSDS requires the field, so it is empty.
                "postal_code": "",
                "country": "IQ",
                "address_type": "physical",
            }
        )
    return compact(
        {
            "id": str(loc.id),
            "location_type": loc.location_type,
            "url": loc.url,
            "organization_id": str(loc.organization_id),
            "name": _text(loc.name, lang),
            "description": _text(loc.description, lang),
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "addresses": addresses,
            # profile
            "governorate_code": loc.governorate_code,
            "district_code": loc.district_code,
            "translations": translations({"name": loc.name, "description": loc.description}, lang),
        }
    )


# --- programmes ---------------------------------------------------------------------------------


def program(p: Programme, organization_id: uuid.UUID | None, lang: str) -> dict[str, Any]:
    name = _text(p.name, lang) or str(p.id)
    return compact(
        {
            "id": str(p.id),
            "organization_id": str(organization_id) if organization_id else None,
            "name": name,
            "description": _text(p.description, lang) or name,
            # profile
            "funder_countries": list(p.funder_countries),
            "funding_instruments": list(p.funding_instruments),
            "thematic_areas": list(p.thematic_areas),
            "target_group": p.target_group,
            "eligible_return_types": list(p.eligible_return_types),
            "start_date": p.starts_on.isoformat(),
            "end_date": p.ends_on.isoformat() if p.ends_on else None,
            "translations": translations({"name": p.name, "description": p.description}, lang),
        }
    )


def _funding_source(p: Programme, lang: str) -> str:
    funders = ", ".join(
        "European Union" if c == "EU" else (getattr(pycountry.countries.get(alpha_2=c), "name", c))
        for c in p.funder_countries
    )
    return f"{funders} — {', '.join(p.funding_instruments)} — {_text(p.name, lang)}"


# --- services -----------------------------------------------------------------------------------


def service(svc: Service, b: Bundle, lang: str, stale_after_days: int) -> dict[str, Any]:
    """The one-to-one fields (HSDS service_list), with the organization and first programme."""
    programme_ids = b.programmes_of_service.get(svc.id, [])
    first = b.programmes[programme_ids[0]] if programme_ids else None
    org = b.organizations.get(svc.organization_id)
    return compact(
        {
            "id": str(svc.id),
            "organization_id": str(svc.organization_id),
            "program_id": str(first.id) if first else None,
            "name": _text(svc.name, lang) or str(svc.id),
            "description": _text(svc.description, lang),
            "url": svc.url,
            "email": svc.email,
            # A deactivated service is gone for good: HSDS calls that defunct.
            "status": svc.status if svc.active else ServiceStatus.defunct.value,
            "application_process": _text(svc.application_process, lang),
            "fees_description": _text(svc.fees_description, lang),
            "assured_date": svc.assured_at.date().isoformat() if svc.assured_at else None,
            "assurer_email": org.email if org is not None and svc.assured_at else None,
            "last_modified": _time(svc.updated_at),
            "organization": organization(org, lang) if org is not None else None,
            "program": program(first, next(iter(b.implementers.get(first.id, [])), None), lang)
            if first
            else None,
            # profile
            "accepts_referrals": svc.accepts_referrals,
            "referral_response_hours": svc.referral_response_hours,
            "capacity": compact(
                {
                    "open_places": svc.open_places,
                    "waitlist_length": svc.waitlist_length,
                    "updated_at": _time(svc.capacity_updated_at),
                }
            ),
            "stale": is_stale(svc.assured_at, stale_after_days),
            "programme_ids": [str(p) for p in programme_ids],
            "translations": translations(
                {
                    "name": svc.name,
                    "description": svc.description,
                    "application_process": svc.application_process,
                    "fees_description": svc.fees_description,
                },
                lang,
            ),
        }
    )


def service_full(
    svc: Service, b: Bundle, lang: str, stale_after_days: int, public_url: str
) -> dict[str, Any]:
    doc = service(svc, b, lang, stale_after_days)
    links = b.links[svc.id]
    doc["service_areas"] = [
        compact(
            {
                "id": str(link_id(svc.id, "area", gov, district or "")),
                "service_id": str(svc.id),
                "name": ", ".join(n for n in reversed(_place_name(gov, district)) if n),
                "description": "Whole governorate" if district is None else "One district",
                "governorate_code": gov,
                "district_code": district,
            }
        )
        for gov, district in links.areas
    ]
    doc["service_at_locations"] = [
        {
            # The id stored with the link, so /hsds/service_at_locations/{id} finds it.
            "id": str(link_id(svc.id, "location", loc_id)),
            "service_id": str(svc.id),
            "location_id": str(loc_id),
            "location": location(b.locations[loc_id], lang),
        }
        for loc_id in links.location_ids
        if loc_id in b.locations and b.locations[loc_id].active
    ]
    doc["languages"] = [
        compact(
            {
                "id": derived_id(svc.id, "language", code),
                "service_id": str(svc.id),
                "name": getattr(
                    pycountry.languages.get(alpha_2=code)
                    if len(code) == 2
                    else pycountry.languages.get(alpha_3=code),
                    "name",
                    None,
                ),
                "code": code,
            }
        )
        for code in svc.languages
    ]
    doc["funding"] = [
        {
            "id": derived_id(svc.id, "funding", pid),
            "service_id": str(svc.id),
            "source": _funding_source(b.programmes[pid], lang),
        }
        for pid in b.programmes_of_service.get(svc.id, [])
    ]
    doc["required_documents"] = [
        {"id": derived_id(svc.id, "document", i, text), "service_id": str(svc.id), "document": text}
        for i, text in enumerate(svc.required_documents)
    ]
    doc["attributes"] = [
        {
            "id": derived_id(svc.id, "attribute", code),
            "link_id": str(svc.id),
            "taxonomy_term_id": str(b.terms[code].id),
            "link_type": "service_type",
            "link_entity": "service",
            "taxonomy_term": taxonomy_term(b.terms[code], lang, public_url),
        }
        for code in links.term_codes
        if code in b.terms
    ]
    doc["metadata"] = [
        {
            "id": derived_id("change", c.id),
            "resource_id": str(svc.id),
            "resource_type": "service",
            "last_action_date": c.changed_at.date().isoformat(),
            "last_action_type": c.action,
            "field_name": c.field,
            "previous_value": "" if c.old_value is None else json.dumps(c.old_value, ensure_ascii=False),
            "replacement_value": "" if c.new_value is None else json.dumps(c.new_value, ensure_ascii=False),
            # The organization, not the person: the feed names no staff member.
            "updated_by": _actor(c.changed_by_organization_id, b, lang),
        }
        for c in b.changes.get(svc.id, [])
    ]
    doc["eligibility_rules"] = [eligibility_rule(r, lang) for r in b.rules.get(svc.id, [])]
    doc["benefits"] = [benefit(x, lang) for x in b.benefits.get(svc.id, [])]
    return doc


def _actor(org_id: uuid.UUID | None, b: Bundle, lang: str) -> str:
    org = b.organizations.get(org_id) if org_id else None
    return (_text(org.name, lang) if org else None) or "Hawkari registry"


def eligibility_rule(rule: EligibilityRule, lang: str) -> dict[str, Any]:
    return compact({"id": str(rule.id), "kind": rule.kind, **rule.params, "note": _text(rule.note, lang)})


def benefit(b: Benefit, lang: str) -> dict[str, Any]:
    return compact(
        {
            "id": str(b.id),
            "kind": b.kind,
            "description": _text(b.description, lang),
            "amount": float(b.amount) if b.amount is not None else None,
            "currency": b.currency,
            "per": b.per,
            "tops_up_programme_id": str(b.tops_up_programme_id) if b.tops_up_programme_id else None,
            "adjust_for_cost_of_living": b.adjust_for_cost_of_living,
        }
    )


def service_at_location(
    sal_id: uuid.UUID, svc: Service, loc: Location, b: Bundle, lang: str, stale_after_days: int, *, full: bool
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": str(sal_id),
        "service_id": str(svc.id),
        "location_id": str(loc.id),
        "location": location(loc, lang),
    }
    if full:
        doc["service"] = service(svc, b, lang, stale_after_days)
    return doc


def page(contents: list[dict[str, Any]], *, total: int, page_number: int, per_page: int) -> dict[str, Any]:
    pages = (total + per_page - 1) // per_page if total else 0
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }
