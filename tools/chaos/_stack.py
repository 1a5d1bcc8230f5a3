"""The chaos suite's own Kafka, Redis and PostgreSQL, beside the developer's stack, broken on purpose.

The suite kills and freezes servers, so it never touches the stack `make stack` runs (tests and the
benchmark use that one): it starts a second one through the same `infra/stack.sh`, with its own state dir
and ports, and drives outages through the script's `kill`, `freeze`, `thaw`, `down` and `up`. Redis keeps
an append-only file there, so a Redis that was stopped comes back with its data, as a real one does.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings, load_settings
from streams.errors import ConfigError, DependencyUnavailable

_SERVICES = ("kafka", "redis", "postgres")  # the chaos suite breaks these; it needs no blob service
STACK_SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "stack.sh"


@dataclass(frozen=True, slots=True)
class ChaosStack:
    """A stack on `port_base` + 92/93 (Kafka, its controller), + 379 (Redis), + 432 (PostgreSQL)."""

    state_dir: Path
    port_base: int = 19000

    def env(self) -> dict[str, str]:
        """The environment that points `infra/stack.sh` and invoiceflow processes at this stack."""
        b = self.port_base
        return {
            "INVOICEFLOW_STATE_DIR": str(self.state_dir),
            "INVOICEFLOW_KAFKA_BOOTSTRAP": f"127.0.0.1:{b + 92}",
            "INVOICEFLOW_KAFKA_CONTROLLER_PORT": str(b + 93),
            "INVOICEFLOW_REDIS_URL": f"redis://127.0.0.1:{b + 379}/0",
            "INVOICEFLOW_POSTGRES_DSN": f"postgresql://invoiceflow:invoiceflow@127.0.0.1:{b + 432}/invoiceflow",
            "INVOICEFLOW_REDIS_PERSIST": "1",
        }

    def settings(self, **overrides: object) -> Settings:
        """Settings for this stack (plus `overrides`)."""
        env = self.env()
        return load_settings(kafka_bootstrap=env["INVOICEFLOW_KAFKA_BOOTSTRAP"], redis_url=env["INVOICEFLOW_REDIS_URL"],
                             postgres_dsn=env["INVOICEFLOW_POSTGRES_DSN"], state_dir=self.state_dir, **overrides)

    async def script(self, action: str, *services: str) -> None:
        """Run `infra/stack.sh <action> <services>` on this stack; its output goes to the state dir's log."""
        if not STACK_SCRIPT.is_file():
            raise ConfigError(f"{STACK_SCRIPT} is missing: the chaos suite runs from a checkout")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "chaos-stack.log").open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                "bash", str(STACK_SCRIPT), action, *services, env={**os.environ, **self.env()},
                stdout=log, stderr=log)
            if await proc.wait() != 0:
                raise DependencyUnavailable(f"stack.sh {action} {' '.join(services)} failed "
                                            f"(log: {self.state_dir / 'chaos-stack.log'})")

    async def up(self, *services: str) -> None:
        """Start the services (all when none is named), or leave them be if they answer."""
        await self.script("up", *(services or _SERVICES))

    async def down(self, *services: str) -> None:
        """Stop the services cleanly (all when none is named)."""
        await self.script("down", *(services or _SERVICES))
