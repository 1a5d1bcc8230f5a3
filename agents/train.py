"""`invoiceflow train`: a vendor's labelled examples become a custom model, routed to only if it reads better.

The examples are split: most are laid out as a training set (each document's layout from prebuilt-layout,
its labels placed on it, `fields.json`), uploaded to the blob container and built into a model on the first
configured Document Intelligence resource; the rest are held back. Both the new model and the tenant's
current prebuilt model then read the held-back documents, and each is scored on the confirmed values of the
trained fields. The model is registered with both figures and becomes the vendor's route only if it beats
prebuilt; a refused build is registered as failed with the service's message, and raised.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from agents.readers.azure_map import map_analyze_result
from config.settings import Settings
from schemas import InvoiceData
from streams.errors import ConfigError, InvoiceflowError
from streams.sinks.postgres import open_pool
from streams.training import (
    TRAINABLE_FIELDS,
    CustomModel,
    DocumentService,
    ExampleSource,
    LabelledExample,
    ModelRegistry,
    TrainingBudget,
    TrainingStorage,
    build_training_set,
    vendor_key,
)

MIN_TRAINING_DOCUMENTS = 5  # the service refuses fewer; checked there, not here, so its own error is shown
_ID_CHARS = re.compile(r"[^a-zA-Z0-9._~-]+")


@dataclass(frozen=True, slots=True)
class TrainReport:
    """What a training run made: the registered model and the fields it could not label on some documents."""

    model: CustomModel
    unlabelled: dict[str, tuple[str, ...]] = field(default_factory=dict)
    over_budget: int = 0
    """Examples left out, the oldest, because the run's budget (examples, bytes, pages) was spent."""


def split_examples(examples: Sequence[LabelledExample], share: float) -> tuple[list[LabelledExample],
                                                                              list[LabelledExample]]:
    """(training, held back): a stable split by document digest; nothing held back below six examples."""
    ordered = sorted(examples, key=lambda e: e.sha256)
    held = max(1, round(len(ordered) * share)) if share > 0 and len(ordered) > MIN_TRAINING_DOCUMENTS else 0
    return ordered[:len(ordered) - held], ordered[len(ordered) - held:]


def model_id_for(tenant: str, vendor: str) -> str:
    """A new model id the service accepts (letters, digits, ._~-; at most 64), naming tenant and vendor."""
    stem = _ID_CHARS.sub("-", f"{tenant}-{vendor or 'all'}").strip("-._~")[:47] or "model"
    return f"{stem}-{uuid.uuid4().hex[:12]}"


def reading_of(invoice: InvoiceData | None, name: str) -> str | None:
    """A trainable field's value in a reading, normalised as labelled examples carry it."""
    if invoice is None:
        return None
    value: Any = {"seller_vat_id": invoice.seller.vat_id, "buyer_vat_id": invoice.buyer.vat_id}.get(
        name, getattr(invoice, name, None))
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


def same_value(name: str, expected: str, got: str | None) -> bool:
    """Whether a reading matches the confirmed value (numbers to the cent, identifiers without spaces)."""
    if got is None:
        return False
    kind = TRAINABLE_FIELDS[name][1]
    if kind == "number":
        try:
            return Decimal(expected).quantize(Decimal("0.01")) == Decimal(got).quantize(Decimal("0.01"))
        except InvalidOperation:
            return False
    return expected.replace(" ", "").upper() == got.replace(" ", "").upper()


async def accuracy(service: DocumentService, model_id: str, held: Sequence[LabelledExample],
                   fields: Sequence[str]) -> float | None:
    """Share of the held-back examples' confirmed values (of `fields`) that `model_id` reads right."""
    right = total = 0
    for example in held:
        invoice, _pages = map_analyze_result(await service.analyze(model_id, example.content or b""))
        for name in fields:
            if name in example.fields:
                total += 1
                right += same_value(name, example.fields[name], reading_of(invoice, name))
    return right / total if total else None


async def train(settings: Settings, source: ExampleSource, tenant: str, vendor: str | None,
                mode: str) -> TrainReport:
    """Build, measure and register a custom model from the tenant's (vendor's) labelled examples."""
    vendor = vendor_key(vendor)
    budget = TrainingBudget.for_mode(mode, settings.training_max_examples)
    examples = list(await source.examples(tenant, vendor or None, budget))
    if not examples:
        raise ConfigError(f"no labelled examples for tenant {tenant!r}" + (f", vendor {vendor}" if vendor else ""))
    training, held = split_examples(examples, settings.training_held_back)
    model_id = model_id_for(tenant, vendor)  # also the set's folder in the container
    storage = TrainingStorage(settings)
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    try:
        registry = ModelRegistry(pool)
        async with DocumentService(settings) as service:
            training, layouts = await laid_out(service, training, budget.pages)
            when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            tset = build_training_set(list(zip(training, layouts, strict=True)), when, orjson.dumps)
            await storage.upload(model_id, tset.files)
            await registry.add_building(CustomModel(model_id, tenant, vendor, mode, tset.fields, len(training),
                                                    len(held), "building"))
            try:
                await service.build(model_id, mode, storage.container_sas_url(), model_id,
                                    f"invoiceflow {tenant} {vendor or 'all vendors'}")
                custom = await accuracy(service, model_id, held, tset.fields)
                prebuilt = await accuracy(service, settings.azure_model, held, tset.fields)
            except InvoiceflowError as exc:  # refused, failed, or not measurable: never left `building`
                await registry.fail(model_id, f"{exc.code}: {exc}")
                raise
        model = await registry.finish(model_id, custom, prebuilt)
    finally:
        await pool.close()
    return TrainReport(model, dict(tset.unlabelled), source.over_budget + len(examples) - len(training) - len(held))


async def laid_out(service: DocumentService, training: Sequence[LabelledExample],
                    pages: int) -> tuple[list[LabelledExample], list[dict[str, Any]]]:
    """Each training document's layout (prebuilt-layout), until the set holds `pages` pages: the document
    that would pass them, and the rest, are left out (the service refuses a larger set)."""
    kept: list[LabelledExample] = []
    layouts: list[dict[str, Any]] = []
    total = 0
    for example in training:
        layout = await service.analyze("prebuilt-layout", example.content or b"")
        total += max(1, len(layout.get("pages") or ()))
        if total > pages:
            break
        kept.append(example)
        layouts.append(layout)
    return kept, layouts
