"""The review stage: which fields a review says were right, the vendor it counts under, and its shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from agents.review import document_of, review, review_agent, review_vendor, teaches_layout
from schemas import Decision, DocumentRef, FieldCorrections, InvoiceReviewed, InvoiceScored
from streams.codecs import encode
from streams.errors import SchemaError, SinkError, UnknownInvoice
from streams.sinks import RecordedExtraction
from streams.sinks.fakes import FakeHistoryIndex, FakeReviewStore
from streams.stage import Inbound
from tests.records_helpers import scored
from tests.unit.agents._contexts import TestResources, stage_context

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def recorded(ev: InvoiceScored) -> RecordedExtraction:
    assert ev.invoice is not None
    return RecordedExtraction(ev.tenant_id, ev.invoice_id, ev.event_id, ev.extractor, ev.document_sha256,
                              ev.decision.value, ev.score, ev.invoice.model_dump_json(),
                              tuple(r.code for r in ev.reasons))


def reviewed(invoice_id: str, tenant: str, decision: str = "approve", at: datetime = AT,
             **corrections: Any) -> InvoiceReviewed:
    return InvoiceReviewed(invoice_id=invoice_id, tenant_id=tenant, corrections=corrections, decision=decision,
                           reviewer="ana", reviewed_at=at)


def test_a_field_is_right_when_left_alone_or_set_to_what_was_read() -> None:
    ev = scored("a", "t")
    assert ev.invoice is not None
    amount = ev.invoice.amount_due
    assert amount is not None
    example = review(reviewed("a", "t", **{"invoice_number": "REAL-1", "amount_due": str(amount) + "0"}),
                     recorded(ev))
    assert example.fields_right["invoice_number"] is False  # corrected
    assert example.fields_right["amount_due"] is True  # "set" to the same amount (more decimals): unchanged
    assert example.fields_right["seller.name"] is True  # left alone
    assert set(example.fields_right) == set(example.extracted)  # every field read, nothing else
    assert example.corrections == {"invoice_number": "REAL-1", "amount_due": str(amount) + "0"}
    assert example.extraction_event_id == ev.event_id and example.document_sha256 == ev.document_sha256
    assert example.extractor == ev.extractor and example.scored_decision == "auto_approve"
    assert example.decision == "approve" and example.reviewer == "ana" and example.reviewed_at == AT
    held = review(reviewed("a", "t"), recorded(scored("a", "t", decision=Decision.REVIEW)))
    assert held.reason_codes == ("new_vendor",) and example.reason_codes == ()


def test_a_field_extraction_missed_counts_as_wrong_and_the_vendor_is_the_corrected_seller() -> None:
    ev = scored("a", "t")
    example = review(reviewed("a", "t", **{"order_reference": "PO-7", "seller.vat_id": "FR40303265045"}),
                     recorded(ev))
    assert example.fields_right["order_reference"] is False  # not read at all, the reviewer added it
    assert example.fields_right["seller.vat_id"] is False
    assert example.seller_key == "vat:FR40303265045"
    assert review(reviewed("a", "t"), recorded(ev)).seller_key == "vat:DE136695976"


def test_a_review_of_an_extraction_that_read_nothing_counts_only_what_was_corrected() -> None:
    ev = scored("a", "t")
    nothing = RecordedExtraction("t", "a", ev.event_id, "none", ev.document_sha256, "review", 0.0, None)
    example = review(reviewed("a", "t", "reject", **{"seller.name": "Acme"}), nothing)
    assert example.fields_right == {"seller.name": False} and example.extracted == {}
    assert example.seller_key == "name:acme" and example.decision == "reject"


def test_unknown_field_names_and_badly_typed_values_are_refused_with_their_name() -> None:
    with pytest.raises(ValidationError, match="unknown field 'seller_nmae'; correctable fields: invoice_number"):
        FieldCorrections.model_validate({"seller_nmae": "x"})
    with pytest.raises(ValidationError, match="amount_due"):
        FieldCorrections.model_validate({"amount_due": "twelve"})
    assert FieldCorrections.model_validate({"seller_name": "x"}).values() == {"seller.name": "x"}


def test_the_same_review_is_the_same_event_whenever_it_is_sent() -> None:
    one = reviewed("a", "t", amount_due="10.00")
    again = reviewed("a", "t", at=AT + timedelta(hours=1), amount_due="10.00")
    other = reviewed("a", "t", amount_due="10.01")
    assert one.event_id == again.event_id != other.event_id
    with pytest.raises(ValidationError, match="event_id must be"):
        InvoiceReviewed.model_validate({**one.model_dump(mode="json"), "event_id": other.event_id})


def _msg(value: bytes, offset: int) -> Inbound:
    return Inbound(b"k", value, [], "p.invoices.reviewed", 0, offset, 0, [])


class _Resources(TestResources):
    def __init__(self, store: FakeReviewStore) -> None:
        super().__init__()
        self.store = store
        self.index = FakeHistoryIndex()

    async def reviews(self) -> FakeReviewStore:
        return self.store

    async def history(self) -> FakeHistoryIndex:
        return self.index


async def test_the_shell_stores_each_review_once_and_dead_letters_unknown_invoices_and_bad_fields() -> None:
    store = FakeReviewStore([recorded(scored("a", "t")), recorded(scored("b", "t"))])
    handle = review_agent(stage_context(_Resources(store)))
    good, unknown = reviewed("a", "t", invoice_number="X"), reviewed("zz", "t")
    other_tenant = reviewed("b", "u")
    bad = encode(reviewed("b", "t")).replace(b'"corrections":{}', b'"corrections":{"colour":"red"}')
    outcomes = await handle([_msg(encode(good), 1), _msg(encode(unknown), 2), _msg(bad, 3),
                             _msg(encode(other_tenant), 4)])
    assert outcomes[0] == ()
    assert isinstance(outcomes[1], UnknownInvoice) and "no invoice 'zz'" in str(outcomes[1])
    assert isinstance(outcomes[2], SchemaError) and "unknown field 'colour'" in str(outcomes[2])
    assert isinstance(outcomes[3], UnknownInvoice)  # another tenant's invoice is unknown to this one
    assert list(store.examples) == [("t", "a")] and store.writes == 1
    assert await handle([_msg(encode(good), 1)]) == [()]
    assert store.writes == 1  # resent: nothing changed
    later = reviewed("a", "t", "reject", at=AT + timedelta(minutes=5), invoice_number="Y")
    await handle([_msg(encode(later), 5), _msg(encode(good), 6)])  # a later word wins, whatever the order
    assert store.examples[("t", "a")].event_id == later.event_id


class _Down(TestResources):
    async def reviews(self) -> FakeReviewStore:
        raise SinkError("postgres down")


async def test_a_store_outage_fails_the_batch_for_the_runner_to_hold() -> None:
    handle = review_agent(stage_context(_Down()))
    outcomes = await handle([_msg(encode(reviewed("a", "t")), 1), _msg(b"{", 2)])
    assert isinstance(outcomes[0], SinkError) and not isinstance(outcomes[1], SinkError)


def test_decimal_corrections_keep_every_cent() -> None:
    assert reviewed("a", "t", amount_due="1234.565").corrections.amount_due == Decimal("1234.565")


def test_only_a_review_carrying_the_recorded_text_pdf_teaches_a_layout() -> None:
    sha = "a" * 64
    ref = DocumentRef(uri="file:///docs/a.pdf", sha256=sha, size=10)
    recorded = RecordedExtraction("t", "i", "e", "text", sha, "review", 0.5, None, (), "text_pdf")
    base = {"invoice_id": "i", "tenant_id": "t", "decision": "approve", "reviewer": "r",
            "reviewed_at": datetime(2026, 12, 1, tzinfo=UTC)}
    assert teaches_layout(InvoiceReviewed(**base, document=ref), recorded)
    assert not teaches_layout(InvoiceReviewed(**base), recorded)  # no document: nothing to learn from
    other = DocumentRef(uri="file:///docs/b.pdf", sha256="b" * 64, size=10)
    assert not teaches_layout(InvoiceReviewed(**base, document=other), recorded)  # not the recorded document
    ubl = RecordedExtraction("t", "i", "e", "ubl", sha, "review", 0.5, None, (), "ubl")
    assert not teaches_layout(InvoiceReviewed(**base, document=ref), ubl)  # an e-invoice has no layout to learn


def test_a_review_without_its_document_is_tied_to_the_one_the_record_kept() -> None:
    sha = "a" * 64
    kept = DocumentRef(uri="file:///docs/a.pdf", sha256=sha, size=10, filename="a.pdf")
    base = {"invoice_id": "i", "tenant_id": "t", "decision": "approve", "reviewer": "r",
            "reviewed_at": datetime(2026, 12, 1, tzinfo=UTC)}
    with_ref = RecordedExtraction("t", "i", "e", "text", sha, "review", 0.5, None, (), "text_pdf",
                                  kept.model_dump_json(exclude_none=True))
    dashboard = InvoiceReviewed(**base)  # the dashboard and `invoiceflow review` without --document send none
    assert document_of(dashboard, with_ref) == kept and teaches_layout(dashboard, with_ref)
    assert review(dashboard, with_ref).document_json == kept.model_dump_json(exclude_none=True)
    own = DocumentRef(uri="file:///elsewhere/a.pdf", sha256=sha, size=10)  # the same document, sent along
    assert document_of(InvoiceReviewed(**base, document=own), with_ref) == own
    other = DocumentRef(uri="file:///docs/b.pdf", sha256="b" * 64, size=10)  # not the recorded document
    assert document_of(InvoiceReviewed(**base, document=other), with_ref) == kept
    inline = DocumentRef(inline_b64="JVBERg==", sha256=sha, size=10)
    assert document_of(InvoiceReviewed(**base, document=inline), with_ref) == inline  # teaches a layout now...
    assert review(InvoiceReviewed(**base, document=inline), with_ref).document_json is None  # ...stores no bytes
    bare = RecordedExtraction("t", "i", "e", "text", sha, "review", 0.5, None, (), "text_pdf")
    assert document_of(dashboard, bare) is None and review(dashboard, bare).document_json is None


def test_an_approving_review_teaches_the_seller_as_the_reviewer_left_it() -> None:
    held = recorded(scored("a", "t", decision=Decision.REVIEW))
    fact = review_vendor(review(reviewed("a", "t", **{"seller.vat_id": "FR40303265045",
                                                       "seller_iban": "FR7630006000011234567890189"}), held))
    assert fact is not None and fact.seller_key == "vat:FR40303265045" and fact.vat_id == "FR40303265045"
    assert fact.iban == "FR7630006000011234567890189" and fact.tenant_id == "t"
    assert fact.name == scored("a", "t").invoice.seller.name  # type: ignore[union-attr]  # left alone: as read
    assert fact.event_id == reviewed("a", "t", **{"seller.vat_id": "FR40303265045",
                                                  "seller_iban": "FR7630006000011234567890189"}).event_id
    assert review_vendor(review(reviewed("a", "t", "reject"), held)) is None  # a rejection teaches nothing
    approved_already = recorded(scored("a", "t"))  # auto-approved: its approval taught the seller
    assert review_vendor(review(reviewed("a", "t"), approved_already)) is None


async def test_the_shell_teaches_approved_sellers_to_the_store_and_the_history_index_once() -> None:
    store = FakeReviewStore([recorded(scored("a", "t", decision=Decision.REVIEW, vat_id="DE111111111"))])
    resources = _Resources(store)
    handle = review_agent(stage_context(resources))
    approve = reviewed("a", "t", seller_iban="DE02120300000000202051")
    assert await handle([_msg(encode(approve), 1)]) == [()]
    assert [(v.seller_key, v.iban) for v in store.vendors] == [("vat:DE111111111", "DE02120300000000202051")]
    assert resources.index.vendors == {("t", "vat:DE111111111"): "DE02120300000000202051"}
    await handle([_msg(encode(approve), 1)])  # resent: the store learns nothing twice
    again = reviewed("a", "t", at=AT + timedelta(minutes=1), seller_iban="DE02120300000000202051",
                     invoice_number="N-2")
    await handle([_msg(encode(again), 2)])  # approved again, later: still one invoice for the seller
    assert len(store.vendors) == 1
