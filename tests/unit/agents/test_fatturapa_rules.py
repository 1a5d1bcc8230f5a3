"""The FatturaPA rules of the score stage, and the schema faults detection refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.detect import DetectLimits, detect
from agents.readers._fatturapa_check import MAX_FATTURAPA_TEXT_BYTES
from agents.rules import fatturapa, signature, tax_codes
from schemas import Address, InvoiceData, LineItem, Party, Reason, Route, TaxSubtotal

TOL = Decimal("0.01")


def _invoice(type_code: str = "TD01", second_line: str = "50.00", **parties: Party) -> InvoiceData:
    return InvoiceData(
        type_code=type_code,
        lines=(LineItem(net_amount=Decimal("100.00"), tax_rate=Decimal(22)),
               LineItem(net_amount=Decimal(second_line), tax_rate=Decimal(10))),
        tax_breakdown=(TaxSubtotal(rate=Decimal(22), taxable_amount=Decimal("100.00"), tax_amount=Decimal("22.00")),
                       TaxSubtotal(rate=Decimal(10), taxable_amount=Decimal("50.00"), tax_amount=Decimal("5.00"))),
        **parties,
    )


def test_lines_per_rate_must_add_up_to_the_summaries() -> None:
    assert fatturapa.check(_invoice(), TOL) == []
    assert [f.code for f in fatturapa.check(_invoice(second_line="60.00"), TOL)] == ["rate_base_mismatch"]
    assert fatturapa.check(_invoice("380", second_line="60.00"), TOL) == []  # UBL/CII: not this rule's


@pytest.mark.parametrize(("legal_id", "vat_id", "ok"), [
    ("RSSMRA85T10A562S", None, True),
    ("RSSMRA85T10A562T", None, False),  # wrong check letter
    ("01180680397", "IT01180680397", True),
    ("01180680398", "IT01180680398", False),  # wrong check digit
    ("01180680398", "DE123456789", True),  # eleven digits elsewhere are something else
    ("normalizedString", None, True),  # not shaped like a codice fiscale: not judged
])
def test_codice_fiscale(legal_id: str, vat_id: str | None, ok: bool) -> None:
    invoice = _invoice(buyer=Party(legal_id=legal_id, vat_id=vat_id, address=Address(country="DE")))
    assert (tax_codes.check(invoice) == []) is ok


def test_a_failing_signature_holds_the_invoice() -> None:
    assert signature.check([Reason(code="signed_cades", message="ok")]) == []
    found = signature.check([Reason(code="signature_not_verified", message="altered")])
    assert [f.code for f in found] == ["signature_not_verified"]


_MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<p:FatturaElettronica versione="FPR12" xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">
<FatturaElettronicaHeader>{extra_header}
<DatiTrasmissione><IdTrasmittente><IdPaese>IT</IdPaese><IdCodice>01180680397</IdCodice></IdTrasmittente>
<ProgressivoInvio>1</ProgressivoInvio><FormatoTrasmissione>FPR12</FormatoTrasmissione>
<CodiceDestinatario>0000000</CodiceDestinatario></DatiTrasmissione>
<CedentePrestatore><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>01180680397</IdCodice>
</IdFiscaleIVA><Anagrafica><Nome>Mario</Nome><Cognome>Rossi</Cognome></Anagrafica><RegimeFiscale>RF01</RegimeFiscale>
</DatiAnagrafici><Sede><Indirizzo>Via Roma</Indirizzo><CAP>00100</CAP><Comune>Roma</Comune><Nazione>IT</Nazione></Sede>
</CedentePrestatore><CessionarioCommittente><DatiAnagrafici><CodiceFiscale>RSSMRA85T10A562S</CodiceFiscale>
<Anagrafica><Denominazione>Beta</Denominazione></Anagrafica></DatiAnagrafici><Sede><Indirizzo>Via Po</Indirizzo>
<CAP>10100</CAP><Comune>Torino</Comune><Nazione>IT</Nazione></Sede></CessionarioCommittente>
</FatturaElettronicaHeader>
<FatturaElettronicaBody><DatiGenerali><DatiGeneraliDocumento><TipoDocumento>{tipo}</TipoDocumento>
<Divisa>EUR</Divisa><Data>{data}</Data><Numero>7</Numero></DatiGeneraliDocumento></DatiGenerali>
<DatiBeniServizi><DettaglioLinee><NumeroLinea>1</NumeroLinea><Descrizione>{causale}</Descrizione>
<PrezzoUnitario>10.00</PrezzoUnitario><PrezzoTotale>10.00</PrezzoTotale><AliquotaIVA>22.00</AliquotaIVA>
</DettaglioLinee><DatiRiepilogo><AliquotaIVA>22.00</AliquotaIVA><ImponibileImporto>10.00</ImponibileImporto>
<Imposta>2.20</Imposta></DatiRiepilogo></DatiBeniServizi></FatturaElettronicaBody>
</p:FatturaElettronica>"""


def _doc(tipo: str = "TD01", data: str = "2024-02-29", extra_header: str = "", causale: str = "x") -> bytes:
    return _MINIMAL.format(tipo=tipo, data=data, extra_header=extra_header, causale=causale).encode()


def test_a_sound_file_is_read_with_a_person_as_seller() -> None:
    from agents.extract import extract_local

    content = _doc()
    detection = detect(content, DetectLimits())
    assert detection.route is Route.STRUCTURED
    invoice = extract_local(detection, content).invoice
    assert invoice is not None and invoice.seller.name == "Mario Rossi"
    assert invoice.seller.vat_id == "IT01180680397" and invoice.buyer.legal_id == "RSSMRA85T10A562S"
    assert invoice.amount_due is None  # ImportoTotaleDocumento absent: not guessed
    assert tax_codes.check(invoice) == [] and fatturapa.check(invoice, TOL) == []


@pytest.mark.parametrize(("content", "code"), [
    (_doc(tipo="TD07"), "fatturapa_invalid_value"),  # a simplified code in an ordinary file
    (_doc(tipo="TD99"), "fatturapa_invalid_value"),
    (_doc(data="2023-02-29"), "fatturapa_invalid_value"),
    (_doc(extra_header="<Jumbo>x</Jumbo>"), "fatturapa_schema_invalid"),
    (_doc().replace(b"<CodiceDestinatario>0000000</CodiceDestinatario>", b""), "fatturapa_schema_invalid"),
    (_doc(causale="y" * (MAX_FATTURAPA_TEXT_BYTES + 1)), "fatturapa_too_large"),
])
def test_what_the_sdi_would_refuse_is_invalid(content: bytes, code: str) -> None:
    detection = detect(content, DetectLimits())
    assert detection.route is Route.INVALID
    assert [r.code for r in detection.reasons] == [code]
