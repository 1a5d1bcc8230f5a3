"""The fake's model administration: build-model from a blob container, its operation, and get-model.

`POST documentModels:build` checks the request at once (model id, build mode, a container URL; 409 for an id
in use), answers 202 with an Operation-Location, and reads and learns the container in the background;
`GET operations/{id}` answers `running` until that is done and `build_latency_s` has passed, then `succeeded`
with the model and its `resourceLocation` (which the SDK's poller fetches), or `failed` with the error the
service gives for the training set (see `_custom.py`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tools.fake_azure._custom import (
    BuildFailed,
    LearnedModel,
    learn,
    model_details,
    read_training_set,
    valid_model_id,
)
from tools.fake_azure._fields import API_VERSION

_BASE = "/documentintelligence/documentModels"


def error_response(status: int, code: str, message: str, inner: tuple[str, str] | None = None) -> web.Response:
    """The service's error body: `{"error": {"code", "message", "innererror": {"code", "message"}}}`."""
    error: dict[str, Any] = {"code": code, "message": message}
    if inner is not None:
        error["innererror"] = {"code": inner[0], "message": inner[1]}
    return web.json_response({"error": error}, status=status, headers={"apim-request-id": str(uuid.uuid4())})


def iso(wall: float) -> str:
    """An epoch time as the service writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall))


@dataclass(slots=True)
class BuildOperation:
    """A build-model operation: its model once learned, or the service's error."""

    model_id: str
    created: float
    created_wall: float
    task: asyncio.Task[LearnedModel]


class ModelAdmin:
    """The build-model handlers; mixed into `FakeAzureDI`, whose request gate, log and clock they use."""

    config: Any
    models: dict[str, LearnedModel]
    _builds: dict[str, BuildOperation]

    _clock: Callable[[], float]
    _admit: Callable[..., tuple[float, str | None, web.Response | None]]  # the gate, refusals recorded
    _record: Callable[..., None]

    async def _build(self, request: web.Request) -> web.Response:
        """POST documentModels:build: check the request now, read and learn the container in the background."""
        arrived, key, refused = self._admit(request, "build")
        if refused is not None:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None
        source = body.get("azureBlobSource") if isinstance(body, dict) else None
        model_id = str(body.get("modelId", "")) if isinstance(body, dict) else ""
        mode = body.get("buildMode") if isinstance(body, dict) else None
        problem = None
        if not valid_model_id(model_id):
            problem = ("InvalidParameter", "The model id is invalid.")
        elif mode not in ("template", "neural"):
            problem = ("InvalidParameter", "buildMode must be template or neural.")
        elif not isinstance(source, dict) or not isinstance(source.get("containerUrl"), str):
            problem = ("InvalidParameter", "azureBlobSource.containerUrl is required.")
        if problem is not None:
            self._record(request, arrived, "build", key, 400, model_id=model_id or None)
            return error_response(400, "InvalidRequest", "Invalid request.", problem)
        if model_id in self.models or model_id in {b.model_id for b in self._builds.values()}:
            self._record(request, arrived, "build", key, 409, model_id=model_id)
            return error_response(409, "Conflict", "Resource already exists.", ("ModelExists", "Model already exists."))
        assert isinstance(source, dict)
        op_id = str(uuid.uuid4())
        created_wall = time.time()
        task = asyncio.create_task(self._learn(model_id, str(mode), body.get("description"), iso(created_wall),
                                               source["containerUrl"], str(source.get("prefix") or "")))
        self._builds[op_id] = BuildOperation(model_id, self._clock(), created_wall, task)
        self._record(request, arrived, "build", key, 202, model_id=model_id, operation_id=op_id)
        location = f"{request.url.origin()}/documentintelligence/operations/{op_id}?api-version={API_VERSION}"
        return web.Response(status=202, headers={"Operation-Location": location,
                                                 "apim-request-id": str(uuid.uuid4())})

    async def _learn(self, model_id: str, mode: str, description: str | None, created: str, container_url: str,
                     prefix: str) -> LearnedModel:
        files = await read_training_set(container_url, prefix)
        return learn(model_id, mode, description, created, files)

    async def _get_operation(self, request: web.Request) -> web.Response:
        """GET operations/{id}: a build's progress; once done, its model (and `resourceLocation`) or its error."""
        op_id = request.match_info["operation_id"]
        arrived, key, refused = self._admit(request, "get", operation_id=op_id)
        if refused is not None:
            return refused
        build = self._builds.get(op_id)
        if build is None:
            self._record(request, arrived, "get", key, 404, operation_id=op_id)
            return error_response(404, "NotFound", "Resource not found.", ("OperationNotFound", "No such operation."))
        body: dict[str, Any] = {
            "operationId": op_id, "status": "running", "percentCompleted": 50, "kind": "documentModelBuild",
            "createdDateTime": iso(build.created_wall), "lastUpdatedDateTime": iso(time.time()),
            "resourceLocation": f"{request.url.origin()}{_BASE}/{build.model_id}?api-version={API_VERSION}",
            "apiVersion": API_VERSION,
        }
        if build.task.done() and self._clock() - build.created >= self.config.build_latency_s:
            failure = build.task.exception()
            if isinstance(failure, BuildFailed):
                body.update(status="failed", error={"code": "InvalidRequest", "message": "Invalid request.",
                                                    "innererror": {"code": failure.inner,
                                                                   "message": failure.message}})
            elif failure is not None:
                body.update(status="failed", error={"code": "InternalServerError",
                                                    "message": "An unexpected error occurred."})
            else:
                model = build.task.result()
                self.models.setdefault(model.model_id, model)
                body.update(status="succeeded", percentCompleted=100, result=model_details(model, API_VERSION))
        self._record(request, arrived, "get", key, 200, model_id=build.model_id, operation_id=op_id)
        return web.json_response(body, headers={"apim-request-id": str(uuid.uuid4())})

    async def _get_model(self, request: web.Request) -> web.Response:
        model_id = request.match_info["model_id"]
        arrived, key, refused = self._admit(request, "get", model_id=model_id)
        if refused is not None:
            return refused
        model = self.models.get(model_id)
        if model is None:
            self._record(request, arrived, "get", key, 404, model_id=model_id)
            return error_response(404, "NotFound", "Resource not found.", ("ModelNotFound", "Model not found."))
        self._record(request, arrived, "get", key, 200, model_id=model_id)
        return web.json_response(model_details(model, API_VERSION), headers={"apim-request-id": str(uuid.uuid4())})

