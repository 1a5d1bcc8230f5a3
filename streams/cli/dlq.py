"""`invoiceflow dlq list|show|replay|history` (and the `replay` alias): parse, call `streams.dlq`, print."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from typing import Any

from tqdm import tqdm

from config.settings import Settings
from config.topics import STAGES
from streams import dlq
from streams.deadletters import DeadLetterView
from streams.errors import ConfigError

Sub = Any  # argparse's private _SubParsersAction


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def format_listing(listing: dlq.Listing) -> str:
    """`dlq list`'s table."""
    lines = [f"{'stage':<10} {'reason':<24} {'count':>6}  {'oldest':<19}  {'newest':<19}  example invoice"]
    for g in listing.groups:
        lines.append(f"{g.stage:<10} {g.reason:<24} {g.count:>6}  {_when(g.oldest):<19}  {_when(g.newest):<19}  "
                     f"{g.example or '-'}")
    lines.append(f"{listing.total} dead letter(s) in {len(listing.groups)} group(s)"
                 + (f"; {listing.unreadable} record(s) on the topics are not dead letters" if listing.unreadable
                    else ""))
    return "\n".join(lines)


def format_view(v: DeadLetterView, with_payload: bool) -> str:
    """`dlq show`'s block for one dead letter."""
    def text(raw: bytes) -> str:
        return raw.decode("utf-8", "replace")

    lines = [
        f"dead letter    {v.at.topic}:{v.at.partition}:{v.at.offset}" + ("  (legacy envelope)" if v.legacy else ""),
        f"original       {v.origin.topic}:{v.origin.partition}:{v.origin.offset}",
        f"stage, reason  {v.stage}, {v.reason}: {v.message}",
        f"exception      {v.digest or v.fqcn or '-'}",
        f"attempts {v.attempts}, replays {v.replays}, first failure {_when(v.first_failure)}",
        f"tenant         {v.tenant or '-'}",
        f"invoice id     {v.invoice_id or '-'}",
        f"trace id       {v.trace_id or '-'}",
        f"key            {text(v.key) if v.key is not None else '-'}",
        "headers        " + (", ".join(f"{k}={text(val)[:80]}" for k, val in v.headers) or "-"),
    ]
    size = len(v.value) if v.value is not None else 0
    if with_payload and v.value is not None:
        lines.append(f"payload        {text(v.value)}")
    else:
        lines.append(f"payload        {size} bytes" + (" (--with-payload prints it)" if size else ""))
    return "\n".join(lines)


def format_report(r: dlq.ReplayReport, target: str) -> str:
    """A replay's summary."""
    verb = "would replay" if r.dry_run else "replayed"
    lines = [f"replay {r.replay_id}{' (dry run: nothing sent)' if r.dry_run else ''}: scanned {r.scanned}, "
             f"matched {r.matched}, {verb} {r.replayed} to {target}, already replayed {r.already}, "
             f"refused {len(r.refused)}, not replayable {r.unreadable}"]
    lines += [f"refused (replayed {n} times already): {inv or '-'} at {t}:{p}:{o}" for (t, p, o), inv, n in r.refused]
    return "\n".join(lines)


def _selection(a: argparse.Namespace) -> dlq.Selection:
    if getattr(a, "rescore", False):
        if a.stage not in (None, "score"):
            raise ConfigError("--rescore replays the score stage's dead letters: leave --stage out")
        a.stage = "score"
    elif getattr(a, "func", None) is _replay and not a.stage:
        raise ConfigError("dlq replay needs --stage (or --rescore)")
    stages = (a.stage,) if getattr(a, "stage", None) else tuple(STAGES)
    return dlq.Selection(stages, reason=a.reason, tenant=getattr(a, "tenant", None),
                         invoice=getattr(a, "invoice", None), since=dlq.parse_since(getattr(a, "since", None)),
                         until_offset=getattr(a, "until_offset", None))


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stage", choices=list(STAGES), default=None, help="one stage's dead letters")
    p.add_argument("--reason", default=None, help="only this reason code (e.g. document_missing)")
    p.add_argument("--tenant", default=None, help="only this tenant")
    p.add_argument("--since", default=None, help="only dead letters written since: ISO time, or 30m / 2h / 7d")


def _list(a: argparse.Namespace) -> int:
    sys.stdout.write(format_listing(asyncio.run(dlq.list_dead_letters(Settings(), _selection(a)))) + "\n")
    return 0


def _show(a: argparse.Namespace) -> int:
    spot = _spot(a.at) if a.at else None
    if spot is None and not a.invoice:
        raise ConfigError("dlq show needs --at TOPIC:PARTITION:OFFSET or --invoice ID")
    found = asyncio.run(dlq.find(Settings(), _selection(a), spot))
    views = [item.view for item in found if item.view is not None]
    sys.stdout.write("\n\n".join(format_view(v, a.with_payload) for v in views) or "no such dead letter")
    sys.stdout.write("\n")
    return 0 if views else 1


def _spot(text: str) -> tuple[str, int, int]:
    topic, _, rest = text.rpartition(":")
    topic, _, partition = topic.rpartition(":")
    if not (topic and partition.isdigit() and rest.isdigit()):
        raise ConfigError(f"--at {text!r}: expected TOPIC:PARTITION:OFFSET")
    return topic, int(partition), int(rest)


def _replay(a: argparse.Namespace) -> int:
    settings, selection = Settings(), _selection(a)
    options = dlq.ReplayOptions(dry_run=a.dry_run, limit=a.limit, rate=a.rate, max_replays=a.max_replays,
                                force=a.force)
    with tqdm(total=0, unit="rec", file=sys.stderr, disable=not sys.stderr.isatty(), leave=False) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = asyncio.run(dlq.replay(settings, selection, options, progress))
    sys.stdout.write(format_report(report, f"{settings.topic_prefix}{STAGES[selection.stages[0]][0]}") + "\n")
    return 0


def _history(a: argparse.Namespace) -> int:
    for run in asyncio.run(dlq.history(Settings(), a.limit, a.stage)):
        c = run.counts
        verb = "dry run, would replay" if run.dry_run else "replayed"
        shown = " ".join(f"{k}={v}" for k, v in run.filter.items() if k != "stages")
        sys.stdout.write(f"{_when(run.started_at)}  {run.replay_id}  {run.operator:<10} {run.stage:<9} "
                         f"{run.outcome}: {verb} {c['replayed']} of {c['matched']} matched, already "
                         f"{c['already']}, refused {c['refused']}  {shown}\n")
    return 0


def register(sub: Sub) -> None:
    """`dlq` and its subcommands."""
    p = sub.add_parser("dlq", help="dead letters: list, show, replay, history")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="VERB")
    lst = verbs.add_parser("list", help="counts by stage and reason (reads, commits nothing)")
    _filters(lst)
    lst.set_defaults(func=_list)
    show = verbs.add_parser("show", help="one dead letter: headers, error, trace id (payload with --with-payload)")
    _filters(show)
    show.add_argument("--at", default=None, metavar="TOPIC:PARTITION:OFFSET")
    show.add_argument("--invoice", default=None, help="every dead letter of this invoice id")
    show.add_argument("--with-payload", action="store_true", help="print the original message too")
    show.set_defaults(func=_show)
    rep = verbs.add_parser("replay", help="put a stage's dead letters back on its input (bounded, recorded)")
    _filters(rep)
    rep.add_argument("--rescore", action="store_true", help="the score stage's dead letters (a policy was the "
                     "cause): re-scored from the extraction they carry, under the policy now, no paid call")
    _replay_arguments(rep)
    hist = verbs.add_parser("history", help="the replays operators ran, newest first")
    hist.add_argument("--stage", choices=list(STAGES), default=None)
    hist.add_argument("--limit", type=int, default=20)
    hist.set_defaults(func=_history)


def _replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--invoice", default=None, help="only this invoice id")
    p.add_argument("--until-offset", type=int, default=None, help="stop each partition before this offset")
    p.add_argument("--limit", type=int, default=None, help="replay at most N")
    p.add_argument("--rate", type=float, default=None, help="at most R records per second")
    p.add_argument("--max-replays", type=int, default=3, help="refuse a dead letter replayed this often (3)")
    p.add_argument("--force", action="store_true", help="replay again what an earlier replay put back")
    p.add_argument("--dry-run", action="store_true", help="say what would be replayed, send nothing")
    p.set_defaults(func=_replay)


def register_alias(sub: Sub) -> None:
    """`replay STAGE [--error-code C]`: `dlq replay --stage STAGE --reason C`."""
    p = sub.add_parser("replay", help="same as `dlq replay --stage STAGE` (--error-code is --reason)")
    p.add_argument("stage", choices=list(STAGES))
    p.add_argument("--error-code", dest="reason", default=None, help="only dead letters with this code")
    p.add_argument("--from-beginning", dest="force", action="store_true", help="same as --force")
    _replay_arguments(p)
