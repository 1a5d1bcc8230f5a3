"""The pure parts of `invoiceflow train`: the held-back split, model ids, and how readings are scored."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from agents.train import laid_out, model_id_for, reading_of, same_value, split_examples
from schemas import InvoiceData, Party
from streams.training import LabelledExample


def _examples(n: int) -> list[LabelledExample]:
    return [LabelledExample(f"{i}.pdf", "DE1", {}, content=f"doc {i}".encode()) for i in range(n)]


def test_a_share_is_held_back_stably_and_nothing_below_six_examples() -> None:
    train, held = split_examples(_examples(10), 0.2)
    assert len(train) == 8 and len(held) == 2
    _, again_held = split_examples(list(reversed(_examples(10))), 0.2)
    assert [e.name for e in again_held] == [e.name for e in held]
    assert split_examples(_examples(5), 0.2) == (sorted(_examples(5), key=lambda e: e.sha256), [])
    assert len(split_examples(_examples(6), 0.2)[1]) == 1


def test_model_ids_fit_the_services_pattern() -> None:
    model_id = model_id_for("acme corp/eu", "DE 123")
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._~-]{1,63}", model_id)
    assert model_id.startswith("acme-corp-eu-DE-123-")
    assert model_id != model_id_for("acme corp/eu", "DE 123")


def test_readings_are_compared_as_reviewers_confirm_values() -> None:
    invoice = InvoiceData(invoice_number="R 1", issue_date=date(2026, 1, 31), total_incl_vat=Decimal("119"),
                          seller=Party(vat_id="DE123"))
    assert same_value("total_incl_vat", "119.00", reading_of(invoice, "total_incl_vat"))
    assert same_value("issue_date", "2026-01-31", reading_of(invoice, "issue_date"))
    assert same_value("seller_vat_id", "de 123", reading_of(invoice, "seller_vat_id"))
    assert same_value("invoice_number", "R1", reading_of(invoice, "invoice_number"))
    assert not same_value("total_incl_vat", "118.99", reading_of(invoice, "total_incl_vat"))
    assert not same_value("due_date", "2026-02-28", reading_of(invoice, "due_date"))
    assert not same_value("issue_date", "2026-01-31", reading_of(None, "issue_date"))


class _Layouts:
    """prebuilt-layout as the training run calls it: the document's text is its page count."""

    def __init__(self) -> None:
        self.analyzed: list[bytes] = []

    async def analyze(self, model_id: str, content: bytes) -> dict[str, Any]:
        assert model_id == "prebuilt-layout"
        self.analyzed.append(content)
        return {"pages": [{"pageNumber": n + 1} for n in range(int(content))]}


async def test_the_training_set_stops_before_the_services_page_limit() -> None:
    examples = [LabelledExample(f"{i}.pdf", "DE1", {}, content=str(pages).encode())
                for i, pages in enumerate((200, 200, 150, 1))]
    service = _Layouts()
    kept, layouts = await laid_out(service, examples, 500)  # type: ignore[arg-type]
    assert [e.name for e in kept] == ["0.pdf", "1.pdf"] and len(layouts) == 2
    assert service.analyzed == [b"200", b"200", b"150"]  # nothing is laid out past the one that passes
    kept, _ = await laid_out(_Layouts(), examples, 551)  # type: ignore[arg-type]
    assert [e.name for e in kept] == ["0.pdf", "1.pdf", "2.pdf", "3.pdf"]
