"""Vendor master data: turn an ERP export (CSV or JSON lines) into the facts the score stage knows.

A tenant's known vendors are learned from auto-approved invoices and can be imported from the ERP's vendor
master, so a tenant starting on invoiceflow does not see every first invoice capped at review. Each vendor
is remembered under its VAT id and under its folded name, so an invoice that carries only one still matches.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from agents.rules.history import seller_identity
from schemas import InvoiceData, Party
from streams.sinks import VendorFact

_FIELDS = {"vat_id": ("vat_id", "seller_vat_id"), "name": ("name", "seller_name"), "iban": ("iban", "seller_iban")}


def _pick(row: dict[str, object], field: str) -> str | None:
    for key in _FIELDS[field]:
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def read_rows(path: Path) -> Iterator[dict[str, object]]:
    """Rows of a CSV file with a header (vat_id, name, iban) or of a JSON-lines file (also truth.jsonl)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix in (".jsonl", ".json"):
            for line in handle:
                if line.strip():
                    yield json.loads(line)
        else:
            yield from csv.DictReader(handle)


def vendor_facts(tenant: str, rows: Iterator[dict[str, object]]) -> list[VendorFact]:
    """One fact per identity (VAT id and name) of each row, de-duplicated."""
    facts: dict[str, VendorFact] = {}
    for row in rows:
        vat, name, iban = _pick(row, "vat_id"), _pick(row, "name"), _pick(row, "iban")
        for party in (Party(vat_id=vat), Party(name=name)):
            key = seller_identity(InvoiceData(seller=party))
            if key:
                facts[key] = VendorFact(tenant, key, iban, name=name, vat_id=vat)
    return list(facts.values())
