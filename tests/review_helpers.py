"""Synthetic review outcomes whose best auto-approve threshold is known from how they are made (shared by the
calibration unit tests and the `policy suggest` integration test)."""

from __future__ import annotations

import math
import random

KEY = ("amount_due", "currency", "invoice_number", "seller.name", "issue_date")
"""The default policy's critical fields: a correction of one of them makes an approval wrong."""


def outcomes(seed: int, wrong_above: int) -> list[tuple[float, str, dict[str, bool]]]:
    """400 invoices scored 0.600..0.999, `wrong_above` of them wrong (rejected or a key field corrected), some
    with a harmless correction; just below, 0.550..0.599 all wrong; further below, every other one wrong."""
    rng = random.Random(seed)
    made: list[tuple[float, str, dict[str, bool]]] = []
    wrong_at = set(rng.sample(range(600, 1000), wrong_above))
    for i in range(1000):
        score = i / 1000
        if i >= 600:
            bad = i in wrong_at
        elif i >= 550:
            bad = True
        else:
            bad = i % 2 == 0
        fields = {name: True for name in KEY} | {"payment_terms": rng.random() > 0.2}  # harmless corrections
        decision = "approve"
        if bad and rng.random() < 0.5:
            decision = "reject"
        elif bad:
            fields[rng.choice(KEY)] = False
        made.append((score, decision, fields))
    rng.shuffle(made)
    return made


def expected_threshold(target: float, wrong_above: int) -> float:
    """From the construction: lowering the threshold from 0.600 takes in k more invoices, every one wrong, so
    (wrong_above + k) / (400 + k) <= target holds up to k = floor((target * 400 - wrong_above) / (1 - target));
    below 0.550 the share only grows (50 wrong in a row, then every other one)."""
    k = math.floor((target * 400 - wrong_above) / (1 - target) + 1e-9)
    return (600 - k) / 1000
