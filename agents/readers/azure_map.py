"""Map Azure Document Intelligence's prebuilt-invoice result into the normalised InvoiceData.

The service answers with typed fields (`valueString`, `valueDate`, `valueCurrency {amount, currencyCode}`,
`valueAddress`, arrays of objects), each with its own confidence. This module turns them into EN 16931
terms: amounts become Decimals (from the JSON number's shortest repr, so 1859.32 stays 1859.32), dates
ISO dates, countries ISO alpha-2 codes, VAT ids and IBANs their compact upper-case form, and every field
read keeps the service's confidence under our field name (party fields dotted: `seller.name`), which is
what the tenant policy weighs. Values the service did not read stay None: nothing is guessed, except
`amount_due` (taken from InvoiceTotal when AmountDue is absent, with less confidence) and
`line_net_total` (the sum of the lines, when every line has an amount). Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from schemas import Address, DocType, InvoiceData, LineItem, Party, TaxSubtotal, fits_amount

__all__ = ["map_analyze_result"]

Field = Mapping[str, Any]

# ISO 3166 alpha-3 -> alpha-2 for the countries invoices here come from; other codes pass through if 2 letters.
_ALPHA3 = dict(
    re.findall(
        r"([A-Z]{3}):([A-Z]{2})",
        "AUT:AT BEL:BE BGR:BG HRV:HR CYP:CY CZE:CZ DNK:DK EST:EE FIN:FI FRA:FR DEU:DE GRC:GR HUN:HU IRL:IE "
        "ITA:IT LVA:LV LTU:LT LUX:LU MLT:MT NLD:NL POL:PL PRT:PT ROU:RO SVK:SK SVN:SI ESP:ES SWE:SE GBR:GB "
        "CHE:CH NOR:NO ISL:IS LIE:LI USA:US CAN:CA AUS:AU NZL:NZ JPN:JP CHN:CN IND:IN BRA:BR MEX:MX TUR:TR "
        "UKR:UA SRB:RS MNE:ME MKD:MK ALB:AL BIH:BA MCO:MC AND:AD SMR:SM ISR:IL ZAF:ZA SGP:SG HKG:HK KOR:KR",
    )
)
_NAMES = {
    "germany": "DE", "deutschland": "DE", "austria": "AT", "österreich": "AT", "switzerland": "CH",
    "schweiz": "CH", "france": "FR", "netherlands": "NL", "nederland": "NL", "belgium": "BE", "italy": "IT",
    "italia": "IT", "spain": "ES", "españa": "ES", "poland": "PL", "polska": "PL", "united kingdom": "GB",
    "united states": "US", "denmark": "DK", "sweden": "SE", "norway": "NO", "luxembourg": "LU",
}  # fmt: skip
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "zł": "PLN", "kr": "SEK", "CHF": "CHF", "Fr.": "CHF", "$": "USD"}
_UNITS = {
    "h": "HUR", "hr": "HUR", "hrs": "HUR", "hour": "HUR", "hours": "HUR", "std": "HUR", "stunde": "HUR",
    "stunden": "HUR", "stk": "C62", "st": "C62", "stück": "C62", "pc": "C62", "pcs": "C62", "piece": "C62",
    "pieces": "C62", "ea": "EA", "each": "EA", "kg": "KGM", "g": "GRM", "t": "TNE", "m": "MTR", "km": "KMT",
    "m2": "MTK", "m²": "MTK", "m3": "MTQ", "m³": "MTQ", "l": "LTR", "ltr": "LTR", "d": "DAY", "day": "DAY",
    "days": "DAY", "tag": "DAY", "tage": "DAY", "month": "MON", "monat": "MON", "pauschal": "LS", "ls": "LS",
}  # fmt: skip
_SEPARATORS = re.compile(r"[\s\-.]")
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%?")
_CENT = Decimal("0.01")
_MONEY = ("InvoiceTotal", "AmountDue", "SubTotal", "TotalTax")


def _conf(field: Field | None) -> float | None:
    value = field.get("confidence") if field else None
    return round(float(value), 4) if isinstance(value, int | float) else None


def _text(field: Field | None) -> str | None:
    if not field:
        return None
    value = field.get("valueString")
    if not isinstance(value, str):
        value = field.get("content") if field.get("type") == "string" else None
    return (value.strip() or None) if isinstance(value, str) else None


def _decimal(value: object) -> Decimal | None:
    """A number the service returned, if it is one an invoice carries (`fits_amount`: not 1e300, not NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if fits_amount(number) else None


def _amount(field: Field | None) -> Decimal | None:
    if not field:
        return None
    currency = field.get("valueCurrency")
    raw = currency.get("amount") if isinstance(currency, Mapping) else field.get("valueNumber")
    value = _decimal(raw)
    exponent = value.as_tuple().exponent if value is not None else None
    if value is not None and isinstance(exponent, int) and exponent > -2:
        return value.quantize(_CENT)  # money in cents at least: 1861 -> 1861.00
    return value


def _number(field: Field | None) -> Decimal | None:
    if not field:
        return None
    for key in ("valueNumber", "valueInteger"):
        if key in field:
            return _decimal(field[key])
    return _amount(field) if "valueCurrency" in field else None


def _date(field: Field | None) -> date | None:
    value = field.get("valueDate") if field else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _rate(field: Field | None) -> Decimal | None:
    """A tax rate in percent from '19%', '19 %', '7,5%' or a number (0.19 read as a fraction)."""
    if not field:
        return None
    number = _number(field)
    if number is not None:
        return number * 100 if 0 < number < 1 else number
    text = _text(field) or ""
    match = _PERCENT.search(text)
    return _decimal(match.group(1).replace(",", ".")) if match else None


def _country(raw: object) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    value = raw.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    if len(value) == 3 and value.isalpha():
        return _ALPHA3.get(value.upper())
    return _NAMES.get(value.lower())


def _address(field: Field | None) -> Address | None:
    value = field.get("valueAddress") if field else None
    if not isinstance(value, Mapping):
        return None
    street = value.get("streetAddress")
    if not isinstance(street, str) or not street:
        parts = [value.get("road"), value.get("houseNumber")]
        street = " ".join(p for p in parts if isinstance(p, str) and p) or None
    lines = tuple(s for s in (street, value.get("unit"), value.get("poBox")) if isinstance(s, str) and s)
    city, postal = value.get("city"), value.get("postalCode")
    return Address(
        lines=lines,
        city=city if isinstance(city, str) else None,
        postal_code=postal if isinstance(postal, str) else None,
        country=_country(value.get("countryRegion")),
    )


def _compact(value: str | None) -> str | None:
    return (_SEPARATORS.sub("", value).upper() or None) if value else None


def _unit(value: str | None) -> str | None:
    if value is None:
        return None
    return _UNITS.get(value.strip().lower().rstrip("."), value.strip()[:20])


def _raw_array(field: Field | None) -> list[Field]:
    items = field.get("valueArray") if field else None
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, Sequence) else []


def _array(field: Field | None) -> list[Mapping[str, Field]]:
    """The objects of an array field (Items, PaymentDetails, TaxDetails)."""
    return [i["valueObject"] for i in _raw_array(field) if isinstance(i.get("valueObject"), Mapping)]


def _currency(fields: Mapping[str, Field]) -> tuple[str | None, float | None]:
    for name in _MONEY:
        value = fields.get(name, {}).get("valueCurrency")
        if not isinstance(value, Mapping):
            continue
        code = value.get("currencyCode")
        if isinstance(code, str) and len(code) == 3:
            return code.upper(), _conf(fields[name])
        symbol = value.get("currencySymbol")
        if isinstance(symbol, str) and symbol.strip() in _SYMBOLS:
            conf = _conf(fields[name])
            return _SYMBOLS[symbol.strip()], None if conf is None else round(conf * 0.8, 4)
    return None, None


def _lines(items: list[Mapping[str, Field]]) -> tuple[LineItem, ...]:
    return tuple(
        LineItem(
            line_id=str(n),
            description=_text(item.get("Description")),
            quantity=_number(item.get("Quantity")),
            unit=_unit(_text(item.get("Unit"))),
            unit_price=_amount(item.get("UnitPrice")),
            net_amount=_amount(item.get("Amount")),
            tax_rate=_rate(item.get("TaxRate")),
        )
        for n, item in enumerate(items, start=1)
    )


def _tax_breakdown(rows: list[Mapping[str, Field]]) -> tuple[TaxSubtotal, ...]:
    out = []
    for row in rows:
        tax, net = _amount(row.get("Amount")), _amount(row.get("NetAmount"))
        if tax is not None and net is not None:
            out.append(TaxSubtotal(rate=_rate(row.get("Rate")), taxable_amount=net, tax_amount=tax))
    return tuple(out)


def _min_conf(fields: Sequence[Field | None]) -> float | None:
    found = [c for c in (_conf(f) for f in fields) if c is not None]
    return min(found) if found else None


def map_analyze_result(result: Mapping[str, Any]) -> tuple[InvoiceData, int]:
    """Turn a prebuilt-invoice `analyzeResult` into InvoiceData and the number of pages analysed.

    Args:
        result: The `analyzeResult` object (as returned, or as compacted by the operation store).

    Returns:
        The invoice (empty when the service found no document) and the page count (at least 1).
    """
    pages = max(1, len(result.get("pages") or ()))
    documents = result.get("documents") or ()
    if not documents:
        return InvoiceData(), pages
    doc = documents[0]
    f: Mapping[str, Field] = doc.get("fields") or {}
    conf: dict[str, float] = {}

    def take(name: str, field: Field | None, value: object) -> Any:
        c = _conf(field)
        if value is not None and value != () and c is not None:
            conf[name] = c
        return value

    payment = _array(f.get("PaymentDetails"))
    first_payment: Mapping[str, Field] = payment[0] if payment else {}
    seller = Party(
        name=take("seller.name", f.get("VendorName"), _text(f.get("VendorName"))),
        vat_id=take("seller.vat_id", f.get("VendorTaxId"), _compact(_text(f.get("VendorTaxId")))),
        address=take("seller.address", f.get("VendorAddress"), _address(f.get("VendorAddress"))),
    )
    buyer = Party(
        name=take("buyer.name", f.get("CustomerName"), _text(f.get("CustomerName"))),
        vat_id=take("buyer.vat_id", f.get("CustomerTaxId"), _compact(_text(f.get("CustomerTaxId")))),
        address=take("buyer.address", f.get("CustomerAddress"), _address(f.get("CustomerAddress"))),
    )
    currency, currency_conf = _currency(f)
    if currency is not None and currency_conf is not None:
        conf["currency"] = currency_conf
    total = take("total_incl_vat", f.get("InvoiceTotal"), _amount(f.get("InvoiceTotal")))
    amount_due = take("amount_due", f.get("AmountDue"), _amount(f.get("AmountDue")))
    if amount_due is None and total is not None and "InvoiceTotal" in f:
        amount_due = total
        conf["amount_due"] = round(conf.get("total_incl_vat", 0.0) * 0.9, 4)
    lines = _lines(_array(f.get("Items")))
    lines_conf = _min_conf(_raw_array(f.get("Items")))
    if lines and lines_conf is not None:
        conf["lines"] = lines_conf
    line_total = None
    if lines and all(line.net_amount is not None for line in lines):
        line_total = sum((line.net_amount or Decimal(0) for line in lines), Decimal(0))
        if "lines" in conf:
            conf["line_net_total"] = conf["lines"]
    tax_rows = _tax_breakdown(_array(f.get("TaxDetails")))
    tax_conf = _min_conf(_raw_array(f.get("TaxDetails")))
    if tax_rows and tax_conf is not None:
        conf["tax_breakdown"] = tax_conf
    doc_type = DocType.INVOICE if str(doc.get("docType", "")).startswith("invoice") else DocType.UNKNOWN
    if doc_type is DocType.INVOICE and total is not None and total < 0:
        doc_type = DocType.CREDIT_NOTE
    if doc_type is not DocType.UNKNOWN and isinstance(doc.get("confidence"), int | float):
        conf["doc_type"] = round(float(doc["confidence"]), 4)
    invoice = InvoiceData(
        invoice_number=take("invoice_number", f.get("InvoiceId"), _text(f.get("InvoiceId"))),
        doc_type=doc_type,
        issue_date=take("issue_date", f.get("InvoiceDate"), _date(f.get("InvoiceDate"))),
        due_date=take("due_date", f.get("DueDate"), _date(f.get("DueDate"))),
        currency=currency,
        seller=seller,
        buyer=buyer,
        seller_iban=take("seller_iban", first_payment.get("IBAN"), _compact(_text(first_payment.get("IBAN")))),
        seller_bic=take("seller_bic", first_payment.get("SWIFT"), _compact(_text(first_payment.get("SWIFT")))),
        payment_terms=take("payment_terms", f.get("PaymentTerm"), _text(f.get("PaymentTerm"))),
        order_reference=take("order_reference", f.get("PurchaseOrder"), _text(f.get("PurchaseOrder"))),
        line_net_total=line_total,
        allowance_total=take("allowance_total", f.get("TotalDiscount"), _amount(f.get("TotalDiscount"))),
        total_net=take("total_net", f.get("SubTotal"), _amount(f.get("SubTotal"))),
        total_tax=take("total_tax", f.get("TotalTax"), _amount(f.get("TotalTax"))),
        total_incl_vat=total,
        amount_due=amount_due,
        tax_breakdown=tax_rows,
        lines=lines,
        confidence=conf,
    )
    return invoice, pages
