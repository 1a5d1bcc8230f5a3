"""Shared test fixtures: repository paths, the corpus, a throwaway TLS certificate."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
FATTURAPA_CORPUS = REPO.parent / "shared" / "corpus-pending" / "fatturapa-dev"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus of real third-party documents (read-only)."""
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def fatturapa_corpus() -> Path:
    """The FatturaPA dev set of real third-party documents (read-only; signed, invalid and hostile rows)."""
    if not FATTURAPA_CORPUS.is_dir():
        pytest.fail(f"FatturaPA corpus not found at {FATTURAPA_CORPUS}")
    return FATTURAPA_CORPUS


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key (made by the `openssl` CLI)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key
