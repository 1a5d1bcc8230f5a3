"""The UBL block-order check: the schema's blocks in order pass, a block out of place is refused."""

from __future__ import annotations

import pytest

from agents.detect import DetectLimits, detect
from agents.readers._ubl_order import ubl_order_problem
from agents.readers.safe_xml import parse_xml
from schemas import DocType, DocumentFormat, Route
from tests.unit.agents.test_en16931_check import UBL

_REFERENCE = "<cac:AdditionalDocumentReference><cbc:ID>att-1</cbc:ID></cac:AdditionalDocumentReference>\n"
_PARTIES = "<cac:AccountingSupplierParty>"
_TOTALS = "<cac:LegalMonetaryTotal>"


def _problem(text: str) -> str | None:
    found = ubl_order_problem(parse_xml(text.encode(), 1 << 20))
    return None if found is None else found.code


def test_blocks_in_schema_order_pass() -> None:
    assert _problem(UBL) is None
    assert _problem(UBL.replace(_PARTIES, _REFERENCE + _PARTIES)) is None
    assert detect(UBL.replace(_PARTIES, _REFERENCE + _PARTIES).encode(), DetectLimits()).route is Route.STRUCTURED


@pytest.mark.parametrize("misplaced", [
    UBL.replace(_TOTALS, _REFERENCE + _TOTALS),  # a reference after the parties
    UBL.replace("<cbc:IssueDate>2024-03-01</cbc:IssueDate>", "").replace(
        _TOTALS, "<cbc:IssueDate>2024-03-01</cbc:IssueDate>" + _TOTALS),  # a header term after the tax total
    UBL.replace("</Invoice>", "<cac:TaxTotal></cac:TaxTotal></Invoice>"),  # a tax total after the lines
])
def test_a_block_out_of_place_is_refused(misplaced: str) -> None:
    assert _problem(misplaced) == "ubl_schema_order"
    detection = detect(misplaced.encode(), DetectLimits())
    assert detection.route is Route.INVALID
    assert detection.reasons[0].code == "ubl_schema_order"
    # refused as what it is (the registry entry's `misfit` keeps the identity), not as unknown content
    assert (detection.format, detection.doc_type, detection.xml_format) == (
        DocumentFormat.UBL, DocType.INVOICE, DocumentFormat.UBL)


def test_names_it_does_not_know_are_not_judged() -> None:
    extension = "<Unknown xmlns='urn:example'>x</Unknown>"
    assert _problem(UBL.replace("</Invoice>", extension + "</Invoice>")) is None
    assert _problem(UBL.replace(_PARTIES, extension + _PARTIES)) is None
