"""Builders for analyze results in the shape Azure AI Document Intelligence returns (API 2024-11-30).

The fake must answer with the same JSON a real resource sends, so the mapping code under test cannot tell
the difference: typed fields (`valueString`, `valueDate`, `valueCurrency {amount, currencyCode}`,
`valueAddress`, `valueArray` of `valueObject`) each with `content` and a `confidence`. Tests and the benchmark
describe a document's truth with `invoice_fields(...)`; documents nobody described get plausible generic
fields derived from their digest, so the same bytes always read the same.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

API_VERSION = "2024-11-30"
_CONF = 0.95

Field = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FakeLine:
    """One invoice line, as a test describes it."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    unit: str | None = None
    tax_rate: str | None = None


@dataclass(frozen=True, slots=True)
class FakeDocument:
    """What the fake 'reads' from one document: service-shaped fields and a page count."""

    fields: Mapping[str, Field]
    pages: int = 1
    doc_type: str = "invoice"
    confidence: float = 1.0
    extra: Mapping[str, Any] = field(default_factory=dict)


def string_field(value: str, confidence: float = _CONF) -> Field:
    return {"type": "string", "valueString": value, "content": value, "confidence": confidence}


def date_field(value: date, confidence: float = _CONF) -> Field:
    return {
        "type": "date",
        "valueDate": value.isoformat(),
        "content": value.strftime("%d.%m.%Y"),
        "confidence": confidence,
    }


def number_field(value: Decimal, confidence: float = _CONF) -> Field:
    return {"type": "number", "valueNumber": float(value), "content": str(value), "confidence": confidence}


def currency_field(amount: Decimal, code: str | None, confidence: float = _CONF) -> Field:
    value: dict[str, Any] = {"amount": float(amount)}
    if code is not None:
        value["currencyCode"] = code
    content = f"{amount} {code}" if code else str(amount)
    return {"type": "currency", "valueCurrency": value, "content": content, "confidence": confidence}


def address_field(
    street: str, city: str, postal_code: str, country_region: str | None, confidence: float = _CONF
) -> Field:
    house, _, road = street.partition(" ") if street[:1].isdigit() else ("", "", street)
    value: dict[str, Any] = {"streetAddress": street, "city": city, "postalCode": postal_code}
    if house:
        value.update(houseNumber=house, road=road)
    else:
        value["road"] = street
    if country_region is not None:
        value["countryRegion"] = country_region
    content = f"{street}, {postal_code} {city}"
    return {"type": "address", "valueAddress": value, "content": content, "confidence": confidence}


def object_field(fields: Mapping[str, Field], confidence: float = _CONF) -> Field:
    content = " ".join(str(f.get("content", "")) for f in fields.values())
    return {"type": "object", "valueObject": dict(fields), "content": content, "confidence": confidence}


def array_field(items: Sequence[Field]) -> Field:
    return {"type": "array", "valueArray": list(items)}


def line_field(line: FakeLine, currency: str | None) -> Field:
    fields: dict[str, Field] = {
        "Description": string_field(line.description),
        "Quantity": number_field(line.quantity),
        "UnitPrice": currency_field(line.unit_price, currency),
        "Amount": currency_field(line.amount, currency),
    }
    if line.unit is not None:
        fields["Unit"] = string_field(line.unit)
    if line.tax_rate is not None:
        fields["TaxRate"] = string_field(line.tax_rate)
    return object_field(fields)


def invoice_fields(
    *,
    invoice_id: str,
    invoice_date: date,
    currency: str,
    invoice_total: Decimal,
    vendor_name: str | None = None,
    vendor_tax_id: str | None = None,
    vendor_address: Field | None = None,
    customer_name: str | None = None,
    customer_tax_id: str | None = None,
    customer_address: Field | None = None,
    due_date: date | None = None,
    sub_total: Decimal | None = None,
    total_tax: Decimal | None = None,
    amount_due: Decimal | None = None,
    previous_unpaid_balance: Decimal | None = None,
    iban: str | None = None,
    swift: str | None = None,
    payment_term: str | None = None,
    purchase_order: str | None = None,
    lines: Sequence[FakeLine] = (),
) -> dict[str, Field]:
    """The `fields` of a prebuilt-invoice document, from plain values (None means 'not on the page')."""
    out: dict[str, Field] = {
        "InvoiceId": string_field(invoice_id),
        "InvoiceDate": date_field(invoice_date),
        "InvoiceTotal": currency_field(invoice_total, currency),
    }
    strings = {
        "VendorName": vendor_name,
        "VendorTaxId": vendor_tax_id,
        "CustomerName": customer_name,
        "CustomerTaxId": customer_tax_id,
        "PaymentTerm": payment_term,
        "PurchaseOrder": purchase_order,
    }
    out.update({k: string_field(v) for k, v in strings.items() if v is not None})
    amounts = {
        "SubTotal": sub_total,
        "TotalTax": total_tax,
        "AmountDue": amount_due,
        "PreviousUnpaidBalance": previous_unpaid_balance,
    }
    out.update({k: currency_field(v, currency) for k, v in amounts.items() if v is not None})
    if due_date is not None:
        out["DueDate"] = date_field(due_date)
    if vendor_address is not None:
        out["VendorAddress"] = vendor_address
    if customer_address is not None:
        out["CustomerAddress"] = customer_address
    if iban is not None or swift is not None:
        payment = {k: string_field(v) for k, v in (("IBAN", iban), ("SWIFT", swift)) if v is not None}
        out["PaymentDetails"] = array_field([object_field(payment)])
    if lines:
        out["Items"] = array_field([line_field(line, currency) for line in lines])
    return out


def generic_document(digest: str) -> FakeDocument:
    """Plausible invoice fields for a document nobody described; the same digest gives the same fields."""
    rng = random.Random(int(hashlib.sha256(digest.encode()).hexdigest()[:16], 16))
    issued = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
    qty = Decimal(rng.randrange(1, 10))
    price = Decimal(rng.randrange(500, 50_000)) / 100
    net = qty * price
    tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
    fields = invoice_fields(
        invoice_id=f"INV-{digest[:8].upper()}",
        invoice_date=issued,
        due_date=issued + timedelta(days=30),
        currency="EUR",
        vendor_name="Muster Lieferant GmbH",
        vendor_tax_id="DE123456789",
        vendor_address=address_field("12 Hauptstrasse", "Berlin", "10115", "DEU"),
        customer_name="Beispiel Kunde AG",
        customer_tax_id="DE987654321",
        sub_total=net,
        total_tax=tax,
        invoice_total=net + tax,
        amount_due=net + tax,
        iban="DE89370400440532013000",
        swift="COBADEFFXXX",
        payment_term="30 days net",
        purchase_order=f"PO-{rng.randrange(10_000, 99_999)}",
        lines=[FakeLine("Consulting services", qty, price, net, unit="h", tax_rate="19%")],
    )
    return FakeDocument(fields=fields)


def analyze_result(model_id: str, document: FakeDocument) -> dict[str, Any]:
    """The `analyzeResult` object of a succeeded operation."""
    pages = [
        {
            "pageNumber": n,
            "angle": 0,
            "width": 8.2639,
            "height": 11.6944,
            "unit": "inch",
            "words": [],
            "lines": [],
            "spans": [{"offset": 0, "length": 0}],
        }
        for n in range(1, document.pages + 1)
    ]
    result: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "modelId": model_id,
        "stringIndexType": "textElements",
        "content": "",
        "pages": pages,
        "tables": [],
        "paragraphs": [],
        "styles": [],
        "contentFormat": "text",
        **document.extra,
    }
    if model_id != "prebuilt-read" and model_id != "prebuilt-layout":
        doc_type = document.doc_type if model_id == "prebuilt-invoice" else f"{model_id}:{model_id}"
        result["documents"] = [
            {
                "docType": doc_type,
                "boundingRegions": [{"pageNumber": 1, "polygon": [0, 0, 8.26, 0, 8.26, 11.69, 0, 11.69]}],
                "fields": dict(document.fields),
                "confidence": document.confidence,
                "spans": [{"offset": 0, "length": 0}],
            }
        ]
    return result
