"""The chaos suite (`invoiceflow chaos`): break the stack under load and prove nothing is lost or doubled.

On its own Kafka, Redis and PostgreSQL (`ChaosStack`, beside the developer's stack), each scenario runs two
workers, publishes invoices of two tenants, breaks something (workers SIGKILLed in cycles, the broker killed
for 90 s, Redis stopped or frozen for 30 s, PostgreSQL crashed for 60 s, poison and hostile records), puts it
back and counts: invoices in, distinct out, lost, duplicated, Redis minus PostgreSQL per tenant, dead letters
by reason, workers alive, unkillable workers, time to drain. A scenario passes only with 0 lost, 0
duplicated, no mismatch, every hostile record dead-lettered, every worker alive and stoppable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from tools.chaos._scenarios import SCENARIOS, ChaosConfig, Scenario, run_scenario
from tools.chaos._stack import ChaosStack
from tools.chaos._tally import Tally

__all__ = ["SCENARIOS", "ChaosConfig", "ChaosStack", "Scenario", "Tally", "format_tally", "run_chaos"]


async def run_chaos(stack: ChaosStack, names: Sequence[str], config: ChaosConfig, runs: int = 1,
                    on_result: Callable[[Tally], object] | None = None) -> list[Tally]:
    """Start the chaos stack, run each named scenario `runs` times, stop the stack; every tally."""
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    results: list[Tally] = []
    await stack.up()
    try:
        for _ in range(runs):
            tag = uuid.uuid4().hex[:6]
            for name in names:
                result = await run_scenario(stack, SCENARIOS[name], config, tag)
                results.append(result)
                if on_result is not None:
                    on_result(result)
    finally:
        await stack.down()
    return results


def format_tally(t: Tally) -> str:
    """One block of lines per scenario."""
    mismatch = ", ".join(f"{tenant.rsplit('-', 1)[-1]} {d:+d}" for tenant, d in t.mismatch.items())
    letters = ", ".join(f"{reason} {n}" for reason, n in sorted(t.dead_letters.items())) or "none"
    drain = f"{t.drain_s:.1f} s" if t.drain_s is not None else "NOT DRAINED"
    lines = [
        f"{t.scenario:<13} {'PASS' if t.passed else 'FAIL'}",
        f"  invoices in {t.invoices_in}, distinct out {t.distinct_out}, lost {t.lost}, duplicated {t.duplicated}",
        f"  Redis minus PostgreSQL per tenant: {mismatch}",
        f"  dead letters by reason: {letters} (sent again: {t.dead_letter_repeats}); hostile records {t.hostile}, "
        f"not dead-lettered {t.hostile_missed}",
        f"  workers alive {t.workers_alive}/{t.workers_expected}, unkillable {t.unkillable}, time to drain {drain}",
    ]
    lines += [f"  {note}" for note in t.notes]
    return "\n".join(lines)

