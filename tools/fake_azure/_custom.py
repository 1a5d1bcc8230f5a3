"""Custom models in the fake: read a training set from its blob container, check it as the service does,
learn each field, and read new documents with what was learned.

Checks, in the service's order: the container is reachable with the SAS it was given; `fields.json` is under
the prefix; every document has its `.labels.json` (and `.ocr.json`); there are at least five documents.
A failure ends the build operation `failed` with the error the service gives (`InvalidRequest` with an inner
code: `ContentSourceNotAccessible`, `TrainingContentMissing`; the fake's wording where the docs give none).

Learning is a plain stand-in for the service's: per field, the words printed just left of the labelled value on
the same line (its anchor, e.g. "Gesamtbetrag") and where on the page it sits. Reading a new text PDF finds
the anchor's lines and takes the word after it nearest that place, typed as `fields.json` says. It does
not generalise like the service; it does make a model trained on a vendor's layout read that vendor's next
invoice, and one trained on unlabelled junk read nothing, which is what the tests need.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from azure.core.exceptions import AzureError
from azure.storage.blob.aio import ContainerClient

MIN_DOCUMENTS = 5
_SIDECARS = (".labels.json", ".ocr.json")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%m/%d/%Y")
_MODEL_ID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._~-]{1,63}$")


class BuildFailed(Exception):
    """A training set the service would refuse: its error code, inner code and message."""

    def __init__(self, inner: str, message: str) -> None:
        super().__init__(message)
        self.inner = inner
        self.message = message


@dataclass(frozen=True, slots=True)
class LearnedField:
    """What the fake keeps of one field: its type, the anchors seen before it, and its mean height on the page."""

    kind: str
    anchors: frozenset[str]
    y: float


@dataclass(frozen=True, slots=True)
class LearnedModel:
    model_id: str
    build_mode: str
    description: str | None
    created: str
    fields: Mapping[str, LearnedField] = field(default_factory=dict)
    documents: int = 0


def valid_model_id(model_id: str) -> bool:
    return bool(_MODEL_ID.match(model_id)) and not model_id.startswith("prebuilt-")


async def read_training_set(container_url: str, prefix: str) -> dict[str, bytes]:
    """Every blob under `prefix` (names relative to it), read with the SAS in the URL."""
    files: dict[str, bytes] = {}
    try:
        async with ContainerClient.from_container_url(container_url, retry_total=0) as container:
            async for blob in container.list_blobs(name_starts_with=prefix or None):
                data = await (await container.download_blob(blob.name)).readall()
                files[blob.name[len(prefix):]] = data
    except (AzureError, ValueError) as exc:
        raise BuildFailed("ContentSourceNotAccessible",
                          f"Content is not accessible: {type(exc).__name__}. Check the container URL and its SAS "
                          "(read and list).") from exc
    return files


def _load(files: Mapping[str, bytes], name: str) -> Any:
    try:
        return orjson.loads(files[name])
    except orjson.JSONDecodeError as exc:
        raise BuildFailed("InvalidTrainingData", f"{name} is not valid JSON.") from exc


def check_training_set(files: Mapping[str, bytes]) -> tuple[dict[str, str], list[str]]:
    """The fields (key -> type) and documents of a valid set; `BuildFailed` as the service refuses it."""
    if "fields.json" not in files:
        raise BuildFailed("TrainingContentMissing",
                          "Training data is missing: no fields.json under the prefix.")
    declared = _load(files, "fields.json").get("fields")
    if not isinstance(declared, list) or not declared:
        raise BuildFailed("InvalidTrainingData", "fields.json declares no fields.")
    fields = {str(f.get("fieldKey")): str(f.get("fieldType", "string")) for f in declared}
    documents = sorted(n for n in files if "/" not in n and not n.endswith(".json"))
    unlabelled = [d for d in documents if any(d + s not in files for s in _SIDECARS)]
    if unlabelled:
        raise BuildFailed("TrainingContentMissing",
                          f"Training data is missing: no .labels.json or .ocr.json for {', '.join(unlabelled[:5])}.")
    if len(documents) < MIN_DOCUMENTS:
        raise BuildFailed("TrainingContentMissing",
                          f"Training data is missing: at least {MIN_DOCUMENTS} labelled documents are needed, "
                          f"found {len(documents)}.")
    return fields, documents


def _box(polygon: Sequence[float]) -> tuple[float, float, float, float]:
    xs, ys = polygon[0::2], polygon[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _anchor(words: Sequence[Mapping[str, Any]], box: tuple[float, float, float, float]) -> str | None:
    """The word on the value's line just left of it (its label, as printed)."""
    left, top, _right, bottom = box
    mid = (top + bottom) / 2
    before = []
    for w in words:
        _wl, wt, wr, wb = _box(w["polygon"])
        if wt <= mid <= wb and wr <= left + 1e-3:
            before.append((wr, str(w["content"])))
    before.sort()
    return before[-1][1] if before else None  # the label word right before the value


def learn(model_id: str, mode: str, description: str | None, created: str,
          files: Mapping[str, bytes]) -> LearnedModel:
    """Check the set and learn each field's anchors and place from the labels and the layout."""
    kinds, documents = check_training_set(files)
    anchors: dict[str, Counter[str]] = {k: Counter() for k in kinds}
    heights: dict[str, list[float]] = {k: [] for k in kinds}
    for doc in documents:
        layout = _load(files, doc + ".ocr.json").get("analyzeResult", {})
        pages = {int(p.get("pageNumber", 1)): p for p in layout.get("pages", ())}
        for label in _load(files, doc + ".labels.json").get("labels", ()):
            key = label.get("label")
            for value in label.get("value", ()) if key in kinds else ():
                page = pages.get(int(value.get("page", 1)))
                boxes = value.get("boundingBoxes") or []
                if page is None or not boxes:
                    continue
                w, h = float(page["width"]), float(page["height"])
                nx0, ny0, nx1, ny1 = _box(boxes[0])
                anchor = _anchor(page.get("words", ()), (nx0 * w, ny0 * h, nx1 * w, ny1 * h))
                if anchor:
                    anchors[key][anchor] += 1
                heights[key].append((ny0 + ny1) / 2)
    learned = {k: LearnedField(kinds[k], frozenset(anchors[k]), sum(heights[k]) / len(heights[k]))
               for k in kinds if heights[k]}
    return LearnedModel(model_id, mode, description, created, learned, len(documents))


def _typed(kind: str, text: str, confidence: float) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "content": text, "confidence": confidence}
    if kind == "date":
        for fmt in _DATE_FORMATS:
            try:
                out["valueDate"] = datetime.strptime(text, fmt).date().isoformat()
                return out
            except ValueError:
                continue
        out["type"] = "string"
    elif kind == "number":
        raw = text.replace(" ", "").replace("\u00a0", "")
        raw = raw.replace(".", "").replace(",", ".") if re.search(r",\d{1,2}$", raw) else raw.replace(",", "")
        try:
            out["valueNumber"] = float(Decimal(raw))
            return out
        except InvalidOperation:
            out["type"] = "string"
    out["valueString"] = text
    return out


def read_with(model: LearnedModel, pages: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The fields a learned model reads from a document's layout pages."""
    found: dict[str, dict[str, Any]] = {}
    for key, learned in model.fields.items():
        best: tuple[float, str] | None = None
        for page in pages:
            words = list(page.get("words", ()))
            height = float(page.get("height") or 1)
            for i in range(len(words) - 1):
                if str(words[i]["content"]) not in learned.anchors:
                    continue
                value = words[i + 1]
                _l, top, _r, bottom = _box(value["polygon"])
                distance = abs((top + bottom) / 2 / height - learned.y)
                if best is None or distance < best[0]:
                    best = (distance, str(value["content"]))
        if best is not None:
            found[key] = _typed(learned.kind, best[1], 0.9)
    return found


def model_details(model: LearnedModel, api_version: str) -> dict[str, Any]:
    """GET documentModels/{id}: the model as the service describes it."""
    schema = {k: {"type": f.kind} for k, f in model.fields.items()}
    return {
        "modelId": model.model_id, "description": model.description, "createdDateTime": model.created,
        "apiVersion": api_version, "buildMode": model.build_mode,
        "docTypes": {model.model_id: {"fieldSchema": schema, "buildMode": model.build_mode,
                                      "fieldConfidence": dict.fromkeys(schema, 0.9)}},
    }


