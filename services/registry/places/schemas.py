"""Places as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel


class DistrictOut(BaseModel):
    code: str
    name: dict[str, str]


class GovernorateOut(BaseModel):
    code: str
    iso_name: str
    name: dict[str, str]
    in_kurdistan_region: bool
    # False for Halabja, whose code is ours until ISO 3166-2 assigns one.
    iso_3166_2: bool
    districts: list[DistrictOut]
