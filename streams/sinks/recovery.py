"""Read back from PostgreSQL what the Redis dedupe index must know, to rebuild it after Redis lost it.

Redis holds the fast index the stages consult (first-seen documents, invoice business keys, known vendors);
PostgreSQL holds the records it was built from. A Redis that restarts without persistence, or is replaced,
would otherwise forget every earlier invoice: a resend would no longer be caught as a duplicate and every
seller would look new. `invoiceflow index rebuild` reads the records here, in the order they arrived.
An invoice is a (tenant, invoice id) pair, as in every record table and every index key (`doc:<tenant>:...`,
`bk:<tenant>:...`, `vendors:<tenant>`): two tenants may record the same invoice id, and each gets its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from streams.errors import SinkError
from streams.sinks._protocols import VendorFact

__all__ = ["RecordedInvoice", "recorded_invoices", "recorded_vendors"]

_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

_INVOICES = """SELECT tenant_id, invoice_id, document_sha256, invoice::text AS invoice FROM invoices
WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY received_at, tenant_id, invoice_id"""
_VENDORS = """SELECT tenant_id, seller_key, iban, name, vat_id FROM vendors
WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY tenant_id, seller_key"""


@dataclass(frozen=True, slots=True)
class RecordedInvoice:
    """One recorded invoice (keyed by tenant and invoice id), its document, its fields as stored (JSON or None)."""

    tenant_id: str
    invoice_id: str
    document_sha256: str
    invoice_json: str | None


async def recorded_invoices(pool: Any, tenant: str | None, batch: int = 2000) -> AsyncIterator[list[RecordedInvoice]]:
    """Every recorded invoice (of `tenant`, or all), oldest first, in lists of up to `batch` (a server cursor)."""
    try:
        async with pool.acquire() as conn, conn.transaction(readonly=True):
            cursor = await conn.cursor(_INVOICES, tenant)
            while rows := await cursor.fetch(batch):
                yield [RecordedInvoice(r["tenant_id"], r["invoice_id"], r["document_sha256"], r["invoice"])
                       for r in rows]
    except _DB_ERRORS as exc:
        raise SinkError(f"postgres read: {type(exc).__name__}") from exc


async def recorded_vendors(pool: Any, tenant: str | None) -> list[VendorFact]:
    """Every known vendor identity (of `tenant`, or all), with the IBAN it is paid to."""
    try:
        rows = await pool.fetch(_VENDORS, tenant)
    except _DB_ERRORS as exc:
        raise SinkError(f"postgres read: {type(exc).__name__}") from exc
    return [VendorFact(r["tenant_id"], r["seller_key"], r["iban"], name=r["name"], vat_id=r["vat_id"]) for r in rows]
