"""Places: governorates from pycountry (ISO 3166-2:IQ), Halabja as IQ-HAL, the district table."""

from __future__ import annotations

import pycountry

from services.registry.places import catalogue
from tests.registry.harness import Api


def test_governorates_are_pycountrys_plus_halabja() -> None:
    iso = {s.code for s in pycountry.subdivisions.get(country_code="IQ") if s.type == "Governorate"}
    assert set(catalogue.governorates()) == iso | {"IQ-HAL"}
    assert len(iso) == 18
    assert "IQ-KR" not in catalogue.governorates()  # the Kurdistan Region is a region
    assert catalogue.expand_region("IQ-KR") == ["IQ-AR", "IQ-DA", "IQ-HAL", "IQ-SU"]
    assert all(d.governorate_code in catalogue.governorates() for d in catalogue.districts().values())


async def test_places_endpoint(api: Api) -> None:
    places = {g["code"]: g for g in (await api.get("/v1/places")).json()}
    assert places["IQ-HAL"]["iso_3166_2"] is False and places["IQ-HAL"]["in_kurdistan_region"] is True
    assert places["IQ-AR"]["iso_name"] == "Arbīl"
    assert places["IQ-AR"]["name"] == {"en": "Erbil", "ar": "أربيل", "ckb": "هەولێر"}
    assert {d["code"] for d in places["IQ-DA"]["districts"]} >= {"IQ-DA-ZAK", "IQ-DA-DAH"}
    assert (await api.get("/v1/places", as_=None)).status_code == 401
