"""The two services a training run talks to: the blob container the set is uploaded to, and Document
Intelligence's build-model and analyze operations, both through the official clients.

The storage account's key comes from settings (`blob_key`) and signs a read+list SAS for the container, which
is what the build request hands the service. The Document Intelligence clients are built, like the extract
stage's, with `retry_total=0` (a failed call is the operator's to repeat), and their pollers wait at
`training_poll_interval_s`. A refused or failed build becomes `TrainingRejected` carrying the service's own
error code and message.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.ai.documentintelligence.aio import DocumentIntelligenceAdministrationClient, DocumentIntelligenceClient
from azure.ai.documentintelligence.models import AzureBlobContentSource, BuildDocumentModelRequest
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError
from azure.storage.blob import ContainerSasPermissions, generate_container_sas
from azure.storage.blob.aio import ContainerClient

from config.settings import AzureEndpoint, Settings
from streams.azure import parse_error
from streams.errors import ConfigError, DependencyUnavailable, TrainingRejected

_SAS_HOURS = 24


class TrainingStorage:
    """The container training sets go to (Azurite locally), addressed and signed from settings."""

    def __init__(self, settings: Settings) -> None:
        if settings.blob_key is None:
            raise ConfigError("INVOICEFLOW_BLOB_KEY is not set: no storage account to upload the training set to")
        self._settings = settings
        self._key = settings.blob_key

    def _client(self) -> ContainerClient:
        s = self._settings
        credential = {"account_name": s.blob_account, "account_key": self._key.get_secret_value()}
        return ContainerClient(s.blob_url, s.blob_container, credential=credential, retry_total=2,
                               logging_enable=False)

    async def upload(self, prefix: str, files: Mapping[str, bytes]) -> None:
        """Upload every file under `prefix/` (overwriting), creating the container on first use."""
        try:
            async with self._client() as container:
                with contextlib.suppress(ResourceExistsError):
                    await container.create_container()
                for name, data in files.items():
                    await container.upload_blob(f"{prefix}/{name}", data, overwrite=True)
        except HttpResponseError as exc:
            raise TrainingRejected(f"the storage account refused the upload: HTTP {exc.status_code}",
                                   service_code=getattr(exc, "error_code", None)) from exc
        except AzureError as exc:
            raise DependencyUnavailable(f"the storage account did not answer: {type(exc).__name__}") from exc

    def container_sas_url(self, now: datetime | None = None) -> str:
        """The container's URL with a read+list SAS valid for a day: what build-model is given."""
        s = self._settings
        expiry = (now or datetime.now(UTC)) + timedelta(hours=_SAS_HOURS)
        sas = generate_container_sas(s.blob_account, s.blob_container, account_key=self._key.get_secret_value(),
                                     permission=ContainerSasPermissions(read=True, list=True), expiry=expiry)
        return f"{s.blob_url.rstrip('/')}/{s.blob_container}?{sas}"


def _endpoint(settings: Settings) -> AzureEndpoint:
    if not settings.azure_endpoints:
        raise ConfigError("INVOICEFLOW_AZURE_ENDPOINTS is empty: no Document Intelligence resource to train on")
    return settings.azure_endpoints[0]  # a custom model lives on the resource that built it


def _rejected(exc: HttpResponseError, what: str) -> TrainingRejected:
    body = exc.response.text() if exc.response is not None else None
    error = parse_error(body)
    code = error.most_specific or "no error code"
    said = error.inner_message or error.message or exc.message
    how = "failed" if exc.status_code == 200 else f"refused (HTTP {exc.status_code})"  # 200: the operation failed
    return TrainingRejected(f"{what} {how}: {code}: {said}", service_code=error.most_specific)


class DocumentService:
    """Document Intelligence for a training run: layout and analysis of examples, and the model build."""

    def __init__(self, settings: Settings) -> None:
        endpoint = _endpoint(settings)
        self._settings = settings
        self.endpoint_name = endpoint.name
        credential = AzureKeyCredential(endpoint.key.get_secret_value())
        common: dict[str, Any] = {"retry_total": 0, "logging_enable": False}
        self._analyze = DocumentIntelligenceClient(endpoint.url, credential, **common)
        self._admin = DocumentIntelligenceAdministrationClient(endpoint.url, credential, **common)

    async def __aenter__(self) -> DocumentService:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._analyze.close()
        await self._admin.close()

    async def analyze(self, model_id: str, content: bytes) -> dict[str, Any]:
        """One document's analyzeResult (REST field names), polled to the end."""
        try:
            poller = await self._analyze.begin_analyze_document(
                model_id, io.BytesIO(content), content_type="application/octet-stream",
                polling_interval=self._settings.training_poll_interval_s)
            result = await poller.result()
        except HttpResponseError as exc:
            raise _rejected(exc, f"analyze with {model_id}") from exc
        except AzureError as exc:
            raise DependencyUnavailable(f"Document Intelligence did not answer: {type(exc).__name__}") from exc
        found: dict[str, Any] = result.as_dict()
        return found

    async def build(self, model_id: str, mode: str, container_url: str, prefix: str, description: str) -> None:
        """Build a custom model from the set under `prefix/`; returns once the service says it succeeded."""
        request = BuildDocumentModelRequest(
            model_id=model_id, build_mode=mode, description=description,
            azure_blob_source=AzureBlobContentSource(container_url=container_url, prefix=f"{prefix}/"),
        )
        try:
            poller = await self._admin.begin_build_document_model(
                request, polling_interval=self._settings.training_poll_interval_s)
            await asyncio.wait_for(poller.result(), self._settings.training_timeout_s)
        except HttpResponseError as exc:
            raise _rejected(exc, f"build of {model_id}") from exc
        except TimeoutError as exc:
            raise TrainingRejected(f"build of {model_id} not finished in {self._settings.training_timeout_s:g}s",
                                   service_code="Timeout") from exc
        except AzureError as exc:
            raise DependencyUnavailable(f"Document Intelligence did not answer: {type(exc).__name__}") from exc
