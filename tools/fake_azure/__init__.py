"""A local fake of Azure AI Document Intelligence, so tests and benchmarks drive the real SDK offline.

Run it alone with `python -m tools.fake_azure --port 8765 --rate 15 --latency 2.0`, or embed it:
`fake = FakeAzureDI(FakeConfig(...)); url = await fake.start()`.
"""

from tools.fake_azure._fields import (
    API_VERSION,
    FakeDocument,
    FakeLine,
    address_field,
    analyze_result,
    currency_field,
    generic_document,
    invoice_fields,
    string_field,
)
from tools.fake_azure.server import FakeAzureDI, FakeConfig, RequestRecord

__all__ = [
    "API_VERSION",
    "FakeAzureDI",
    "FakeConfig",
    "FakeDocument",
    "FakeLine",
    "RequestRecord",
    "address_field",
    "analyze_result",
    "currency_field",
    "generic_document",
    "invoice_fields",
    "string_field",
]
