"""`--plot FILE`: throughput and latency over time as a PNG (matplotlib, Agg: no display needed).

Top: published and scored invoices per second, and each stage's throughput from its output offsets.
Bottom: p50 and p99 end-to-end latency (scored_at - received_at) of the invoices scored in each second,
with the consumer lag of each stage on a second axis. matplotlib is imported only when a plot is asked for.
"""

from __future__ import annotations

from pathlib import Path

from tools.bench._figures import Figures


def write_plot(figures: Figures, path: Path) -> None:
    """Draw the run's series into `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = figures.series
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    top.plot(range(len(s.published)), s.published, label="published/s", color="0.6", linewidth=1)
    top.plot(range(len(s.scored)), s.scored, label="scored/s (arrived)", color="black", linewidth=1.5)
    for stage, points in s.stage_rates.items():
        if points:
            top.plot([p[0] for p in points], [p[1] for p in points], label=f"{stage}/s", linewidth=1, alpha=0.8)
    top.set_ylabel("invoices per second")
    top.set_title(f"invoiceflow bench e2e: {figures.run.count:,} invoices ({figures.run.mix}),"
                  f" {figures.run.workers} worker(s); steady {figures.throughput_per_s:,.0f}/s")
    top.legend(loc="upper right", fontsize="small")
    top.grid(alpha=0.3)
    if s.latency:
        seconds = [p[0] for p in s.latency]
        bottom.plot(seconds, [p[1] for p in s.latency], label="p50 latency", color="tab:blue")
        bottom.plot(seconds, [p[2] for p in s.latency], label="p99 latency", color="tab:red")
    bottom.set_ylabel("latency, ms")
    bottom.set_xlabel("seconds since the first publish")
    bottom.grid(alpha=0.3)
    lag_axis = bottom.twinx()
    for stage, points in s.lag.items():
        if points:
            lag_axis.plot([p[0] for p in points], [p[1] for p in points], linestyle=":", label=f"{stage} lag")
    lag_axis.set_ylabel("consumer lag, messages")
    handles, labels = bottom.get_legend_handles_labels()
    lag_handles, lag_labels = lag_axis.get_legend_handles_labels()
    bottom.legend(handles + lag_handles, labels + lag_labels, loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
