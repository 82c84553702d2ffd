"""Every table of the registry, imported so that ``Base.metadata`` is complete (migrations, tests)."""

from services.registry.db import Base, outbox
from services.registry.directory.models import Service, service_area, service_location, service_taxonomy_term
from services.registry.eligibility.models import Benefit, CostOfLivingFactor, CurrencyRate, EligibilityRule
from services.registry.history.models import ChangeRecord
from services.registry.locations.models import Location
from services.registry.organizations.models import Organization
from services.registry.programmes.models import Programme, programme_implementer, programme_service
from services.registry.search.models import SearchWord, ServiceSearch
from services.registry.taxonomy.models import TaxonomyTerm

metadata = Base.metadata

__all__ = [
    "Base",
    "Benefit",
    "ChangeRecord",
    "CostOfLivingFactor",
    "CurrencyRate",
    "EligibilityRule",
    "Location",
    "Organization",
    "Programme",
    "SearchWord",
    "Service",
    "ServiceSearch",
    "TaxonomyTerm",
    "metadata",
    "outbox",
    "programme_implementer",
    "programme_service",
    "service_area",
    "service_location",
    "service_taxonomy_term",
]
