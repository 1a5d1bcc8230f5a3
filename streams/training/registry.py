"""The custom-model register (table `custom_models`, migration 0007) and the extract stage's cached routes.

`invoiceflow train` adds a row when it starts a build and finishes it with the model's accuracy and
prebuilt's on the same held-back examples; the model goes `active` (routed to) only when it beats prebuilt,
else it stays `ready` for an operator's `invoiceflow models promote`. At most one model per tenant and vendor
is active (a unique partial index), so promoting one retires the other in the same transaction.

`ModelRoutes` is what the extract stage asks: vendor -> active model id per tenant, loaded in one query for
every tenant and kept for `custom_models_refresh_s`, so an invoice never waits on PostgreSQL for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from streams.errors import ConfigError, SinkError
from streams.sinks.reloaded import Reloaded

_log = logging.getLogger(__name__)
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

Routes = Mapping[str, Mapping[str, str]]  # tenant -> vendor -> active model id


def vendor_key(vat_id: str | None) -> str:
    """A vendor as routes know it: the seller's VAT id, compact and upper case ('' for a tenant-wide model)."""
    return (vat_id or "").replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class CustomModel:
    """One row of the register."""

    model_id: str
    tenant_id: str
    vendor: str
    build_mode: str
    fields: tuple[str, ...]
    training_size: int
    held_back: int
    state: str
    accuracy: float | None = None
    prebuilt_accuracy: float | None = None
    error: str | None = None
    created_at: datetime | None = None


_COLUMNS = """model_id, tenant_id, vendor, build_mode, fields, training_size, held_back, state, accuracy,
  prebuilt_accuracy, error, created_at"""
_ADD = """INSERT INTO custom_models (model_id, tenant_id, vendor, build_mode, fields, training_size, held_back, state)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 'building')"""
_FINISH = """UPDATE custom_models SET accuracy = $2, prebuilt_accuracy = $3, state = 'ready', updated_at = now()
  WHERE model_id = $1 AND state = 'building'"""
_FAIL = "UPDATE custom_models SET state = 'failed', error = $2, updated_at = now() WHERE model_id = $1"
_GET = f"SELECT {_COLUMNS} FROM custom_models WHERE model_id = $1"
_LIST = f"SELECT {_COLUMNS} FROM custom_models WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at, model_id"
_RETIRE_ACTIVE = """UPDATE custom_models SET state = 'retired', updated_at = now()
  WHERE tenant_id = $1 AND vendor = $2 AND state = 'active' AND model_id <> $3"""
_ACTIVATE = "UPDATE custom_models SET state = 'active', updated_at = now() WHERE model_id = $1"
_RETIRE = "UPDATE custom_models SET state = 'retired', updated_at = now() WHERE model_id = $1"
_ROUTES = "SELECT tenant_id, vendor, model_id FROM custom_models WHERE state = 'active'"


def _model(row: Any) -> CustomModel:
    return CustomModel(
        model_id=row["model_id"], tenant_id=row["tenant_id"], vendor=row["vendor"], build_mode=row["build_mode"],
        fields=tuple(row["fields"]), training_size=row["training_size"], held_back=row["held_back"],
        state=row["state"], accuracy=row["accuracy"], prebuilt_accuracy=row["prebuilt_accuracy"],
        error=row["error"], created_at=row["created_at"],
    )


class ModelRegistry:
    """The register on an asyncpg pool (migrations applied); database errors become `SinkError`."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def _run(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await call()
        except _DB_ERRORS as exc:
            raise SinkError(f"{what} failed: {type(exc).__name__}") from exc

    async def add_building(self, model: CustomModel) -> None:
        """Record a build that is starting (state `building`)."""
        args = (model.model_id, model.tenant_id, model.vendor, model.build_mode, list(model.fields),
                model.training_size, model.held_back)
        await self._run("registering a model", lambda: self._pool.execute(_ADD, *args))

    async def fail(self, model_id: str, error: str) -> None:
        """The build was refused or failed: keep the row, with the service's message, as `failed`."""
        await self._run("marking a model failed", lambda: self._pool.execute(_FAIL, model_id, error[:500]))

    async def finish(self, model_id: str, accuracy: float | None, prebuilt_accuracy: float | None) -> CustomModel:
        """Record the held-back accuracies; the model becomes `active` only if it beats prebuilt's (with
        nothing held back there is no evidence, and it stays `ready` for an operator to promote)."""
        await self._run("finishing a model", lambda: self._pool.execute(_FINISH, model_id, accuracy,
                                                                        prebuilt_accuracy))
        if accuracy is not None and prebuilt_accuracy is not None and accuracy > prebuilt_accuracy:
            return await self.promote(model_id)
        return await self.get(model_id)

    async def get(self, model_id: str) -> CustomModel:
        row = await self._run("reading a model", lambda: self._pool.fetchrow(_GET, model_id))
        if row is None:
            raise ConfigError(f"no custom model {model_id!r} in the register")
        return _model(row)

    async def models(self, tenant_id: str | None = None) -> list[CustomModel]:
        """Every model of a tenant (or of all tenants), oldest first."""
        rows = await self._run("listing models", lambda: self._pool.fetch(_LIST, tenant_id))
        return [_model(r) for r in rows]

    async def promote(self, model_id: str) -> CustomModel:
        """Route the model's vendor to it (retiring the vendor's active model, if another)."""
        model = await self.get(model_id)
        if model.state not in ("ready", "active", "retired"):
            raise ConfigError(f"model {model_id!r} is {model.state}: only a built model can be promoted")

        async def swap() -> None:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_RETIRE_ACTIVE, model.tenant_id, model.vendor, model_id)
                await conn.execute(_ACTIVATE, model_id)

        await self._run("promoting a model", swap)
        return await self.get(model_id)

    async def retire(self, model_id: str) -> CustomModel:
        """Stop routing to the model (its vendor goes back to the tenant's model or prebuilt)."""
        await self.get(model_id)
        await self._run("retiring a model", lambda: self._pool.execute(_RETIRE, model_id))
        return await self.get(model_id)

    async def routes(self) -> dict[str, dict[str, str]]:
        """tenant -> vendor -> active model id, for every tenant (one query)."""
        rows = await self._run("reading model routes", lambda: self._pool.fetch(_ROUTES))
        found: dict[str, dict[str, str]] = {}
        for r in rows:
            found.setdefault(r["tenant_id"], {})[r["vendor"]] = r["model_id"]
        return found


class ModelRoutes:
    """The routes the extract stage reads, reloaded at most every `refresh_s` (a failed reload keeps the last)."""

    def __init__(self, load: Callable[[], Awaitable[Routes]], refresh_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._routes: Reloaded[Routes] = Reloaded(load, {}, refresh_s, "custom model routes", clock)

    @property
    def loads(self) -> int:
        """Successful loads so far."""
        return self._routes.loads

    async def for_tenant(self, tenant_id: str) -> Mapping[str, str]:
        """vendor -> active model id of one tenant."""
        return (await self._routes.get()).get(tenant_id, {})
