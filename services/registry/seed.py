"""Demo directory: the real NORAQ actors and programmes (DOMAIN.md) with plausible services.

``await seed(database_url)`` is idempotent: every entity has a fixed id (uuid5 of a readable
slug), and one that exists is left alone. Everything goes through the service layer, as the
seed's system actor, so history rows, outbox events and search rows are written as for any change.

What is real: the organizations, the three MRCs with their funders and opening dates, SI-COM
(June 2024 – May 2026, ICMPD with the Swedish Migration Agency), Frontex's joint reintegration
services through ETTC (since April 2022), the Nordic top-ups, the Swedish return-migration grant
(10 000 SEK per person). What is invented — services, amounts other than the Swedish grant, end
dates not in DOMAIN.md, factors and exchange rates, contact details, translations — says "Demo
data" in its description. Run it with ``python -m services.registry.seed`` (uses
``HAWKARI_REGISTRY_DATABASE_URL``).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.directory import repository as directory_repo
from services.registry.directory import service as directory
from services.registry.directory.schemas import ServiceCreate
from services.registry.eligibility import repository as eligibility_repo
from services.registry.eligibility import service as eligibility
from services.registry.eligibility.schemas import BenefitIn, FactorIn, RateIn, RuleIn
from services.registry.locations import repository as locations_repo
from services.registry.locations import service as locations
from services.registry.locations.schemas import LocationCreate
from services.registry.organizations import repository as organizations_repo
from services.registry.organizations import service as organizations
from services.registry.organizations.schemas import OrganizationCreate
from services.registry.permissions import SYSTEM
from services.registry.programmes import repository as programmes_repo
from services.registry.programmes import service as programmes
from services.registry.programmes.schemas import ProgrammeCreate
from services.registry.taxonomy import repository as taxonomy_repo
from services.registry.taxonomy import service as taxonomy
from services.registry.taxonomy.schemas import TermCreate
from shared.db import create_engine, create_sessionmaker, utcnow

DEMO = "Demo data."


def org_id(slug: str) -> uuid.UUID:
    """The id the demo logins' org_id claims carry (deploy/keycloak/dev)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:hawkari:demo-org:" + slug)


def demo_id(kind: str, slug: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:hawkari:demo-{kind}:{slug}")


def _text(en: str, ar: str | None = None, ckb: str | None = None) -> dict[str, str]:
    return {k: v for k, v in (("en", en), ("ar", ar), ("ckb", ckb)) if v}


# --- taxonomy -----------------------------------------------------------------------------------

TERMS: list[tuple[str, str, dict[str, str]]] = [
    ("cash-grant", "economic", _text("Cash grant", "منحة نقدية", "یارمەتیی نەختینە")),
    (
        "business-start-up",
        "economic",
        _text("Business start-up support", "دعم بدء المشاريع الصغيرة", "پاڵپشتی دەستپێکردنی پڕۆژەی بچووک"),
    ),
    ("job-placement", "economic", _text("Job placement", "التوظيف", "دۆزینەوەی کار")),
    ("vocational-training", "economic", _text("Vocational training", "التدريب المهني", "ڕاهێنانی پیشەیی")),
    ("housing", "social", _text("Housing", "السكن", "نیشتەجێبوون")),
    ("health-care", "social", _text("Health care", "الرعاية الصحية", "چاودێریی تەندروستی")),
    (
        "legal-documents",
        "social",
        _text("Legal aid and documents", "المساعدة القانونية والوثائق", "یارمەتیی یاسایی و بەڵگەنامە"),
    ),
    ("education", "social", _text("Education", "التعليم", "پەروەردە و خوێندن")),
    (
        "family-tracing",
        "social",
        _text("Family tracing and reunification", "البحث عن الأسر ولم شملها", "دۆزینەوەی خێزان"),
    ),
    (
        "psychosocial-counselling",
        "psychosocial",
        _text("Psychosocial counselling", "الدعم النفسي والاجتماعي", "ڕاوێژکاریی دەروونی و کۆمەڵایەتی"),
    ),
    (
        "airport-reception",
        "arrival_reception",
        _text("Airport reception", "الاستقبال في المطار", "پێشوازی لە فڕۆکەخانە"),
    ),
    (
        "temporary-accommodation",
        "arrival_reception",
        _text("Temporary accommodation on arrival", "سكن مؤقت عند الوصول", "نیشتەجێبوونی کاتی"),
    ),
    (
        "information-counselling",
        "information_counselling",
        _text("Information and counselling", "المعلومات والإرشاد", "زانیاری و ڕاوێژکاری"),
    ),
]

# --- organizations ------------------------------------------------------------------------------

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "slug": "mrc-erbil",
        "kind": "migrant_resource_centre",
        "name": _text(
            "Migrant Resource Centre Erbil",
            "مركز موارد المهاجرين في أربيل",
            "سەنتەری سەرچاوەی کۆچبەران لە هەولێر",
        ),
        "description": _text(
            "One-stop shop informing and counselling potential, departing and returning migrants; opened "
            "June 2024, funded by Norway."
        ),
        "email": "mrc.erbil@demo.hawkari.invalid",
    },
    {
        "slug": "mrc-sulaymaniyah",
        "kind": "migrant_resource_centre",
        "name": _text(
            "Migrant Resource Centre Sulaymaniyah",
            "مركز موارد المهاجرين في السليمانية",
            "سەنتەری سەرچاوەی کۆچبەران لە سلێمانی",
        ),
        "description": _text("Opened January 2025, funded by Sweden through SI-COM."),
        "email": "mrc.sulaymaniyah@demo.hawkari.invalid",
    },
    {
        "slug": "mrc-baghdad",
        "kind": "migrant_resource_centre",
        "name": _text("Migrant Resource Centre Baghdad", "مركز موارد المهاجرين في بغداد"),
        "description": _text("Opened December 2020, funded by Denmark."),
        "email": "mrc.baghdad@demo.hawkari.invalid",
    },
    {
        "slug": "rwanga",
        "kind": "ngo",
        "name": _text("Rwanga Foundation", "مؤسسة روانكه", "دەزگای ڕوانگە"),
        "description": _text("Local NGO in the Kurdistan Region supporting returnees."),
        "email": "returnees@demo.hawkari.invalid",
    },
    {
        "slug": "ettc",
        "kind": "training_centre",
        "name": _text(
            "European Technology and Training Centre (ETTC)", "المركز الأوروبي للتكنولوجيا والتدريب"
        ),
        "description": _text(
            "Non-profit; Frontex's reintegration partner in Iraq since 2022; receives returnees on arrival "
            "in Baghdad."
        ),
        "email": "reintegration@demo.hawkari.invalid",
    },
    {
        "slug": "icmpd",
        "kind": "international_organization",
        "name": _text("International Centre for Migration Policy Development (ICMPD)"),
        "description": _text(
            "Implementing partner in Vienna; set up the Multi-Stakeholder Platform for reintegration actors."
        ),
        "country_code": "AT",
    },
    {
        "slug": "jcc",
        "kind": "government_body",
        "name": _text(
            "Joint Crisis Coordination Centre (JCC), Kurdistan Regional Government",
            "مركز التنسيق المشترك للأزمات",
            "ناوەندی هاوئاهەنگیی هاوبەشی قەیرانەکان",
        ),
        "description": _text("Drives the use of Iraq's National Referral Mechanism in the Kurdistan Region."),
    },
    {
        "slug": "funder-se",
        "kind": "government_body",
        "country_code": "SE",
        "name": _text("Swedish Migration Agency (Migrationsverket)"),
        "description": _text(
            f"Sweden in the NORAQ steering group. {DEMO} (the agency stands in for Sweden's funders)"
        ),
    },
    {
        "slug": "funder-no",
        "kind": "government_body",
        "country_code": "NO",
        "name": _text("Norwegian Directorate of Immigration (UDI)"),
        "description": _text(
            f"Norway in the NORAQ steering group. {DEMO} (the directorate stands in for Norway's funders)"
        ),
    },
    {
        "slug": "funder-dk",
        "kind": "government_body",
        "country_code": "DK",
        "name": _text("Danish Return Agency (Hjemrejsestyrelsen)"),
        "description": _text(
            f"Denmark in the NORAQ steering group. {DEMO} (the agency stands in for Denmark's funders)"
        ),
    },
    {
        "slug": "funder-fi",
        "kind": "government_body",
        "country_code": "FI",
        "name": _text("Finnish Immigration Service (Migri)"),
        "description": _text(
            f"Finland in the NORAQ steering group. {DEMO} (the service stands in for Finland's funders)"
        ),
    },
    {
        "slug": "noraq-steering",
        "kind": "coordination_body",
        "name": _text("NORAQ steering group", "مجموعة توجيه نوراك"),
        "description": _text(
            "Nordic Cooperation on Return and Reintegration in Iraq, launched 4 June 2024: Sweden, "
            "Denmark, Norway, Finland."
        ),
    },
    {
        "slug": "hawkari-platform",
        "kind": "coordination_body",
        "name": _text("Hawkari platform team", None, "تیمی پلاتفۆرمی هاوکاری"),
        "description": _text(f"Operates the Hawkari referral network. {DEMO}"),
    },
]

# --- locations: (slug, organization, name, governorate, district, lat, lon, address) -------------

LOCATIONS = [
    (
        "mrc-erbil",
        "mrc-erbil",
        _text("MRC Erbil", "مركز موارد المهاجرين - أربيل", "سەنتەری کۆچبەران - هەولێر"),
        "IQ-AR",
        "IQ-AR-ERB",
        36.191,
        44.009,
        "Erbil city centre (demo address)",
    ),
    (
        "mrc-sulaymaniyah",
        "mrc-sulaymaniyah",
        _text("MRC Sulaymaniyah", None, "سەنتەری کۆچبەران - سلێمانی"),
        "IQ-SU",
        "IQ-SU-SUL",
        35.557,
        45.435,
        "Sulaymaniyah city (demo address)",
    ),
    (
        "mrc-baghdad",
        "mrc-baghdad",
        _text("MRC Baghdad", "مركز موارد المهاجرين - بغداد"),
        "IQ-BG",
        "IQ-BG-KRK",
        33.312,
        44.361,
        "Karkh, Baghdad (demo address)",
    ),
    (
        "ettc-airport",
        "ettc",
        _text("ETTC desk, Baghdad International Airport", "مكتب المركز في مطار بغداد الدولي"),
        "IQ-BG",
        "IQ-BG-KRK",
        33.262,
        44.234,
        "Baghdad International Airport, arrivals",
    ),
    (
        "ettc-erbil",
        "ettc",
        _text("ETTC office Erbil"),
        "IQ-AR",
        "IQ-AR-ERB",
        36.206,
        44.011,
        "Erbil (demo address)",
    ),
    (
        "rwanga-erbil",
        "rwanga",
        _text("Rwanga Foundation, Erbil", None, "دەزگای ڕوانگە - هەولێر"),
        "IQ-AR",
        "IQ-AR-ERB",
        36.183,
        44.025,
        "Erbil (demo address)",
    ),
    (
        "rwanga-duhok",
        "rwanga",
        _text("Rwanga Foundation, Duhok", None, "دەزگای ڕوانگە - دهۆک"),
        "IQ-DA",
        "IQ-DA-DAH",
        36.867,
        42.988,
        "Duhok (demo address)",
    ),
    (
        "jcc-erbil",
        "jcc",
        _text("JCC, Erbil", None, "ناوەندی هاوئاهەنگی - هەولێر"),
        "IQ-AR",
        "IQ-AR-ERB",
        36.19,
        44.0,
        "Erbil (demo address)",
    ),
]

KRI = ["IQ-AR", "IQ-SU", "IQ-DA", "IQ-HAL"]


def _areas(*codes: str) -> list[dict[str, str]]:
    return [{"governorate_code": c} for c in codes]


# --- services: (slug, organization, fields, stale days ago or None) ---------------------------------

SERVICES: list[tuple[str, str, dict[str, Any], int | None]] = [
    (
        "mrc-erbil-counselling",
        "mrc-erbil",
        {
            "name": _text(
                "Counselling for returning migrants",
                "الإرشاد للمهاجرين العائدين",
                "ڕاوێژکاری بۆ کۆچبەرانی گەڕاوە",
            ),
            "description": _text(
                "Information and counselling before departure and after return, and referral to partners. "
                f"{DEMO}",
                "معلومات وإرشاد قبل المغادرة وبعد العودة، وإحالة إلى الشركاء.",
                "زانیاری و ڕاوێژکاری پێش ڕۆیشتن و دوای گەڕانەوە، و ناردن بۆ هاوبەشەکان.",
            ),
            "languages": ["ckb", "kmr", "ar", "en"],
            "taxonomy_terms": ["information-counselling"],
            "service_areas": _areas("IQ-AR", "IQ-DA"),
            "location_ids": ["mrc-erbil"],
            "capacity": {"open_places": 12},
        },
        None,
    ),
    (
        "mrc-erbil-psychosocial",
        "mrc-erbil",
        {
            "name": _text("Psychosocial contact point", "نقطة اتصال للدعم النفسي", "خاڵی پەیوەندیی دەروونی"),
            "description": _text(
                f"A dedicated contact point for distress after return; referral to specialised care. {DEMO}",
                "نقطة اتصال مخصصة للضيق النفسي بعد العودة.",
                "خاڵێکی پەیوەندیی تایبەت بۆ فشاری دەروونی دوای گەڕانەوە.",
            ),
            "languages": ["ckb", "ar"],
            "taxonomy_terms": ["psychosocial-counselling"],
            "service_areas": _areas("IQ-AR"),
            "location_ids": ["mrc-erbil"],
            "capacity": {"open_places": 3, "waitlist_length": 0},
        },
        None,
    ),
    (
        "mrc-sulaymaniyah-counselling",
        "mrc-sulaymaniyah",
        {
            "name": _text(
                "Counselling for returning migrants",
                "الإرشاد للمهاجرين العائدين",
                "ڕاوێژکاری بۆ کۆچبەرانی گەڕاوە",
            ),
            "description": _text(
                f"Information, counselling and referral for returnees to Sulaymaniyah and Halabja. {DEMO}",
                None,
                "زانیاری و ڕاوێژکاری بۆ گەڕاوەکان لە سلێمانی و هەڵەبجە.",
            ),
            "languages": ["ckb", "ar", "en"],
            "taxonomy_terms": ["information-counselling"],
            "service_areas": _areas("IQ-SU", "IQ-HAL"),
            "location_ids": ["mrc-sulaymaniyah"],
            "capacity": {"open_places": 8},
        },
        None,
    ),
    (
        "mrc-sulaymaniyah-documents",
        "mrc-sulaymaniyah",
        {
            "name": _text(
                "Help with civil documents", "المساعدة في الوثائق المدنية", "یارمەتی لە بەڵگەنامەی شارستانی"
            ),
            "description": _text(
                f"Help to obtain or renew national ID and civil status documents. {DEMO}",
                "المساعدة في استخراج أو تجديد البطاقة الوطنية ووثائق الأحوال المدنية.",
                None,
            ),
            "languages": ["ckb", "ar"],
            "taxonomy_terms": ["legal-documents"],
            "required_documents": ["Any old ID document, if available"],
            "service_areas": _areas("IQ-SU", "IQ-HAL"),
            "location_ids": ["mrc-sulaymaniyah"],
        },
        None,
    ),
    (
        "mrc-baghdad-counselling",
        "mrc-baghdad",
        {
            "name": _text("Counselling for returning migrants", "الإرشاد للمهاجرين العائدين"),
            "description": _text(
                f"Information and counselling in Baghdad; referral on to partners. {DEMO}",
                "معلومات وإرشاد في بغداد وإحالة إلى الشركاء.",
            ),
            "languages": ["ar", "en"],
            "taxonomy_terms": ["information-counselling"],
            "service_areas": _areas("IQ-BG", "IQ-AN", "IQ-DI"),
            "location_ids": ["mrc-baghdad"],
            "capacity": {"open_places": 15},
        },
        None,
    ),
    (
        "mrc-baghdad-family-tracing",
        "mrc-baghdad",
        {
            "name": _text("Family tracing", "البحث عن الأسر"),
            "description": _text(
                f"Help to find and contact family members. {DEMO}",
                "المساعدة في العثور على أفراد الأسرة والتواصل معهم.",
            ),
            "languages": ["ar"],
            "taxonomy_terms": ["family-tracing"],
            "service_areas": _areas("IQ-BG"),
        },
        None,
    ),
    (
        "ettc-airport-reception",
        "ettc",
        {
            "name": _text("Reception on arrival at Baghdad airport", "الاستقبال عند الوصول إلى مطار بغداد"),
            "description": _text(
                "Meets returnees at Baghdad International Airport, including those travelling on to the "
                f"Kurdistan Region. {DEMO}",
                "استقبال العائدين في مطار بغداد الدولي بمن فيهم المتوجهون إلى إقليم كوردستان.",
            ),
            "languages": ["ar", "ckb", "en"],
            "taxonomy_terms": ["airport-reception"],
            "accepts_referrals": False,
            "service_areas": _areas("IQ-BG"),
            "location_ids": ["ettc-airport"],
        },
        None,
    ),
    (
        "ettc-business-start-up",
        "ettc",
        {
            "name": _text("Business start-up support", "دعم المشاريع الصغيرة", "پاڵپشتی پڕۆژەی بچووک"),
            "description": _text(
                "Business plan coaching and in-kind start-up support under Frontex's joint reintegration "
                f"services. {DEMO}",
                "تدريب على خطة العمل ودعم عيني لبدء المشروع.",
            ),
            "languages": ["ar", "ckb", "en"],
            "taxonomy_terms": ["business-start-up"],
            "referral_response_hours": 72,
            "location_ids": ["ettc-erbil", "ettc-airport"],
            "capacity": {"open_places": 20},
        },
        None,
    ),
    (
        "ettc-vocational-training",
        "ettc",
        {
            "name": _text(
                "Vocational training and job placement",
                "التدريب المهني والتوظيف",
                "ڕاهێنانی پیشەیی و دۆزینەوەی کار",
            ),
            "description": _text(
                f"Short vocational courses and help to find work. {DEMO}",
                "دورات مهنية قصيرة والمساعدة في إيجاد عمل.",
            ),
            "languages": ["ar", "en"],
            "taxonomy_terms": ["vocational-training", "job-placement"],
            "service_areas": _areas("IQ-BG", "IQ-AR"),
            "location_ids": ["ettc-erbil"],
            "capacity": {"open_places": 0, "waitlist_length": 6},
        },
        200,
    ),
    (
        "ettc-temporary-accommodation",
        "ettc",
        {
            "name": _text("Temporary accommodation after arrival", "سكن مؤقت بعد الوصول"),
            "description": _text(
                f"A few nights of accommodation in Baghdad for returnees without a place to stay. {DEMO}"
            ),
            "languages": ["ar"],
            "taxonomy_terms": ["temporary-accommodation", "housing"],
            "service_areas": _areas("IQ-BG"),
            "capacity": {"open_places": 0, "waitlist_length": 4},
        },
        None,
    ),
    (
        "rwanga-psychosocial",
        "rwanga",
        {
            "name": _text(
                "Psychosocial counselling for returnees",
                "الإرشاد النفسي والاجتماعي للعائدين",
                "ڕاوێژکاریی دەروونی و کۆمەڵایەتی بۆ گەڕاوەکان",
            ),
            "description": _text(
                f"Individual and group sessions with psychologists, in Sorani, Badini and Arabic. {DEMO}",
                "جلسات فردية وجماعية مع أخصائيين نفسيين.",
                "دانیشتنی تاکەکەسی و گرووپی لەگەڵ دەروونناس.",
            ),
            "languages": ["ckb", "kmr", "ar"],
            "taxonomy_terms": ["psychosocial-counselling"],
            "service_areas": _areas(*KRI),
            "location_ids": ["rwanga-erbil", "rwanga-duhok"],
            "capacity": {"open_places": 5},
        },
        None,
    ),
    (
        "rwanga-youth-skills",
        "rwanga",
        {
            "name": _text(
                "Skills and jobs for young returnees",
                "مهارات وفرص عمل للعائدين الشباب",
                "توانا و کار بۆ گەنجانی گەڕاوە",
            ),
            "description": _text(
                f"Vocational training and job placement for returnees aged 18 to 35. {DEMO}",
                None,
                "ڕاهێنانی پیشەیی و دۆزینەوەی کار بۆ گەڕاوەکانی تەمەن ١٨ تا ٣٥ ساڵ.",
            ),
            "languages": ["ckb", "kmr"],
            "taxonomy_terms": ["vocational-training", "job-placement"],
            "service_areas": _areas("IQ-AR", "IQ-DA"),
            "location_ids": ["rwanga-erbil", "rwanga-duhok"],
            "capacity": {"open_places": 10},
        },
        None,
    ),
    (
        "rwanga-small-business",
        "rwanga",
        {
            "name": _text("Small business grants", "منح المشاريع الصغيرة", "بەخششی پڕۆژەی بچووک"),
            "description": _text(
                f"A grant and mentoring to start a small business within a year of return. {DEMO}",
                "منحة وتوجيه لبدء مشروع صغير خلال سنة من العودة.",
                "بەخشش و ڕێنمایی بۆ دەستپێکردنی پڕۆژەیەکی بچووک.",
            ),
            "languages": ["ckb", "ar"],
            "taxonomy_terms": ["business-start-up", "cash-grant"],
            "service_areas": _areas(*KRI),
            "location_ids": ["rwanga-erbil"],
            "capacity": {"open_places": 4},
        },
        None,
    ),
    (
        "jcc-nrm-coordination",
        "jcc",
        {
            "name": _text(
                "National Referral Mechanism case coordination",
                "تنسيق حالات آلية الإحالة الوطنية",
                "هاوئاهەنگیی کەیسەکانی میکانیزمی ناردنی نیشتمانی",
            ),
            "description": _text(
                "Coordinates referrals of returnees through Iraq's National Referral Mechanism in the "
                f"Kurdistan Region. {DEMO}"
            ),
            "languages": ["ckb", "ar"],
            "taxonomy_terms": ["information-counselling", "legal-documents"],
            "service_areas": _areas(*KRI),
            "location_ids": ["jcc-erbil"],
        },
        400,
    ),
]

ALL_RETURN_TYPES = ["voluntary_assisted", "return_migration_with_permit", "self_initiated", "forced"]

PROGRAMMES: list[dict[str, Any]] = [
    {
        "slug": "mrc-erbil",
        "name": _text("Migrant Resource Centre Erbil"),
        "description": _text(f"Norway's funding of MRC Erbil (opened June 2024). End date: {DEMO}"),
        "funder_countries": ["NO"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": ["information_campaigns", "return_reintegration", "migration_management"],
        "target_group": "all_eu_returnees",
        "eligible_return_types": ALL_RETURN_TYPES,
        "starts_on": date(2024, 6, 1),
        "ends_on": date(2027, 5, 31),
        "implementers": ["mrc-erbil", "icmpd"],
        "services": ["mrc-erbil-counselling", "mrc-erbil-psychosocial"],
    },
    {
        "slug": "si-com",
        "name": _text("SI-COM: Sweden–Iraq Cooperation on Migration Governance"),
        "description": _text(
            "Implemented by ICMPD with the Swedish Migration Agency; runs MRC Sulaymaniyah (opened January "
            "2025)."
        ),
        "funder_countries": ["SE"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": [
            "migration_management",
            "information_campaigns",
            "return_reintegration",
            "capacity_support",
        ],
        "target_group": "all_eu_returnees",
        "eligible_return_types": ALL_RETURN_TYPES,
        "starts_on": date(2024, 6, 1),
        "ends_on": date(2026, 5, 31),
        "implementers": ["icmpd", "funder-se", "mrc-sulaymaniyah"],
        "services": ["mrc-sulaymaniyah-counselling", "mrc-sulaymaniyah-documents"],
    },
    {
        "slug": "mrc-baghdad",
        "name": _text("Migrant Resource Centre Baghdad"),
        "description": _text(f"Denmark's funding of MRC Baghdad (opened December 2020). End date: {DEMO}"),
        "funder_countries": ["DK"],
        "funding_instruments": ["oda"],
        "thematic_areas": ["information_campaigns", "return_reintegration"],
        "target_group": "all_eu_returnees",
        "eligible_return_types": ALL_RETURN_TYPES,
        "starts_on": date(2020, 12, 1),
        "ends_on": date(2026, 12, 31),
        "implementers": ["mrc-baghdad", "icmpd"],
        "services": ["mrc-baghdad-counselling", "mrc-baghdad-family-tracing"],
    },
    {
        "slug": "frontex-jrs",
        "name": _text("Frontex joint reintegration services", "خدمات إعادة الإدماج المشتركة لفرونتكس"),
        "description": _text(
            "Post-arrival and post-return support for up to 12 months, through ETTC since April 2022. "
            f"Cash support is the same everywhere in Iraq. Amounts: {DEMO}"
        ),
        "funder_countries": ["EU"],
        "funding_instruments": ["eu_frontex"],
        "thematic_areas": ["return_reintegration"],
        "target_group": "all_eu_returnees",
        "eligible_return_types": ["voluntary_assisted", "forced"],
        "starts_on": date(2022, 4, 1),
        "implementers": ["ettc"],
        "services": [
            "ettc-airport-reception",
            "ettc-business-start-up",
            "ettc-vocational-training",
            "ettc-temporary-accommodation",
        ],
    },
    {
        "slug": "se-top-up",
        "name": _text("Swedish top-up to Frontex reintegration support"),
        "description": _text(f"Adds to Frontex's support for returnees from Sweden. Amount: {DEMO}"),
        "funder_countries": ["SE"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": ["return_reintegration"],
        "target_group": "funder_country_returnees",
        "eligible_return_types": ["voluntary_assisted"],
        "starts_on": date(2022, 4, 1),
        "implementers": ["funder-se"],
        "services": [],
    },
    {
        "slug": "no-top-up",
        "name": _text("Norwegian top-up to Frontex reintegration support"),
        "description": _text(f"Adds to Frontex's support for returnees from Norway. Amount: {DEMO}"),
        "funder_countries": ["NO"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": ["return_reintegration"],
        "target_group": "funder_country_returnees",
        "eligible_return_types": ["voluntary_assisted", "forced"],
        "starts_on": date(2022, 4, 1),
        "implementers": ["funder-no"],
        "services": [],
    },
    {
        "slug": "fi-top-up",
        "name": _text("Finnish top-up to Frontex reintegration support"),
        "description": _text(f"Adds to Frontex's support for returnees from Finland. Amount: {DEMO}"),
        "funder_countries": ["FI"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": ["return_reintegration"],
        "target_group": "funder_country_returnees",
        "eligible_return_types": ["voluntary_assisted"],
        "starts_on": date(2022, 4, 1),
        "implementers": ["funder-fi"],
        "services": [],
    },
    {
        "slug": "se-return-migration-grant",
        "name": _text("Swedish return-migration grant (återvandringsbidrag)"),
        "description": _text(
            "10 000 SEK per person plus the journey, for people with a residence permit who choose to "
            "return. "
            "People who have lived in Sweden for the last five years get the journey only; any debt leads "
            "to rejection today. "
            f"Start date: {DEMO}"
        ),
        "funder_countries": ["SE"],
        "funding_instruments": ["national_budget"],
        "thematic_areas": ["return_reintegration", "migration_development"],
        "target_group": "funder_country_returnees",
        "eligible_return_types": ["return_migration_with_permit"],
        "starts_on": date(2014, 1, 1),
        "implementers": ["funder-se"],
        "services": [],
    },
    {
        "slug": "msp",
        "name": _text("Multi-Stakeholder Platform for reintegration actors (MSP)"),
        "description": _text(
            "Set up by ICMPD with Danish funding: brings reintegration actors together. Dates: " + DEMO
        ),
        "funder_countries": ["DK"],
        "funding_instruments": ["oda"],
        "thematic_areas": ["capacity_support", "return_reintegration"],
        "target_group": "all_eu_returnees",
        "eligible_return_types": ALL_RETURN_TYPES,
        "starts_on": date(2021, 1, 1),
        "implementers": ["icmpd"],
        "services": [],
    },
]

# (slug, owner kind, owner slug, rule)
RULES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "frontex-arrival",
        "programme",
        "frontex-jrs",
        {
            "kind": "arrival_within_months",
            "months": 12,
            "note": _text("Support runs for up to 12 months after return."),
        },
    ),
    ("se-top-up-arrival", "programme", "se-top-up", {"kind": "arrival_within_months", "months": 12}),
    ("no-top-up-arrival", "programme", "no-top-up", {"kind": "arrival_within_months", "months": 12}),
    ("fi-top-up-arrival", "programme", "fi-top-up", {"kind": "arrival_within_months", "months": 12}),
    (
        "rwanga-youth-age",
        "service",
        "rwanga-youth-skills",
        {"kind": "age_range", "minimum": 18, "maximum": 35},
    ),
    (
        "rwanga-business-arrival",
        "service",
        "rwanga-small-business",
        {"kind": "arrival_within_months", "months": 12},
    ),
    ("rwanga-business-age", "service", "rwanga-small-business", {"kind": "age_range", "minimum": 18}),
    ("rwanga-business-kri", "service", "rwanga-small-business", {"kind": "governorate", "governorates": KRI}),
]

# (slug, owner kind, owner slug, benefit)
BENEFITS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "frontex-cash",
        "programme",
        "frontex-jrs",
        {
            "kind": "cash",
            "amount": "615",
            "currency": "EUR",
            "per": "household",
            "adjust_for_cost_of_living": False,
            "description": _text(f"Post-arrival cash support, the same everywhere in Iraq. Amount: {DEMO}"),
        },
    ),
    (
        "frontex-in-kind",
        "programme",
        "frontex-jrs",
        {
            "kind": "in_kind",
            "amount": "2000",
            "currency": "EUR",
            "per": "household",
            "description": _text(
                "Post-return support in kind: housing, medical care, job counselling, education, business "
                f"start-up. Amount: {DEMO}"
            ),
        },
    ),
    (
        "se-top-up",
        "programme",
        "se-top-up",
        {
            "kind": "top_up",
            "amount": "500",
            "currency": "EUR",
            "per": "person",
            "tops_up_programme": "frontex-jrs",
            "description": _text(f"Swedish top-up. Amount: {DEMO}"),
        },
    ),
    (
        "no-top-up",
        "programme",
        "no-top-up",
        {
            "kind": "top_up",
            "amount": "5000",
            "currency": "NOK",
            "per": "person",
            "tops_up_programme": "frontex-jrs",
            "description": _text(f"Norwegian top-up. Amount: {DEMO}"),
        },
    ),
    (
        "fi-top-up",
        "programme",
        "fi-top-up",
        {
            "kind": "top_up",
            "amount": "1000",
            "currency": "EUR",
            "per": "household",
            "tops_up_programme": "frontex-jrs",
            "description": _text(f"Finnish top-up. Amount: {DEMO}"),
        },
    ),
    (
        "se-grant",
        "programme",
        "se-return-migration-grant",
        {
            "kind": "cash",
            "amount": "10000",
            "currency": "SEK",
            "per": "person",
            "adjust_for_cost_of_living": False,
            "description": _text("Return-migration grant: 10 000 SEK per person, plus the journey."),
        },
    ),
    (
        "rwanga-business-grant",
        "service",
        "rwanga-small-business",
        {
            "kind": "cash",
            "amount": "1500000",
            "currency": "IQD",
            "per": "household",
            "description": _text(f"Start-up grant, adjusted to the local cost of living. Amount: {DEMO}"),
        },
    ),
]

# Demo factors (national reference 1.000) and demo exchange rates.
FACTORS = {
    "IQ-BG": "1.100",
    "IQ-AR": "1.200",
    "IQ-SU": "1.150",
    "IQ-DA": "1.050",
    "IQ-HAL": "1.000",
    "IQ-BA": "1.050",
    "IQ-NI": "0.950",
}
RATES = {"EUR": "1420", "USD": "1310", "SEK": "125", "NOK": "122", "DKK": "190"}
RATES_AS_OF = date(2025, 1, 1)


async def _seed(session: AsyncSession) -> None:
    for code, dimension, name in TERMS:
        if await taxonomy_repo.by_code(session, code) is None:
            await taxonomy.create(
                session,
                SYSTEM,
                TermCreate(code=code, dimension=dimension, name=name),
                term_id=demo_id("term", code),
            )
    for spec in ORGANIZATIONS:
        oid = org_id(spec["slug"])
        if await organizations_repo.get(session, oid) is None:
            fields = {k: v for k, v in spec.items() if k != "slug"}
            await organizations.create(
                session, SYSTEM, OrganizationCreate.model_validate(fields), organization_id=oid
            )
    for slug, org, name, gov, district, lat, lon, address in LOCATIONS:
        lid = demo_id("location", slug)
        if await locations_repo.get(session, lid) is None:
            await locations.create(
                session,
                SYSTEM,
                LocationCreate(
                    organization_id=org_id(org),
                    name=name,
                    governorate_code=gov,
                    district_code=district,
                    latitude=lat,
                    longitude=lon,
                    address=address,
                ),
                location_id=lid,
            )
    now = utcnow()
    for slug, org, fields, stale_days in SERVICES:
        sid = demo_id("service", slug)
        if await directory_repo.get(session, sid) is None:
            body = {
                **fields,
                "organization_id": org_id(org),
                "location_ids": [demo_id("location", loc) for loc in fields.get("location_ids", [])],
            }
            assured = now - timedelta(days=stale_days) if stale_days else None
            await directory.create(
                session, SYSTEM, ServiceCreate.model_validate(body), service_id=sid, assured_at=assured
            )
    for spec in PROGRAMMES:
        pid = demo_id("programme", spec["slug"])
        if await programmes_repo.get(session, pid) is None:
            body = {k: v for k, v in spec.items() if k not in ("slug", "implementers", "services")}
            body["implementing_organization_ids"] = [org_id(o) for o in spec["implementers"]]
            body["service_ids"] = [demo_id("service", s) for s in spec["services"]]
            await programmes.create(session, SYSTEM, ProgrammeCreate.model_validate(body), programme_id=pid)
    for slug, owner_kind, owner, rule in RULES:
        rid = demo_id("rule", slug)
        if await eligibility_repo.get_rule(session, rid) is None:
            await eligibility.add_rule(
                session, SYSTEM, RuleIn.model_validate(rule), rule_id=rid, **_owner(owner_kind, owner)
            )
    for slug, owner_kind, owner, spec in BENEFITS:
        bid = demo_id("benefit", slug)
        if await eligibility_repo.get_benefit(session, bid) is None:
            body = {k: v for k, v in spec.items() if k != "tops_up_programme"}
            if "tops_up_programme" in spec:
                body["tops_up_programme_id"] = demo_id("programme", spec["tops_up_programme"])
            await eligibility.add_benefit(
                session, SYSTEM, BenefitIn.model_validate(body), benefit_id=bid, **_owner(owner_kind, owner)
            )
    for code, factor in FACTORS.items():
        if await eligibility_repo.get_factor(session, code) is None:
            await eligibility.set_factor(session, SYSTEM, code, FactorIn(factor=Decimal(factor)), None)
    for currency, rate in RATES.items():
        if await eligibility_repo.get_rate(session, currency) is None:
            await eligibility.set_rate(
                session, SYSTEM, currency, RateIn(iqd_per_unit=Decimal(rate), as_of=RATES_AS_OF), None
            )


def _owner(kind: str, slug: str) -> dict[str, uuid.UUID]:
    return (
        {"programme_id": demo_id("programme", slug)}
        if kind == "programme"
        else {"service_id": demo_id("service", slug)}
    )


async def seed(database_url: str) -> None:
    """Load the demo directory into a migrated registry database. Safe to run again."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await _seed(session)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    from services.registry.settings import RegistrySettings

    asyncio.run(seed(RegistrySettings().database_url))
