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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings
from streams.bench._config import PAID_FORMATS
from streams.bench._procs import Child
from streams.errors import ConfigError, DependencyUnavailable

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
    """A running fake resource and the worker environment that points at it."""

    child: Child
    url: str

    def env(self) -> dict[str, str]:
        """`INVOICEFLOW_AZURE_ENDPOINTS` for the workers: the fake as the only endpoint, at its quota."""
        endpoint = {"name": "bench-fake", "url": self.url, "key": _KEY, "analyze_rps": ANALYZE_RPS,
                    "get_rps": GET_RPS}
        return {"INVOICEFLOW_AZURE_ENDPOINTS": json.dumps([endpoint])}


def _spawn(log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "infra.fake_azure_di", "--port", "0", "--rate", str(ANALYZE_RPS), "--get-rate",
             str(GET_RPS), "--latency", str(LATENCY_S), "--key", _KEY],
            cwd=_REPO, stdout=subprocess.PIPE, stderr=log,  # it prints one line (its URL), then only logs
        )
    return proc


async def start_fake(work_dir: Path) -> PaidFake:
    """Start the fake (`python -m infra.fake_azure_di`) on a free port; its URL is its first output line."""
    log_path = work_dir / "fake-azure.log"
    proc = _spawn(log_path)
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
    except TimeoutError as exc:
        proc.kill()
        raise DependencyUnavailable("the fake Document Intelligence did not start within 30 s") from exc
    if not line.strip():
        raise DependencyUnavailable(f"the fake Document Intelligence exited with {proc.wait()}")
    return PaidFake(Child("fake-azure", proc, log_path), line.decode().strip().rsplit(" ", 1)[-1])
