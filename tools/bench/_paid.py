"""The paid extractor for a run whose mix needs it: the local fake of Azure Document Intelligence.

Scans always go to the paid service, and text PDFs whose local reading cannot be trusted are escalated to
it, so a mix with either gets one fake resource at the real S0 quota (15 analyze/s, 50 get-result/s) and a
realistic latency, in its own process like a remote service, and the workers get it as their only endpoint
(`INVOICEFLOW_AZURE_ENDPOINTS`). The fake lives in `infra/` (a dev tool, not installed): it runs from the
repository root. Its CPU is reported apart and left out of the stack's cost: it stands for Azure's servers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from config.settings import Settings
from streams.errors import ConfigError, DependencyUnavailable
from tools.bench._config import PAID_FORMATS
from tools.bench._procs import Child

ANALYZE_RPS = 15
GET_RPS = 50
LATENCY_S = 2.0
_KEY = "bench-key"
_REPO = Path(__file__).resolve().parents[2]
_NEEDS_PAID = PAID_FORMATS | {"text_pdf"}


def needs_paid(mix: Mapping[str, float]) -> bool:
    """Whether documents of this mix can reach the paid extractor."""
    return bool(_NEEDS_PAID & set(mix))


def check_wired(mix: Mapping[str, float]) -> None:
    """Refuse a scan mix while the settings have no paid endpoints to point at the fake."""
    if PAID_FORMATS & set(mix) and "azure_endpoints" not in Settings.model_fields:
        raise ConfigError("paid extractor not wired yet: the scan mix needs it; use --mix einvoice=...,text=...")


@dataclass(slots=True)
class PaidFake:
    """A running fake and the worker environment that points at it: one resource (its own key and quota)
    per endpoint, all served by the one fake process, which enforces each key's quota separately."""

    child: Child
    url: str
    endpoints: int = 1

    def keys(self) -> list[str]:
        """The subscription key of each endpoint."""
        return fake_keys(self.endpoints)

    def env(self) -> dict[str, str]:
        """`INVOICEFLOW_AZURE_ENDPOINTS` for the workers: each fake resource at its quota."""
        endpoints = [{"name": f"bench-fake-{n}", "url": self.url, "key": key, "analyze_rps": ANALYZE_RPS,
                      "get_rps": GET_RPS} for n, key in enumerate(self.keys(), start=1)]
        return {"INVOICEFLOW_AZURE_ENDPOINTS": json.dumps(endpoints)}

    async def teach(self, rows: Sequence[Mapping[str, object]]) -> None:
        """Tell the fake what each scan of `rows` (truth rows) says, as the real service would read it."""
        async with aiohttp.ClientSession() as session:
            for row in rows:
                if str(row.get("format", "")).startswith("scan"):
                    body = {"sha256": row["sha256"], "fields": fake_fields(row)}
                    async with session.post(f"{self.url}/_fake/truth", json=body) as resp:
                        resp.raise_for_status()

    async def quota_figures(self) -> dict[str, float]:
        """How the run used the paid quota, from the fake's own log of every request it answered."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/_fake/requests") as resp:
            requests = await resp.json()
        return quota_use(requests, ANALYZE_RPS * self.endpoints)


def fake_fields(row: Mapping[str, object]) -> dict[str, object]:
    """A truth row as the service's prebuilt-invoice fields."""
    def money(key: str) -> dict[str, object]:
        amount = {"amount": row[key], "currencyCode": row["currency"]}
        return {"type": "currency", "valueCurrency": amount, "content": str(row[key]), "confidence": 0.97}

    def text(key: str) -> dict[str, object]:
        return {"type": "string", "valueString": row[key], "content": row[key], "confidence": 0.97}

    fields: dict[str, object] = {"InvoiceId": text("invoice_number"), "VendorName": text("seller_name"),
              "CustomerName": text("buyer_name"), "InvoiceTotal": money("total_incl_vat"),
              "AmountDue": money("total_gross"), "SubTotal": money("total_net"), "TotalTax": money("total_tax"),
              "InvoiceDate": {"type": "date", "valueDate": row["issue_date"], "confidence": 0.97}}
    if row.get("seller_vat_id"):
        fields["VendorTaxId"] = text("seller_vat_id")
    if row.get("seller_iban"):
        fields["PaymentDetails"] = {"type": "array", "valueArray": [{"type": "object", "valueObject": {
            "IBAN": text("seller_iban")}}]}
    return fields


def fake_keys(endpoints: int) -> list[str]:
    """One subscription key per fake resource."""
    return [f"{_KEY}-{n}" for n in range(1, endpoints + 1)]


def quota_use(requests: list[dict[str, object]], configured_rps: float) -> dict[str, float]:
    """Achieved analyze rate over the busy window against the configured rate, 429s, analyses per document."""
    accepted = sorted(float(str(r["t"])) for r in requests if r["kind"] == "analyze" and r["status"] == 202)
    throttled = sum(1 for r in requests if r["status"] == 429)
    documents = {r.get("sha256") for r in requests if r["kind"] == "analyze" and r["status"] == 202}
    # the steady window: between the 5th and 95th percentile accepted analyze (ramp-up and tail left out)
    lo, hi = (accepted[int(len(accepted) * q)] for q in (0.05, 0.95)) if len(accepted) > 20 else (0.0, 0.0)
    inside = sum(1 for t in accepted if lo <= t <= hi)
    rate = inside / (hi - lo) if hi > lo else float("nan")
    return {"analyses": float(len(accepted)), "documents": float(len(documents)), "throttled_429": float(throttled),
            "achieved_analyze_rps": rate, "configured_analyze_rps": configured_rps,
            "rate_ratio": rate / configured_rps if configured_rps else float("nan")}


def _spawn(log_path: Path, keys: list[str]) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tools.fake_azure", "--port", "0", "--rate", str(ANALYZE_RPS), "--get-rate",
             str(GET_RPS), "--latency", str(LATENCY_S), *[a for k in keys for a in ("--key", k)]],
            cwd=_REPO, stdout=subprocess.PIPE, stderr=log,  # it prints one line (its URL), then only logs
        )
    return proc


async def start_fake(work_dir: Path, endpoints: int = 1) -> PaidFake:
    """Start the fake (`python -m tools.fake_azure`) on a free port; its URL is its first output line."""
    log_path = work_dir / "fake-azure.log"
    proc = _spawn(log_path, fake_keys(endpoints))
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
    except TimeoutError as exc:
        proc.kill()
        raise DependencyUnavailable("the fake Document Intelligence did not start within 30 s") from exc
    if not line.strip():
        raise DependencyUnavailable(f"the fake Document Intelligence exited with {proc.wait()}")
    return PaidFake(Child("fake-azure", proc, log_path), line.decode().strip().rsplit(" ", 1)[-1], endpoints)
