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

from agents.readers._detection import Part, XmlIdentity
from agents.readers._fields import Fields, Found
from agents.readers._invoice import account, invoice_from_fields, stated, tax_rows
from agents.readers._parties import AddressShape, PartyShape
from agents.readers._xpath import localname, parse_amount, parse_date, path, text_at
from schemas import DocType, InvoiceData, LineItem

__all__ = [
    "FATTURAPA_ROOTS",
    "bodies",
    "doc_type_for_code",
    "fatturapa_identity",
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
# A party's elements, by the group they sit in; each version places the groups its own way (below).
_PARTY_GROUPS = {
    "ids": {"country": "IdFiscaleIVA/IdPaese", "code": "IdFiscaleIVA/IdCodice", "legal_id": "CodiceFiscale"},
    "names": {"name": "Denominazione", "first_name": "Nome", "last_name": "Cognome"},
    "address": {"address": "Sede"},
}


def _party_fields(**places: tuple[str, ...]) -> Fields:
    """A party's fields with each group under the places given (alternatives, where a version has two)."""
    return Fields(**{
        name: "|".join(place + spec for place in places[group])
        for group, specs in _PARTY_GROUPS.items()
        for name, spec in specs.items()
    })


def _name(party: Found) -> str | None:
    """Denominazione, or Nome and Cognome for a person."""
    return party.text("name") or " ".join(p for p in (party.text("first_name"), party.text("last_name")) if p) or None


def _vat_id(party: Found) -> str | None:
    """IdFiscaleIVA's IdPaese + IdCodice."""
    country, code = party.text("country"), party.text("code")
    return f"{country or ''}{code}" if code else None


def _street(address: Found) -> tuple[str]:
    return (" ".join(p for p in (address.text("street"), address.text("number")) if p),)


_ADDRESS = AddressShape(
    Fields(street="Indirizzo", number="NumeroCivico", postcode="CAP", city="Comune", country="Nazione"), _street
)
_ORDINARY_PARTY = PartyShape(
    _party_fields(ids=("DatiAnagrafici/",), names=("DatiAnagrafici/Anagrafica/",), address=("",)),
    _ADDRESS, _name, _vat_id,
)
# the simplified seller holds its data directly; the simplified buyer in two groups
_SIMPLIFIED_PARTY = PartyShape(
    _party_fields(ids=("", "IdentificativiFiscali/"), names=("", "AltriDatiIdentificativi/"),
                  address=("", "AltriDatiIdentificativi/")),
    _ADDRESS, _name, _vat_id,
)
_GENERAL = "DatiGenerali/DatiGeneraliDocumento/"
_TYPE_CODE = path(_GENERAL + "TipoDocumento")
_BODY = Fields(
    type_code=_GENERAL + "TipoDocumento",
    currency=_GENERAL + "Divisa",
    issue_date=_GENERAL + "Data",
    invoice_number=_GENERAL + "Numero",
    withholdings=_GENERAL + "DatiRitenuta/ImportoRitenuta",
    stamp_duty=_GENERAL + "DatiBollo/ImportoBollo",
    document_total=_GENERAL + "ImportoTotaleDocumento",
    document_rounding=_GENERAL + "Arrotondamento",
    order_reference="DatiGenerali/DatiOrdineAcquisto/IdDocumento",
    lines="DatiBeniServizi/DettaglioLinee",
    summaries="DatiBeniServizi/DatiRiepilogo",
    simple_lines="DatiBeniServizi",
    payments="DatiPagamento/DettaglioPagamento",
)
_LINE = Fields(
    line_id="NumeroLinea", description="Descrizione", quantity="Quantita", unit="UnitaMisura",
    unit_price="PrezzoUnitario", net_amount="PrezzoTotale", tax_rate="AliquotaIVA",
)
_SIMPLE_LINE = Fields(description="Descrizione", gross="Importo", tax="DatiIVA/Imposta", tax_rate="DatiIVA/Aliquota")
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


def fatturapa_identity(root: etree._Element) -> XmlIdentity:
    """What a FatturaPA is: each body's type (`XmlIdentity.parts`, in order), the first's as the file's, and the
    version the root declares as its syntax."""
    simplified = localname(root) == _SIMPLIFIED
    codes = (text_at(_TYPE_CODE, body) for body in bodies(root))
    parts = tuple(Part(doc_type_for_code(code, simplified) or DocType.UNKNOWN, code) for code in codes)
    first = parts[0] if parts else Part(DocType.UNKNOWN, None)
    return XmlIdentity(first.doc_type, first.type_code, fatturapa_syntax(root), parts)


def _sum(values: list[Decimal | None]) -> Decimal | None:
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _nature_and_rate(summary: Found) -> tuple[str | None, Decimal | None]:
    rate = parse_amount(summary.text("rate"))
    return summary.text("nature") or ("S" if rate else None), rate


def _ordinary_totals(body: Found, fields: dict[str, object]) -> None:
    summaries = tax_rows(body.elements("summaries"), _SUMMARY, _nature_and_rate)
    fields["tax_breakdown"] = summaries
    fields["lines"] = tuple(LineItem(**stated(_LINE.read(n), LineItem)) for n in body.elements("lines"))
    if summaries:
        fields["total_net"] = sum((s.taxable_amount for s in summaries), Decimal(0))
        fields["total_tax"] = sum((s.tax_amount for s in summaries), Decimal(0))
    total = parse_amount(body.text("document_total"))
    rounding = parse_amount(body.text("document_rounding"))
    fields["amount_due"] = total
    fields["rounding"] = rounding
    if total is not None:
        fields["total_incl_vat"] = total - (rounding or Decimal(0))


def _simplified_totals(body: Found, fields: dict[str, object]) -> None:
    lines, amounts, taxes = [], [], []
    for node in body.elements("simple_lines"):
        found = _SIMPLE_LINE.read(node)
        amounts.append(parse_amount(found.text("gross")))
        taxes.append(parse_amount(found.text("tax")))
        lines.append(LineItem(**stated(found, LineItem)))
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
    payments = [_PAYMENT.read(node) for node in body.elements("payments")]
    due_dates = [due for found in payments if (due := parse_date(found.text("due_date"))) is not None]
    fields: dict[str, object] = {
        **stated(body),
        "due_date": min(due_dates) if due_dates else None,
        **(_SIMPLIFIED_PARTY if simplified else _ORDINARY_PARTY).parties(header),
        **account(payments),
        "withholding_total": _sum([parse_amount(e.text) for e in body.elements("withholdings")]),
    }
    if simplified:
        _simplified_totals(body, fields)
    else:
        _ordinary_totals(body, fields)
    doc_type = doc_type_for_code(body.text("type_code"), simplified) or DocType.UNKNOWN
    return invoice_from_fields(doc_type, fields)
