"""GET /v1/places: the governorate and district codes every other endpoint accepts."""

from __future__ import annotations

from services.registry.places import catalogue
from services.registry.places.schemas import DistrictOut, GovernorateOut
from shared.auth import authenticated_router

router = authenticated_router(prefix="/places", tags=["places"])


@router.get("", summary="Governorates (ISO 3166-2:IQ plus Halabja) and their districts")
async def list_places() -> list[GovernorateOut]:
    by_gov: dict[str, list[DistrictOut]] = {}
    for d in catalogue.districts().values():
        by_gov.setdefault(d.governorate_code, []).append(
            DistrictOut(code=d.code, name={"en": d.name_en, "ar": d.name_ar, "ckb": d.name_ckb})
        )
    return [
        GovernorateOut(
            code=g.code,
            iso_name=g.iso_name,
            name={"en": g.name_en, "ar": g.name_ar, "ckb": g.name_ckb},
            in_kurdistan_region=g.in_kurdistan_region,
            iso_3166_2=g.from_iso,
            districts=by_gov.get(g.code, []),
        )
        for g in catalogue.governorates().values()
    ]
