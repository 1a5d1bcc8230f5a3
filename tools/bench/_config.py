"""What one benchmark run is asked to do, and the callables it borrows from the stages.

The benchmark lives in `streams/` (plumbing) but needs three things only the stages know: the sample
generator, the CPU cost of the pure stage functions, and the tenant's vendor master. The CLI layer, the only
place allowed to import `agents/`, passes them in as `BenchHooks`, so the layering rule holds.

A mix names document classes (`einvoice`, `text`, `scan`) or generator formats directly, with weights:
`einvoice=0.6,text=0.3,scan=0.1`. A class spreads its weight evenly over its formats.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from streams.errors import ConfigError

MIX_CLASSES: dict[str, tuple[str, ...]] = {
    "einvoice": ("ubl", "cii", "hybrid_pdf"),
    "text": ("text_pdf",),
    "scan": ("scan", "scan_pdf"),
}
FORMATS: tuple[str, ...] = ("ubl", "cii", "hybrid_pdf", "text_pdf", "scan", "scan_pdf")
PAID_FORMATS: frozenset[str] = frozenset(MIX_CLASSES["scan"])

DEFAULT_COUNT = 20_000
DEFAULT_PURE_SAMPLE = 1_000
DEFAULT_WINDOW = 2_000
QUICK_COUNT = 1_000
QUICK_MIX = "ubl=0.5,cii=0.5"


def parse_mix(text: str) -> dict[str, float]:
    """Generator formats and their shares (summing to 1) from `einvoice=0.6,text=0.3,scan=0.1`.

    Raises:
        ConfigError: an unknown name, a weight that is not a positive number, or an empty mix.
    """
    weights: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, raw = part.partition("=")
        name = name.strip()
        try:
            weight = float(raw) if raw.strip() else 1.0
        except ValueError as exc:
            raise ConfigError(f"mix weight of {name!r} is not a number: {raw!r}") from exc
        if weight <= 0:
            raise ConfigError(f"mix weight of {name!r} must be positive")
        members = MIX_CLASSES.get(name) or ((name,) if name in FORMATS else ())
        if not members:
            known = ", ".join([*MIX_CLASSES, *FORMATS])
            raise ConfigError(f"unknown mix entry {name!r}; choose from {known}")
        for fmt in members:
            weights[fmt] = weights.get(fmt, 0.0) + weight / len(members)
    total = sum(weights.values())
    if not total:
        raise ConfigError("the mix is empty")
    return {fmt: w / total for fmt, w in sorted(weights.items())}


def mix_label(weights: Mapping[str, float]) -> str:
    """A short stable text for a mix, e.g. `cii=0.333,hybrid_pdf=0.333,ubl=0.333`."""
    return ",".join(f"{fmt}={w:.3f}" for fmt, w in sorted(weights.items()))


@dataclass(frozen=True, slots=True)
class PureCost:
    """CPU seconds per invoice of each stage's pure function (no Kafka), over sampled documents."""

    per_stage_s: Mapping[str, float]
    codec_s: float
    documents: int

    @property
    def total_s(self) -> float:
        """CPU seconds per invoice of all stages together."""
        return sum(self.per_stage_s.values())


Rows = list[dict[str, object]]
Generate = Callable[[Path, int, Mapping[str, float], int], Rows]
MeasurePure = Callable[[Sequence[tuple[Path, str]]], PureCost]
SeedVendors = Callable[[str, str, Rows], Awaitable[int]]  # (topic prefix, tenant, rows) -> facts learned


@dataclass(frozen=True, slots=True)
class BenchHooks:
    """What the benchmark borrows from `agents/`, passed in by the CLI layer.

    Attributes:
        generate: Write `count` distinct documents of the mix into a folder; returns the truth rows.
        generator_version: Changes when the generator's code changes (part of the cache key).
        measure_pure: CPU cost per invoice of the pure stage functions over (path, format) documents.
        seed_vendors: Import the documents' sellers as the tenant's vendor master.
    """

    generate: Generate
    generator_version: str
    measure_pure: MeasurePure
    seed_vendors: SeedVendors


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """The options of `invoiceflow bench e2e`."""

    count: int = DEFAULT_COUNT
    mix: Mapping[str, float] = field(default_factory=lambda: parse_mix("einvoice"))
    rate: float | None = None
    window: int = DEFAULT_WINDOW
    workers: int = 1
    split: bool = False
    paid_endpoints: int = 1
    seed: int = 0
    cache_dir: Path | None = None
    keep: bool = False
    json_path: Path | None = None
    plot_path: Path | None = None
    pure_sample: int = DEFAULT_PURE_SAMPLE
    stall_timeout_s: float = 60.0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ConfigError("count must be at least 1")
        if self.workers < 1:
            raise ConfigError("workers must be at least 1")
        if self.window < 0:
            raise ConfigError("window must be 0 (no window) or more")
        if self.rate is not None and self.rate <= 0:
            raise ConfigError("rate must be positive (omit it to publish as fast as possible)")
