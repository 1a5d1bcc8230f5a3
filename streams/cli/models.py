"""`invoiceflow train` and `invoiceflow models list|promote|retire`: custom Document Intelligence models.

`train` reads the labelled examples (by default the tenant's approving reviews stored in PostgreSQL, with
their documents; `--examples DIR` reads `examples.jsonl` in a folder instead), builds a model from them and
prints what was registered (and, on stderr, the reviews left out because their document could not be loaded);
`models` lists the register and moves a model in or out of routing (the extract stage picks a change up within
`custom_models_refresh_s`).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from config.settings import Settings
from streams.sinks.postgres import open_pool
from streams.training import CustomModel, JsonlExamples, ModelRegistry, ReviewExamples

Sub = Any  # argparse's private _SubParsersAction


def register_train(sub: Sub) -> None:
    """`invoiceflow train`."""
    p = sub.add_parser("train", help="build a custom model from stored reviews (or labelled examples); route to it "
                       "if it reads better")
    p.add_argument("--tenant", required=True)
    p.add_argument("--vendor", default=None, help="the seller's VAT id (default: one model for the tenant)")
    p.add_argument("--mode", choices=["template", "neural"], default="template", help="build mode (default template)")
    p.add_argument("--examples", type=Path, default=None,
                   help="folder with examples.jsonl and the documents (default: the tenant's approving reviews "
                   "stored in PostgreSQL, each with the document it is tied to)")
    p.set_defaults(func=lambda a: asyncio.run(train(Settings(), a.examples, a.tenant, a.vendor, a.mode)))


def register_models(sub: Sub) -> None:
    """`invoiceflow models list|promote|retire`."""
    p = sub.add_parser("models", help="custom models: list, promote (route a vendor to it), retire")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every model with its accuracy and prebuilt's on the held-back set")
    listing.add_argument("--tenant", default=None)
    listing.set_defaults(func=lambda a: asyncio.run(models(Settings(), "list", a.tenant)))
    for action, text in (("promote", "route the model's vendor to it"), ("retire", "stop routing to it")):
        q = actions.add_parser(action, help=text)
        q.add_argument("model_id")
        q.set_defaults(func=lambda a: asyncio.run(models(Settings(), a.action, a.model_id)))


async def train(settings: Settings, folder: Path | None, tenant: str, vendor: str | None, mode: str) -> int:
    """Train, then print the registered model (and the fields that could not be labelled on some documents)."""
    from agents.train import train as run_training

    reviews = ReviewExamples(settings)
    try:
        report = await run_training(settings, JsonlExamples(folder) if folder else reviews, tenant, vendor, mode)
    finally:
        for invoice_id, code in sorted(reviews.skipped.items()):
            sys.stderr.write(f"left out the review of {invoice_id}: its document was not loaded ({code})\n")
    if report.over_budget:
        sys.stderr.write(f"left out the {report.over_budget} oldest examples: over one run's budget "
                         "(INVOICEFLOW_TRAINING_MAX_EXAMPLES, and the service's pages and bytes for the mode)\n")
    for document, fields in sorted(report.unlabelled.items()):
        sys.stderr.write(f"not found on {document}: {', '.join(fields)}\n")
    sys.stdout.write(format_models([report.model]) + "\n")
    return 0


async def models(settings: Settings, action: str, target: str | None) -> int:
    """List the register, or promote or retire one model, and print the result."""
    pool = await open_pool(settings.postgres_dsn.get_secret_value(), 1)
    try:
        registry = ModelRegistry(pool)
        if action == "list":
            found = await registry.models(target)
        else:
            assert target is not None
            found = [await (registry.promote(target) if action == "promote" else registry.retire(target))]
    finally:
        await pool.close()
    sys.stdout.write(format_models(found) + "\n")
    return 0


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def format_models(found: list[CustomModel]) -> str:
    """One line per model: id, tenant, vendor, state, mode, training size, held back, accuracies, fields."""
    if not found:
        return "no custom models"
    head = f"{'model id':<44} {'tenant':<12} {'vendor':<16} {'state':<8} {'mode':<8} train held accuracy prebuilt"
    rows = [f"{m.model_id:<44} {m.tenant_id:<12} {m.vendor or '(all)':<16} {m.state:<8} {m.build_mode:<8} "
            f"{m.training_size:>5} {m.held_back:>4} {_share(m.accuracy):>8} {_share(m.prebuilt_accuracy):>8}  "
            f"{','.join(m.fields)}" for m in found]
    return "\n".join([head, *rows])
