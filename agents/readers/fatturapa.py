"""Read an Italian FatturaPA exactly: ordinary FatturaElettronica 1.2 (FPA12 to public bodies, FPR12 between
private parties) and the simplified FatturaElettronicaSemplificata (FSM10).

A FatturaPA file has one header (sender, seller, buyer) and one or more bodies, each a whole invoice of its
own with its number, date, lines and totals; `read_fatturapa` reads the header and one body. Elements are
located by local name, as in the UBL and CII readers, and every value read gets confidence 1.0.

How the FatturaPA fields land in the EN 16931 shape:

* the VAT id is IdFiscaleIVA's IdPaese + IdCodice; the party's CodiceFiscale is its legal id; the name is
  Denominazione, or Nome and Cognome for a person;
* total_net and total_tax are summed over the bodies' DatiRiepilogo (one per VAT rate or exemption);
* ImportoTotaleDocumento, when present, is the amount due. Arrotondamento is the rounding already inside
  it, so the total with VAT is ImportoTotaleDocumento less Arrotondamento: EN 16931's BT-112 + BT-114 =
  BT-115, and the totals arithmetic then checks FatturaPA's own rule (total = sum of summaries + rounding).
  Absent, the amount due stays None: it is optional, and guessing it would hide a missing field;
* withholding at source (DatiRitenuta, possibly several) and stamp duty (DatiBollo) are kept apart:
  withholding is paid to the tax office by the buyer, so it is not taken off the amount due here;
* the due date is the earliest DataScadenzaPagamento; the IBAN and BIC the first payment detail's.

In the simplified format a line's Importo includes VAT, so the lines carry no net amount, the amount due is
the sum of the Importo, and the tax is summed only when every line states its Imposta.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from agents.readers._fields import Fields, Found
from agents.readers._invoice import invoice_from_fields
from agents.readers._xpath import localname, parse_amount, parse_date
from schemas import Address, DocType, InvoiceData, LineItem, Party, TaxSubtotal

__all__ = [
    "FATTURAPA_ROOTS",
    "bodies",
    "doc_type_for_code",
    "fatturapa_syntax",
    "is_fatturapa",
    "read_fatturapa",
]

FATTURAPA_ROOTS = frozenset({"FatturaElettronica", "FatturaElettronicaSemplificata"})
_NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/"
_SIMPLIFIED = "FatturaElettronicaSemplificata"

# TipoDocumento by meaning. The ordinary format's codes (FPA12/FPR12) and the simplified format's (FSM10) are
# separate lists: a code of the other list is as wrong as an unknown one.
_ORDINARY: dict[str, DocType] = {
    **dict.fromkeys(("TD01", "TD02", "TD03", "TD06", "TD24", "TD25", "TD26", "TD27"), DocType.INVOICE),
    "TD04": DocType.CREDIT_NOTE,
    "TD05": DocType.DEBIT_NOTE,
    # the buyer's own documents: reverse-charge integrations and self-invoices (autofatture), extraction
    # from a VAT warehouse, purchases from San Marino
    **dict.fromkeys(
        ("TD16", "TD17", "TD18", "TD19", "TD20", "TD21", "TD22", "TD23", "TD28"), DocType.SELF_BILLED_INVOICE
    ),
    "TD29": DocType.OTHER,  # the buyer's report of an invoice never issued: a notice, not a claim
}
_SIMPLIFIED_CODES: dict[str, DocType] = {
    "TD07": DocType.INVOICE,
    "TD08": DocType.CREDIT_NOTE,
    "TD09": DocType.DEBIT_NOTE,
}

_HEADER = Fields(
    seller="FatturaElettronicaHeader/CedentePrestatore",
    buyer="FatturaElettronicaHeader/CessionarioCommittente",
    bodies="FatturaElettronicaBody",
    format="FatturaElettronicaHeader/DatiTrasmissione/FormatoTrasmissione",
)
_ORDINARY_PARTY = Fields(
    country="DatiAnagrafici/IdFiscaleIVA/IdPaese",
    code="DatiAnagrafici/IdFiscaleIVA/IdCodice",
    tax_code="DatiAnagrafici/CodiceFiscale",
    name="DatiAnagrafici/Anagrafica/Denominazione",
    first_name="DatiAnagrafici/Anagrafica/Nome",
    last_name="DatiAnagrafici/Anagrafica/Cognome",
    address="Sede",
)
# the simplified seller holds its data directly; the simplified buyer in two groups
_SIMPLIFIED_PARTY = Fields(
    country="IdFiscaleIVA/IdPaese|IdentificativiFiscali/IdFiscaleIVA/IdPaese",
    code="IdFiscaleIVA/IdCodice|IdentificativiFiscali/IdFiscaleIVA/IdCodice",
    tax_code="CodiceFiscale|IdentificativiFiscali/CodiceFiscale",
    name="Denominazione|AltriDatiIdentificativi/Denominazione",
    first_name="Nome|AltriDatiIdentificativi/Nome",
    last_name="Cognome|AltriDatiIdentificativi/Cognome",
    address="Sede|AltriDatiIdentificativi/Sede",
)
_ADDRESS = Fields(
    street="Indirizzo", number="NumeroCivico", postcode="CAP", city="Comune", country="Nazione"
)
_GENERAL = "DatiGenerali/DatiGeneraliDocumento/"
_BODY = Fields(
    type_code=_GENERAL + "TipoDocumento",
    currency=_GENERAL + "Divisa",
    issue_date=_GENERAL + "Data",
    number=_GENERAL + "Numero",
    withholdings=_GENERAL + "DatiRitenuta/ImportoRitenuta",
    stamp_duty=_GENERAL + "DatiBollo/ImportoBollo",
    total=_GENERAL + "ImportoTotaleDocumento",
    rounding=_GENERAL + "Arrotondamento",
    order_reference="DatiGenerali/DatiOrdineAcquisto/IdDocumento",
    lines="DatiBeniServizi/DettaglioLinee",
    summaries="DatiBeniServizi/DatiRiepilogo",
    simple_lines="DatiBeniServizi",
    payments="DatiPagamento/DettaglioPagamento",
)
_LINE = Fields(
    line_id="NumeroLinea", description="Descrizione", quantity="Quantita", unit="UnitaMisura",
    price="PrezzoUnitario", amount="PrezzoTotale", rate="AliquotaIVA",
)
_SIMPLE_LINE = Fields(description="Descrizione", amount="Importo", tax="DatiIVA/Imposta", rate="DatiIVA/Aliquota")
_SUMMARY = Fields(rate="AliquotaIVA", nature="Natura", taxable="ImponibileImporto", tax="Imposta")
_PAYMENT = Fields(due_date="DataScadenzaPagamento", iban="IBAN", bic="BIC")


def is_fatturapa(root: etree._Element) -> bool:
    """Whether a parsed document is a FatturaPA (root name and the Agenzia delle Entrate's namespace)."""
    return localname(root) in FATTURAPA_ROOTS and (etree.QName(root).namespace or "").startswith(_NAMESPACE)


def fatturapa_syntax(root: etree._Element) -> str:
    """``fatturapa-fpr12``, ``fatturapa-fpa12``, ``fatturapa-fsm10``: the version the root declares."""
    version = (root.get("versione") or "").strip().lower()
    if not version:
        version = "fsm10" if localname(root) == _SIMPLIFIED else "1.2"
    return f"fatturapa-{version}"


def doc_type_for_code(code: str | None, simplified: bool) -> DocType | None:
    """The DocType of a TipoDocumento, or None when the code is not one of the format's."""
    return (_SIMPLIFIED_CODES if simplified else _ORDINARY).get((code or "").strip())


def bodies(root: etree._Element) -> list[etree._Element]:
    """The FatturaElettronicaBody elements, in document order: one invoice each."""
    return _HEADER.read(root).elements("bodies")


def _party(node: etree._Element | None, simplified: bool) -> Party:
    if node is None:
        return Party()
    found = (_SIMPLIFIED_PARTY if simplified else _ORDINARY_PARTY).read(node)
    country, code = found.text("country"), found.text("code")
    name = found.text("name")
    if name is None:
        name = " ".join(p for p in (found.text("first_name"), found.text("last_name")) if p) or None
    return Party(
        name=name,
        vat_id=f"{country or ''}{code}" if code else None,
        legal_id=found.text("tax_code"),
        address=_address(found.first("address")),
    )


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    found = _ADDRESS.read(node)
    street = " ".join(p for p in (found.text("street"), found.text("number")) if p)
    return Address(
        lines=(street,) if street else (),
        city=found.text("city"),
        postal_code=found.text("postcode"),
        country=found.text("country"),
    )


def _sum(values: list[Decimal | None]) -> Decimal | None:
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _line(node: etree._Element) -> LineItem:
    found = _LINE.read(node)
    return LineItem(
        line_id=found.text("line_id"),
        description=found.text("description"),
        quantity=parse_amount(found.text("quantity")),
        unit=found.text("unit"),
        unit_price=parse_amount(found.text("price")),
        net_amount=parse_amount(found.text("amount")),
        tax_rate=parse_amount(found.text("rate")),
    )


def _summaries(body: Found) -> tuple[TaxSubtotal, ...]:
    rows = []
    for node in body.elements("summaries"):
        found = _SUMMARY.read(node)
        taxable, tax = parse_amount(found.text("taxable")), parse_amount(found.text("tax"))
        if taxable is None or tax is None:
            continue
        rate = parse_amount(found.text("rate"))
        category = found.text("nature") or ("S" if rate else None)
        rows.append(TaxSubtotal(category=category, rate=rate, taxable_amount=taxable, tax_amount=tax))
    return tuple(rows)


def _ordinary_totals(body: Found, fields: dict[str, object]) -> None:
    summaries = _summaries(body)
    fields["tax_breakdown"] = summaries
    fields["lines"] = tuple(_line(n) for n in body.elements("lines"))
    if summaries:
        fields["total_net"] = sum((s.taxable_amount for s in summaries), Decimal(0))
        fields["total_tax"] = sum((s.tax_amount for s in summaries), Decimal(0))
    total = parse_amount(body.text("total"))
    rounding = parse_amount(body.text("rounding"))
    fields["amount_due"] = total
    fields["rounding"] = rounding
    if total is not None:
        fields["total_incl_vat"] = total - (rounding or Decimal(0))


def _simplified_totals(body: Found, fields: dict[str, object]) -> None:
    lines, amounts, taxes = [], [], []
    for node in body.elements("simple_lines"):
        found = _SIMPLE_LINE.read(node)
        amounts.append(parse_amount(found.text("amount")))
        taxes.append(parse_amount(found.text("tax")))
        lines.append(LineItem(description=found.text("description"), tax_rate=parse_amount(found.text("rate"))))
    fields["lines"] = tuple(lines)
    gross, tax = _sum(amounts), _sum(taxes)
    fields["amount_due"] = fields["total_incl_vat"] = gross
    fields["total_tax"] = tax
    if gross is not None and tax is not None:
        fields["total_net"] = gross - tax


def read_fatturapa(root: etree._Element, part: int = 1) -> InvoiceData:
    """Read the normalised invoice fields of one body of a parsed FatturaPA.

    Args:
        root: The root element (``FatturaElettronica`` or ``FatturaElettronicaSemplificata``).
        part: Which body, 1-based (a file with several bodies holds several invoices).

    Returns:
        The InvoiceData of that body with the header's parties, every field present filled with confidence
        1.0 (an empty InvoiceData of unknown type when the file has no such body).
    """
    simplified = localname(root) == _SIMPLIFIED
    header = _HEADER.read(root)
    nodes = header.elements("bodies")
    if not 1 <= part <= len(nodes):
        return invoice_from_fields(DocType.UNKNOWN, {}, 1.0)
    body = _BODY.read(nodes[part - 1])
    type_code = body.text("type_code")
    iban = bic = None
    due_dates = []
    for node in body.elements("payments"):
        found = _PAYMENT.read(node)
        if (due := parse_date(found.text("due_date"))) is not None:
            due_dates.append(due)
        if iban is None and found.text("iban") is not None:
            iban, bic = (found.text("iban") or "").replace(" ", ""), found.text("bic")
    withholdings = [parse_amount(e.text) for e in body.elements("withholdings")]
    fields: dict[str, object] = {
        "invoice_number": body.text("number"),
        "type_code": type_code,
        "issue_date": parse_date(body.text("issue_date")),
        "due_date": min(due_dates) if due_dates else None,
        "currency": body.text("currency"),
        "seller": _party(header.first("seller"), simplified),
        "buyer": _party(header.first("buyer"), simplified),
        "seller_iban": iban,
        "seller_bic": bic,
        "order_reference": body.text("order_reference"),
        "withholding_total": _sum(withholdings),
        "stamp_duty": parse_amount(body.text("stamp_duty")),
    }
    if simplified:
        _simplified_totals(body, fields)
    else:
        _ordinary_totals(body, fields)
    doc_type = doc_type_for_code(type_code, simplified) or DocType.UNKNOWN
    return invoice_from_fields(doc_type, fields)
