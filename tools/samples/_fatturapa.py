"""Italian FatturaPA 1.2 (FPR12/FPA12) and simplified FSM10 files, one or several bodies, any TipoDocumento.

Why its own renderer: the public FatturaPA corpus holds six valid invoices, so every TipoDocumento, files of
several bodies (one invoice each, sharing the header's parties), windows-1252 files and signed ones are made
here, with truth right by construction. Document allowances and charges become lines of their own
(TipoCessionePrestazione SC/AC), as Italian software writes them, so the lines at each rate add up to that
rate's DatiRiepilogo; reverse-charge lines are intra-EU supplies (Natura N3.2). ImportoTotaleDocumento is
left out of some files (it is optional): their truth has no amount due.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ._model import ZERO, SampleInvoice, q2
from ._xml import amount, esc, leaf, node, opt, plain

ORDINARY_TYPES: Final = {
    **dict.fromkeys(("TD01", "TD02", "TD03", "TD06", "TD24", "TD25", "TD26", "TD27"), "invoice"),
    "TD04": "credit_note", "TD05": "debit_note",
    **dict.fromkeys(("TD16", "TD17", "TD18", "TD19", "TD20", "TD21", "TD22", "TD23", "TD28"),
                    "self_billed_invoice"),
}
SIMPLIFIED_TYPES: Final = {"TD07": "invoice", "TD08": "credit_note", "TD09": "debit_note"}
NAMESPACE: Final = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
SIMPLIFIED_NAMESPACE: Final = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.0"
_CAUSALE: Final = "Fornitura secondo accordi: attività di consulenza e più servizi, città di consegna è indicata"


@dataclass(frozen=True, slots=True)
class FatturaPlan:
    """How one file is made: its TipoDocumento per body, version, encoding and optional parts."""

    types: tuple[str, ...]
    simplified: bool = False
    encoding: str = "utf-8"
    with_total: bool = True
    withholding: bool = False
    stamp_duty: bool = False


def _decimals(value: Decimal, places: int = 2) -> str:
    """FatturaPA decimals carry at least two places (``1.00``, ``0.250``)."""
    text = plain(value)
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(places, '0')}"


def _party_ids(vat_id: str | None, name: str) -> list[str | None]:
    ids = None if vat_id is None else node("IdFiscaleIVA", leaf("IdPaese", vat_id[:2]), leaf("IdCodice", vat_id[2:]))
    return [ids, None if ids is not None else leaf("CodiceFiscale", "RSSMRA85T10A562S"),
            node("Anagrafica", leaf("Denominazione", name))]


def _sede(inv: SampleInvoice, seller: bool) -> str:
    addr = (inv.seller if seller else inv.buyer).address
    cap = addr.postcode if addr.country == "IT" else "00000"
    return node("Sede", leaf("Indirizzo", addr.street), leaf("CAP", cap), leaf("Comune", addr.city),
                leaf("Nazione", addr.country))


def _header(inv: SampleInvoice, simplified: bool, index: int) -> str:
    sender = inv.seller.vat_id or "IT01234567897"
    transmission = node("DatiTrasmissione", node("IdTrasmittente", leaf("IdPaese", sender[:2]),
                                                 leaf("IdCodice", sender[2:])),
                        leaf("ProgressivoInvio", f"{index % 100000:05d}"),
                        leaf("FormatoTrasmissione", "FSM10" if simplified else "FPR12"),
                        leaf("CodiceDestinatario", "0000000"))
    seller_vat = inv.seller.vat_id or "IT01234567897"
    if simplified:
        seller = node("CedentePrestatore", node("IdFiscaleIVA", leaf("IdPaese", seller_vat[:2]),
                                                leaf("IdCodice", seller_vat[2:])),
                      leaf("Denominazione", inv.seller.name), _sede(inv, True), leaf("RegimeFiscale", "RF01"))
        ids = _party_ids(inv.buyer.vat_id, inv.buyer.name)
        buyer = node("CessionarioCommittente", node("IdentificativiFiscali", ids[0], ids[1]),
                     node("AltriDatiIdentificativi", leaf("Denominazione", inv.buyer.name), _sede(inv, False)))
    else:
        seller = node("CedentePrestatore", node("DatiAnagrafici", *_party_ids(seller_vat, inv.seller.name),
                                                leaf("RegimeFiscale", "RF01")), _sede(inv, True))
        buyer = node("CessionarioCommittente", node("DatiAnagrafici", *_party_ids(inv.buyer.vat_id, inv.buyer.name)),
                     _sede(inv, False))
    return node("FatturaElettronicaHeader", transmission, seller, buyer)


_Row = tuple[str, Decimal, Decimal, Decimal, Decimal, str | None, str | None]


def ordinary_lines(inv: SampleInvoice) -> list[_Row]:
    """(description, quantity, unit price, total, rate, natura, kind) per DettaglioLinee, allowances and
    charges included as lines of kind SC (discount) or AC (accessory charge)."""
    out: list[_Row] = []
    for line in inv.lines:
        nature = "N3.2" if line.category != "S" else None
        out.append((line.name, line.quantity, line.price, line.net, line.rate, nature, None))
    for ac in inv.allowances:
        signed = ac.amount if ac.charge else -ac.amount
        nature = "N3.2" if ac.category != "S" else None
        out.append((ac.reason, Decimal(1), signed, signed, ac.rate, nature, "AC" if ac.charge else "SC"))
    return out


def _ordinary_body(inv: SampleInvoice, tipo: str, plan: FatturaPlan) -> str:
    withholding = q2(inv.totals.tax_exclusive * Decimal("0.2")) if plan.withholding else None
    general = node(
        "DatiGeneraliDocumento", leaf("TipoDocumento", tipo), leaf("Divisa", inv.currency),
        leaf("Data", inv.issue_date.isoformat()), leaf("Numero", inv.number),
        node("DatiRitenuta", leaf("TipoRitenuta", "RT01"), leaf("ImportoRitenuta", amount(withholding)),
             leaf("AliquotaRitenuta", "20.00"), leaf("CausalePagamento", "A")) if withholding else None,
        node("DatiBollo", leaf("BolloVirtuale", "SI"), leaf("ImportoBollo", "2.00")) if plan.stamp_duty else None,
        opt("ImportoTotaleDocumento", amount(inv.totals.tax_inclusive) if plan.with_total else None),
        leaf("Causale", _CAUSALE),
    )
    order = node("DatiOrdineAcquisto", leaf("IdDocumento", inv.order_reference)) if inv.order_reference else None
    lines = [
        node("DettaglioLinee", leaf("NumeroLinea", str(n)), opt("TipoCessionePrestazione", kind),
             leaf("Descrizione", desc), leaf("Quantita", _decimals(qty)), leaf("PrezzoUnitario", _decimals(price)),
             leaf("PrezzoTotale", amount(total)), leaf("AliquotaIVA", amount(rate)), opt("Natura", nature))
        for n, (desc, qty, price, total, rate, nature, kind) in enumerate(ordinary_lines(inv), 1)
    ]
    summaries = [
        node("DatiRiepilogo", leaf("AliquotaIVA", amount(sub.rate)),
             opt("Natura", "N3.2" if sub.category != "S" else None), leaf("ImponibileImporto", amount(sub.base)),
             leaf("Imposta", amount(sub.tax)), opt("EsigibilitaIVA", "I" if sub.category == "S" else None),
             opt("RiferimentoNormativo", "Art. 41 DL 331/93" if sub.category != "S" else None))
        for sub in inv.subtotals
    ]
    payable = inv.totals.tax_inclusive - (withholding or ZERO)
    payment = node("DatiPagamento", leaf("CondizioniPagamento", "TP02"), node(
        "DettaglioPagamento", leaf("ModalitaPagamento", "MP05"),
        opt("DataScadenzaPagamento", inv.due_date.isoformat() if inv.due_date else None),
        leaf("ImportoPagamento", amount(payable)), opt("IBAN", inv.seller.iban), opt("BIC", inv.seller.bic)))
    return node("FatturaElettronicaBody", node("DatiGenerali", general, order),
                node("DatiBeniServizi", *lines, *summaries), payment)


def simplified_lines(inv: SampleInvoice) -> list[tuple[str, Decimal, Decimal]]:
    """(description, Importo with VAT, Imposta) per DatiBeniServizi of a simplified body: one per VAT rate."""
    return [(f"Beni e servizi al {plain(sub.rate)}%", sub.base + sub.tax, sub.tax) for sub in inv.subtotals]


def _simplified_body(inv: SampleInvoice, tipo: str) -> str:
    general = node("DatiGeneraliDocumento", leaf("TipoDocumento", tipo), leaf("Divisa", inv.currency),
                   leaf("Data", inv.issue_date.isoformat()), leaf("Numero", inv.number))
    goods = [node("DatiBeniServizi", leaf("Descrizione", desc), leaf("Importo", amount(gross)),
                  node("DatiIVA", leaf("Imposta", amount(tax))))
             for desc, gross, tax in simplified_lines(inv)]
    return node("FatturaElettronicaBody", node("DatiGenerali", general), *goods)


def render_fatturapa(invoices: list[SampleInvoice], plan: FatturaPlan, index: int) -> bytes:
    """One FatturaPA file: the first invoice's parties in the header, one body per invoice and planned type."""
    first = invoices[0]
    if plan.simplified:
        root, version, ns = "p:FatturaElettronicaSemplificata", "FSM10", SIMPLIFIED_NAMESPACE
        bodies = [_simplified_body(inv, tipo) for inv, tipo in zip(invoices, plan.types, strict=True)]
    else:
        root, version, ns = "p:FatturaElettronica", "FPR12", NAMESPACE
        bodies = [_ordinary_body(inv, tipo, plan) for inv, tipo in zip(invoices, plan.types, strict=True)]
    text = node(root, _header(first, plan.simplified, index), *bodies,
                attrs=f' versione="{version}" xmlns:p="{esc(ns)}"')
    declaration = f'<?xml version="1.0" encoding="{plan.encoding}"?>\n'
    return (declaration + text + "\n").encode(plan.encoding, errors="xmlcharrefreplace")  # refs are XML too


def plan_fattura(rng: random.Random, index: int) -> FatturaPlan:
    """A file plan: every TipoDocumento in turn (by index), some files of two or three bodies, some in
    windows-1252, a few simplified, some without ImportoTotaleDocumento, some with withholding or stamp duty."""
    simplified = index % 7 == 6
    codes = tuple(SIMPLIFIED_TYPES) if simplified else tuple(ORDINARY_TYPES)
    count = rng.choice((1, 1, 1, 2, 3))
    types = tuple(codes[(index + k) % len(codes)] for k in range(count))
    return FatturaPlan(types=types, simplified=simplified,
                       encoding="windows-1252" if rng.random() < 0.3 else "utf-8",
                       with_total=simplified or rng.random() < 0.8, withholding=rng.random() < 0.2,
                       stamp_duty=rng.random() < 0.2)
