"""Reading and writing a case's encrypted personal data, and destroying it (crypto-shredding)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.referrals.personal_data import master_key
from services.referrals.personal_data.crypto import (
    KeyUnavailable,
    MasterKeyMismatch,
    MasterKeys,
    keyed_hash,
    new_data_key,
    open_sealed,
    seal,
)
from services.referrals.personal_data.models import CaseKey, PersonalRecord
from services.referrals.settings import ReferralsSettings

logger = logging.getLogger("hawkari.referrals.keys")


def _aad(case_id: uuid.UUID, purpose: str) -> bytes:
    return f"hawkari:{case_id}:{purpose}".encode()


class Vault:
    def __init__(self, master: MasterKeys, hash_secret: str) -> None:
        self.master = master
        self._hash_secret = hash_secret

    @classmethod
    def from_settings(cls, settings: ReferralsSettings) -> Vault:
        master = MasterKeys.from_secrets(
            settings.master_key_id,
            settings.master_key.get_secret_value(),
            {k: v.get_secret_value() for k, v in settings.previous_master_keys.items()},
        )
        return cls(master, settings.duplicate_hmac_key.get_secret_value())

    def hash_identifier(self, value: str) -> str:
        return keyed_hash(self._hash_secret, value)

    async def create_key(self, session: AsyncSession, case_id: uuid.UUID, now: datetime) -> None:
        key_id, wrapped = self.master.wrap(new_data_key(), case_id)
        session.add(CaseKey(case_id=case_id, master_key_id=key_id, wrapped_key=wrapped, created_at=now))
        await session.flush()

    async def data_key(self, session: AsyncSession, case_id: uuid.UUID) -> bytes:
        row = await session.get(CaseKey, case_id)
        if row is None or row.wrapped_key is None or row.master_key_id is None:
            raise KeyUnavailable("the case key is destroyed")
        return self._unwrap(row.master_key_id, row.wrapped_key, case_id)

    def _unwrap(self, key_id: str, wrapped: bytes, case_id: uuid.UUID) -> bytes:
        try:
            return self.master.unwrap(key_id, wrapped, case_id)
        except MasterKeyMismatch as mismatch:
            # A configuration fault, not the caller's: logged for the operator, a 503 for the client.
            logger.error("personal data locked: %s", master_key.explain(mismatch, self.master))
            raise master_key.PersonalDataLocked() from None

    # --- sealed blobs (personal categories and free texts) ------------------------------------

    async def seal_json(self, session: AsyncSession, case_id: uuid.UUID, purpose: str, value: Any) -> bytes:
        key = await self.data_key(session, case_id)
        return seal(key, json.dumps(value, default=str).encode(), _aad(case_id, purpose))

    async def open_json(self, session: AsyncSession, case_id: uuid.UUID, purpose: str, blob: bytes) -> Any:
        key = await self.data_key(session, case_id)
        return json.loads(open_sealed(key, blob, _aad(case_id, purpose)))

    async def write(
        self, session: AsyncSession, case_id: uuid.UUID, category: str, value: Any, now: datetime
    ) -> None:
        blob = await self.seal_json(session, case_id, "category:" + category, value)
        stmt = sa.dialects.postgresql.insert(PersonalRecord).values(
            case_id=case_id, category=category, ciphertext=blob, updated_at=now
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PersonalRecord.case_id, PersonalRecord.category],
                set_={"ciphertext": stmt.excluded.ciphertext, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def read(
        self, session: AsyncSession, case_id: uuid.UUID, categories: list[str] | None = None
    ) -> dict[str, Any]:
        query = sa.select(PersonalRecord).where(PersonalRecord.case_id == case_id)
        if categories is not None:
            query = query.where(PersonalRecord.category.in_(categories))
        rows = list((await session.execute(query)).scalars())
        if not rows:
            return {}
        key = await self.data_key(session, case_id)
        return {
            r.category: json.loads(open_sealed(key, r.ciphertext, _aad(case_id, "category:" + r.category)))
            for r in rows
        }

    async def destroy(self, session: AsyncSession, case_id: uuid.UUID, now: datetime) -> None:
        """Crypto-shredding: the wrapped key goes; any ciphertext left anywhere is now noise."""
        await session.execute(
            sa.update(CaseKey)
            .where(CaseKey.case_id == case_id)
            .values(wrapped_key=None, master_key_id=None, destroyed_at=now)
        )
        await session.execute(sa.delete(PersonalRecord).where(PersonalRecord.case_id == case_id))

    async def rotate(self, session: AsyncSession) -> dict[str, int]:
        """Re-wrap every data key not yet under the current master key: how many, per old key id."""
        rows = (
            await session.execute(
                sa.select(CaseKey)
                .where(CaseKey.wrapped_key.is_not(None), CaseKey.master_key_id != self.master.current_id)
                .with_for_update()
            )
        ).scalars()
        counts: dict[str, int] = {}
        for row in rows:
            assert row.wrapped_key is not None and row.master_key_id is not None
            data_key = self._unwrap(row.master_key_id, row.wrapped_key, row.case_id)
            counts[row.master_key_id] = counts.get(row.master_key_id, 0) + 1
            row.master_key_id, row.wrapped_key = self.master.wrap(data_key, row.case_id)
        await session.flush()
        return counts
