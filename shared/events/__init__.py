"""Event contracts and the CloudEvents 1.0 envelope they travel in."""

from shared.events.contracts import EventContract, contract_for, registered_contracts
from shared.events.envelope import CloudEvent, make_event, parse_event

__all__ = ["CloudEvent", "EventContract", "contract_for", "make_event", "parse_event", "registered_contracts"]
