"""A local fake of Azure AI Document Intelligence's REST API (analyze; custom models in `_admin.py`).

It speaks exactly what the azure-ai-documentintelligence SDK sends and expects for `begin_analyze_document`:
`POST {endpoint}/documentintelligence/documentModels/{modelId}:analyze` (raw bytes, or JSON with
urlSource / base64Source) answers 202 with Operation-Location and apim-request-id; `GET` on that location
answers `running` until the configured latency has passed, then `succeeded` with an `analyzeResult`. Like the
real resource it checks Ocp-Apim-Subscription-Key, limits analyze and get-result calls per key over 1 s
windows (429 + Retry-After), rejects undecodable content with 400 InvalidContent, and forgets results after
24 h (404). Failures can be scripted or drawn at random, and every request is recorded so a test can prove
what the client did: in-process via `requests`, or over HTTP at `GET /_fake/requests`. prebuilt-layout and
custom models read a PDF's text layer (words and their places) instead of answering from the truth given.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from tools.fake_azure._admin import BuildOperation, ModelAdmin, error_response, iso
from tools.fake_azure._custom import LearnedModel, read_with
from tools.fake_azure._fields import API_VERSION, FakeDocument, analyze_result, generic_document
from tools.fake_azure._limits import FailurePlan, SlidingWindow, retry_after_header
from tools.fake_azure._pdf_words import pdf_pages

_BASE = "/documentintelligence/documentModels"
_MAGIC = (b"%PDF", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"PK\x03\x04")
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
_AUTH_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


@dataclass(frozen=True, slots=True)
class FakeConfig:
    """How the fake resource behaves; defaults are the S0 tier's."""

    keys: tuple[str, ...] = ("fake-key",)
    analyze_rps: int = 15
    get_rps: int = 50
    latency_s: float = 2.0
    result_ttl_s: float = 24 * 3600.0
    failure_rates: Mapping[str, float] = field(default_factory=dict)
    failure_statuses: tuple[int, ...] = (500, 503, 429)
    models: frozenset[str] | None = None
    seed: int = 0
    build_latency_s: float = 0.5


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the fake saw; `t` is time.monotonic() (the asyncio clock), `wall` is epoch seconds."""

    t: float
    wall: float
    method: str
    path: str
    kind: str
    key: str | None
    status: int
    sha256: str | None = None
    model_id: str | None = None
    operation_id: str | None = None


@dataclass(slots=True)
class _Operation:
    model_id: str
    created: float
    created_wall: float
    document: FakeDocument
    sha256: str | None
    result: dict[str, Any] | None = None
    data: bytes = b""


def _injected(status: int) -> web.Response:
    if status == 429:
        resp = error_response(429, "429", "Rate limit is exceeded. Try again in 1 seconds.")
        resp.headers["Retry-After"] = "1"
        return resp
    return error_response(status, "InternalServerError", "An unexpected error occurred.")


class FakeAzureDI(ModelAdmin):
    """The fake resource: an aiohttp app plus the state tests inspect and steer."""

    def __init__(
        self,
        config: FakeConfig | None = None,
        truth_by_sha256: Mapping[str, FakeDocument] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or FakeConfig()
        self.latency_s = self.config.latency_s
        self.truth_by_sha256: dict[str, FakeDocument] = dict(truth_by_sha256 or {})
        self.documents_by_url: dict[str, bytes] = {}
        self.failures = FailurePlan(self.config.failure_rates, self.config.failure_statuses, self.config.seed)
        self.requests: list[RequestRecord] = []
        self._ops: dict[str, _Operation] = {}
        self._builds: dict[str, BuildOperation] = {}
        self.models: dict[str, LearnedModel] = {}
        self._windows: dict[tuple[str, str], SlidingWindow] = {}
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._seen = asyncio.Event()
        self.url = ""

    # ------------------------------------------------------------------ lifecycle
    def app(self) -> web.Application:
        app = web.Application(client_max_size=600 * 1024 * 1024)
        app.router.add_post(_BASE + "/{model_id}:analyze", self._analyze)
        app.router.add_get(_BASE + "/{model_id}/analyzeResults/{result_id}", self._get_result)
        app.router.add_post(_BASE + ":build", self._build)
        app.router.add_get(_BASE + "/{model_id}", self._get_model)
        app.router.add_get("/documentintelligence/operations/{operation_id}", self._get_operation)
        app.router.add_get("/_fake/requests", self._list_requests)
        app.router.add_post("/_fake/truth", self._put_truth)
        app.router.add_post("/_fake/inject", self._inject)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 picks a free port); returns the endpoint URL to give the SDK."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://{host}:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ steering and inspection
    def inject(self, kind: str, statuses: list[int]) -> None:
        """The next `kind` ('analyze' or 'get') requests answer these statuses, in order."""
        self.failures.inject(kind, statuses)

    def expire_all(self) -> None:
        """Forget every operation, as the service does 24 h after each analyze."""
        self._ops.clear()

    async def wait_for(self, predicate: Callable[[RequestRecord], bool]) -> RequestRecord:
        """The first request (seen already or still to come) that satisfies `predicate`."""
        while True:
            found = next((r for r in self.requests if predicate(r)), None)
            if found is not None:
                return found
            self._seen.clear()
            await self._seen.wait()

    def accepted_analyses(self) -> list[RequestRecord]:
        """The analyze requests answered 202: the ones that are billed."""
        return [r for r in self.requests if r.kind == "analyze" and r.status == 202]

    # ------------------------------------------------------------------ handlers
    def _record(
        self, request: web.Request, arrived: float, kind: str, key: str | None, status: int, **extra: Any
    ) -> None:
        rec = RequestRecord(arrived, time.time(), request.method, request.path, kind, key, status, **extra)
        self.requests.append(rec)
        self._seen.set()

    def _gate(self, request: web.Request, arrived: float, kind: str) -> tuple[str | None, web.Response | None]:
        """Key check, injected failure, quota: the checks every API call passes, in the service's order."""
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        if key not in self.config.keys:
            return key, error_response(401, "401", _AUTH_MESSAGE)
        injected = self.failures.next_failure(kind)
        if injected is not None:
            return key, _injected(injected)
        limit = self.config.analyze_rps if kind == "analyze" else self.config.get_rps
        window = self._windows.setdefault((key or "", kind), SlidingWindow(limit))
        wait = window.admit(arrived)
        if wait is not None:
            resp = error_response(
                429,
                "429",
                "Requests to the Analyze Document operation under Document Intelligence API have exceeded "
                "the rate limit of your current tier. Please retry after the time in Retry-After.",
            )
            resp.headers["Retry-After"] = retry_after_header(wait)
            return key, resp
        return key, None

    def _admit(self, request: web.Request, kind: str,
               **extra: Any) -> tuple[float, str | None, web.Response | None]:
        """`_gate` with the refusal recorded: (arrival time, key, the refusal or None)."""
        arrived = self._clock()
        key, refused = self._gate(request, arrived, kind)
        if refused is not None:
            self._record(request, arrived, kind, key, refused.status, **extra)
        return arrived, key, refused

    async def _read_document(self, request: web.Request) -> bytes | str | web.Response:
        if request.content_type != "application/json":
            return await request.read()
        try:
            body = await request.json()
        except ValueError:
            return error_response(400, "InvalidRequest", "Invalid request.", ("InvalidJson", "Body is not JSON."))
        if isinstance(body, dict) and isinstance(body.get("base64Source"), str):
            try:
                return base64.b64decode(body["base64Source"], validate=True)
            except binascii.Error:
                pass
        elif isinstance(body, dict) and isinstance(body.get("urlSource"), str):
            url: str = body["urlSource"]
            return self.documents_by_url.get(url, url)
        inner = ("InvalidParameter", "urlSource or base64Source needed.")
        return error_response(400, "InvalidRequest", "Invalid request.", inner)

    async def _analyze(self, request: web.Request) -> web.Response:
        arrived = self._clock()
        model_id = request.match_info["model_id"]
        key, refused = self._gate(request, arrived, "analyze")
        if refused is not None:
            self._record(request, arrived, "analyze", key, refused.status, model_id=model_id)
            return refused
        source = await self._read_document(request)
        if isinstance(source, web.Response):
            self._record(request, arrived, "analyze", key, source.status, model_id=model_id)
            return source
        data = source.encode() if isinstance(source, str) else source
        sha = hashlib.sha256(data).hexdigest()
        if isinstance(source, bytes) and not data.startswith(_MAGIC):
            self._record(request, arrived, "analyze", key, 400, sha256=sha, model_id=model_id)
            return error_response(
                400,
                "InvalidRequest",
                "Invalid request.",
                ("InvalidContent", "The file is corrupted or format is unsupported."),
            )
        unknown_custom = not model_id.startswith("prebuilt-") and model_id not in self.models
        if (self.config.models is not None and model_id not in self.config.models) or unknown_custom:
            self._record(request, arrived, "analyze", key, 404, sha256=sha, model_id=model_id)
            return error_response(404, "NotFound", "Resource not found.", ("ModelNotFound", "Model not found."))
        op_id = str(uuid.uuid4())
        self._ops[op_id] = _Operation(
            model_id, self._clock(), time.time(), self._document_for(sha, data), sha, data=data
        )
        self._record(request, arrived, "analyze", key, 202, sha256=sha, model_id=model_id, operation_id=op_id)
        path = f"{_BASE}/{model_id}/analyzeResults/{op_id}"
        location = f"{request.url.origin()}{path}?api-version={API_VERSION}"
        return web.Response(
            status=202, headers={"Operation-Location": location, "apim-request-id": str(uuid.uuid4())}
        )

    def _document_for(self, sha: str, data: bytes) -> FakeDocument:
        known = self.truth_by_sha256.get(sha)
        if known is not None:
            return known
        generic = generic_document(sha)
        if data.startswith(b"%PDF"):
            pages = max(1, len(_PDF_PAGE.findall(data)))
            return FakeDocument(fields=generic.fields, pages=pages)
        return generic

    async def _get_result(self, request: web.Request) -> web.Response:
        arrived = self._clock()
        op_id = request.match_info["result_id"]
        key, refused = self._gate(request, arrived, "get")
        if refused is not None:
            self._record(request, arrived, "get", key, refused.status, operation_id=op_id)
            return refused
        op = self._ops.get(op_id)
        now = self._clock()
        if op is not None and now - op.created > self.config.result_ttl_s:
            del self._ops[op_id]
            op = None
        if op is None or op.model_id != request.match_info["model_id"]:
            self._record(request, arrived, "get", key, 404, operation_id=op_id)
            return error_response(404, "NotFound", "Resource not found.", ("OperationNotFound", "No such result."))
        body: dict[str, Any] = {"status": "running", "createdDateTime": iso(op.created_wall)}
        if now - op.created >= self.latency_s:
            if op.result is None:
                op.result = self._result(op)
            body.update(status="succeeded", analyzeResult=op.result)
        body["lastUpdatedDateTime"] = iso(time.time())
        self._record(request, arrived, "get", key, 200, sha256=op.sha256, model_id=op.model_id, operation_id=op_id)
        return web.json_response(body, headers={"apim-request-id": str(uuid.uuid4())})

    def _result(self, op: _Operation) -> dict[str, Any]:
        """The analyzeResult: prebuilt models answer from the truth given; layout and custom models read the
        PDF's text layer (words and their places; a custom model then reads the fields it learned)."""
        custom = self.models.get(op.model_id)
        if op.model_id != "prebuilt-layout" and custom is None:
            return analyze_result(op.model_id, op.document)
        pages = pdf_pages(op.data) if op.data.startswith(b"%PDF") else None
        fields = read_with(custom, pages or ()) if custom is not None else {}
        result = analyze_result(op.model_id, FakeDocument(fields=fields, pages=len(pages or ()) or 1,
                                                          confidence=0.9 if fields else 0.1))
        if pages:
            result["pages"] = pages
        return result

    async def _list_requests(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(r) for r in self.requests])

    async def _put_truth(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.truth_by_sha256[body["sha256"]] = FakeDocument(fields=body["fields"], pages=body.get("pages", 1))
        return web.json_response({"ok": True})

    async def _inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.inject(body["kind"], [int(s) for s in body["statuses"]])
        return web.json_response({"ok": True})
