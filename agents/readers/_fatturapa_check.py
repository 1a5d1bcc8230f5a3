"""Refuse a FatturaPA that the Sistema di Interscambio would refuse, before anything reads it.

The SdI validates every file against the FatturaPA XSD and rejects the whole file on the first fault, so a
file that fails is not an invoice anyone has received, and routing it `invalid` says so. Running the XSD
itself would cost milliseconds and a schema file per version; the faults that matter are few and checked
here directly, in one pass over the header and each body: the mandatory elements of each version, no
element the version does not define where the header, the bodies and the document meet, a TipoDocumento of
the version's list, a Data that is a real date, a three-letter Divisa.

One check is ours, not the XSD's: volume. Causale, for one, may repeat without bound, and a file of
megabytes of it is schema-valid and still no invoice. Everything outside the attachments (Allegati, which
carry base64 documents) is bounded at `MAX_FATTURAPA_TEXT_BYTES`, some thousands of invoice lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from agents.readers._detection import reason
from agents.readers._fields import Fields
from agents.readers._xpath import localname, parse_date
from agents.readers.fatturapa import bodies, doc_type_for_code
from schemas import Reason

__all__ = ["MAX_FATTURAPA_TEXT_BYTES", "fatturapa_problem"]

MAX_FATTURAPA_TEXT_BYTES = 1024 * 1024

_TRANSMISSION = (
    "DatiTrasmissione/IdTrasmittente/IdPaese",
    "DatiTrasmissione/IdTrasmittente/IdCodice",
    "DatiTrasmissione/ProgressivoInvio",
    "DatiTrasmissione/FormatoTrasmissione",
    "DatiTrasmissione/CodiceDestinatario",
)
_DOCUMENT = tuple(
    f"DatiGenerali/DatiGeneraliDocumento/{name}" for name in ("TipoDocumento", "Divisa", "Data", "Numero")
)


@dataclass(frozen=True, slots=True)
class _Version:
    """What one FatturaPA version requires and allows: mandatory paths under the header and under each body
    (read in one walk each), and the element names the header and a body may hold."""

    header_required: tuple[str, ...]
    body_required: tuple[str, ...]
    header_children: frozenset[str]
    body_children: frozenset[str]
    simplified: bool
    header: Fields = field(init=False)
    body: Fields = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", Fields(**_numbered(self.header_required)))
        object.__setattr__(self, "body", Fields(
            **_numbered(self.body_required),
            type_code=_DOCUMENT[0], currency=_DOCUMENT[1], issue_date=_DOCUMENT[2], attachments="Allegati",
        ))


def _numbered(specs: tuple[str, ...]) -> dict[str, str]:
    return {f"required_{i}": spec for i, spec in enumerate(specs)}


_ORDINARY = _Version(
    header_required=(
        *_TRANSMISSION,
        "CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdPaese",
        "CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdCodice",
        "CedentePrestatore/DatiAnagrafici/Anagrafica",
        "CedentePrestatore/DatiAnagrafici/RegimeFiscale",
        "CedentePrestatore/Sede",
        "CessionarioCommittente/DatiAnagrafici/Anagrafica",
        "CessionarioCommittente/Sede",
    ),
    body_required=(*_DOCUMENT, "DatiBeniServizi/DettaglioLinee", "DatiBeniServizi/DatiRiepilogo"),
    header_children=frozenset((
        "DatiTrasmissione", "CedentePrestatore", "RappresentanteFiscale", "CessionarioCommittente",
        "TerzoIntermediarioOSoggettoEmittente", "SoggettoEmittente",
    )),
    body_children=frozenset(("DatiGenerali", "DatiBeniServizi", "DatiVeicoli", "DatiPagamento", "Allegati")),
    simplified=False,
)
_SIMPLIFIED = _Version(
    header_required=(
        *_TRANSMISSION,
        "CedentePrestatore/IdFiscaleIVA/IdPaese",
        "CedentePrestatore/IdFiscaleIVA/IdCodice",
        "CedentePrestatore/Sede",
        "CedentePrestatore/RegimeFiscale",
        "CessionarioCommittente/IdentificativiFiscali",
    ),
    body_required=(*_DOCUMENT, "DatiBeniServizi/Descrizione", "DatiBeniServizi/Importo", "DatiBeniServizi/DatiIVA"),
    header_children=frozenset(("DatiTrasmissione", "CedentePrestatore", "CessionarioCommittente", "SoggettoEmittente")),
    body_children=frozenset(("DatiGenerali", "DatiBeniServizi", "Allegati")),
    simplified=True,
)
_ROOT_CHILDREN = frozenset({"FatturaElettronicaHeader", "FatturaElettronicaBody", "Signature"})  # XAdES
_CURRENCY = re.compile(r"[A-Z]{3}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _schema(what: str) -> Reason:
    return reason("fatturapa_schema_invalid", f"FatturaPA fails its schema: {what}.")


def _missing(fields: Fields, required: tuple[str, ...], node: etree._Element, where: str) -> Reason | None:
    found = fields.read(node)
    for name, spec in _numbered(required).items():
        if found.first(name) is None:
            return _schema(f"{where} lacks {spec}")
    return None


def _unknown_child(node: etree._Element, allowed: frozenset[str], where: str) -> Reason | None:
    for child in node:
        name = localname(child)
        if name and name not in allowed:
            return _schema(f"{where} holds an element the format does not define")
    return None


def fatturapa_problem(root: etree._Element, size: int) -> Reason | None:
    """The first reason the SdI (or our volume bound) would refuse this FatturaPA, or None when it passes.

    Args:
        root: The parsed FatturaPA root.
        size: The XML's size in bytes.

    Returns:
        A reason ``fatturapa_schema_invalid``, ``fatturapa_invalid_value`` or ``fatturapa_too_large``.
    """
    version = _SIMPLIFIED if localname(root) == "FatturaElettronicaSemplificata" else _ORDINARY
    problem = _unknown_child(root, _ROOT_CHILDREN, "the document")
    header = next((c for c in root if localname(c) == "FatturaElettronicaHeader"), None)
    if problem is not None:
        return problem
    if header is None:
        return _schema("no FatturaElettronicaHeader")
    problem = _unknown_child(header, version.header_children, "the header") or _missing(
        version.header, version.header_required, header, "the header")
    if problem is not None:
        return problem
    nodes = bodies(root)
    if not nodes:
        return _schema("no FatturaElettronicaBody")
    attachments = 0
    for number, body in enumerate(nodes, 1):
        where = f"body {number}"
        problem = _unknown_child(body, version.body_children, where) or _missing(
            version.body, version.body_required, body, where)
        if problem is not None:
            return problem
        found = version.body.read(body)
        if doc_type_for_code(found.text("type_code"), version.simplified) is None:
            return reason("fatturapa_invalid_value", f"FatturaPA {where} has a TipoDocumento its version lacks.")
        issued = found.text("issue_date") or ""
        if not _DATE.fullmatch(issued) or parse_date(issued) is None:
            return reason("fatturapa_invalid_value", f"FatturaPA {where} has an issue date that cannot exist.")
        if not _CURRENCY.fullmatch(found.text("currency") or ""):
            return reason("fatturapa_invalid_value", f"FatturaPA {where} has a malformed currency code.")
        attachments += sum(len(etree.tostring(a)) for a in found.elements("attachments"))
    if size - attachments > MAX_FATTURAPA_TEXT_BYTES:
        return reason(
            "fatturapa_too_large",
            f"FatturaPA holds more than {MAX_FATTURAPA_TEXT_BYTES} bytes outside its attachments.",
        )
    return None
