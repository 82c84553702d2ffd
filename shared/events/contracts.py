"""Typed event contracts: one Pydantic model per event type, known by its CloudEvents ``type``.

A contract names its event type (``org.hawkari.<entity>.<verb>.v<N>``), the producing service and
the NATS subject it travels on (``<service>.<entity>.<verb>``, optionally followed by the entity
id where a stream keeps the last message per entity). Contracts live in ``shared.contracts`` so
that producers and consumers, which never import each other, agree on them; the JSON Schemas
and the AsyncAPI document for partners are generated from this registry.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

_REGISTRY: dict[str, type[EventContract]] = {}


class EventContract(BaseModel):
    """Base of every event payload (the CloudEvent's ``data``). Never holds personal data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    service: ClassVar[str]
    entity: ClassVar[str]
    verb: ClassVar[str]
    # Whether the subject ends with the entity id (last-value-per-entity streams).
    keyed: ClassVar[bool] = False
    summary: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "event_type", None) and cls.__dict__.get("event_type"):
            expected = f"org.hawkari.{cls.entity}.{cls.verb}."
            if not cls.event_type.startswith(expected):
                raise TypeError(f"{cls.__name__}: event_type must start with {expected!r}")
            existing = _REGISTRY.get(cls.event_type)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {cls.event_type} is declared twice")
            _REGISTRY[cls.event_type] = cls

    @classmethod
    def subject_pattern(cls) -> str:
        base = f"{cls.service}.{cls.entity}.{cls.verb}"
        return f"{base}.*" if cls.keyed else base

    def subject(self, entity_id: str) -> str:
        base = f"{self.service}.{self.entity}.{self.verb}"
        return f"{base}.{entity_id}" if self.keyed else base


def contract_for(event_type: str) -> type[EventContract] | None:
    return _REGISTRY.get(event_type)


def registered_contracts() -> dict[str, type[EventContract]]:
    """Every contract declared so far, by event type (import ``shared.contracts`` to load them)."""
    return dict(sorted(_REGISTRY.items()))


PUBLISHED_PACKAGE = "shared.contracts"


def published_contracts() -> dict[str, type[EventContract]]:
    """The contracts partners can rely on: those declared in ``shared.contracts``."""
    import shared.contracts  # noqa: F401 - importing the package registers its contracts

    return {
        t: c for t, c in registered_contracts().items() if c.__module__.startswith(PUBLISHED_PACKAGE + ".")
    }
