"""Texts in English, Arabic and Central Kurdish (Sorani), the registry's three languages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES = ("en", "ar", "ckb")


def _clean(value: Any) -> Any:
    # Blank strings mean "no text": they must not shadow the next language in a fallback.
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class LocalizedText(BaseModel):
    """An optional text (description, application process) in up to three languages."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"en": "Counselling on arrival", "ar": "إرشاد عند الوصول", "ckb": "ڕاوێژکاری لە کاتی گەیشتن"}
            ]
        },
    )

    en: str | None = Field(default=None, max_length=5000)
    ar: str | None = Field(default=None, max_length=5000)
    ckb: str | None = Field(default=None, max_length=5000)

    @field_validator("en", "ar", "ckb", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return _clean(value)

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class LocalizedName(LocalizedText):
    """A name: at least one language, each at most 300 characters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"en": "Rwanga Foundation", "ar": "مؤسسة روانكه", "ckb": "دەزگای ڕوانگە"}]
        },
    )

    en: str | None = Field(default=None, max_length=300)
    ar: str | None = Field(default=None, max_length=300)
    ckb: str | None = Field(default=None, max_length=300)

    @model_validator(mode="after")
    def _one_language_at_least(self) -> LocalizedName:
        if not (self.en or self.ar or self.ckb):
            raise ValueError("needs a text in at least one of en, ar, ckb")
        return self


def pick(texts: dict[str, str] | None, lang: str = "en") -> str | None:
    """The text in ``lang``, else in the first language that has one."""
    if not texts:
        return None
    if texts.get(lang):
        return texts[lang]
    for code in LANGUAGES:
        if texts.get(code):
            return texts[code]
    return None
