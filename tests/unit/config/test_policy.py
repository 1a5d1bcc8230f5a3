"""Tenant policy: loading, validation errors that name the line, tenant resolution, versions, live reload."""

from __future__ import annotations

import logging
import os
from decimal import Decimal
from pathlib import Path

import pytest

from config.policy import (
    KNOWN_FIELDS,
    PolicyBook,
    PolicyError,
    PolicyReloader,
    TenantPolicy,
    load_policy_book,
    parse_policy_book,
)

GOOD = """\
version: "7"
default:
  auto_approve_threshold: 0.85
  reject_threshold: 0.4
  field_weights: {amount_due: 3, currency: 2}
  required_fields: [amount_due]
tenants:
  acme:
    auto_approve_threshold: 0.95
    field_weights: {invoice_number: 1}
  globex:
    allowed_currencies: [EUR, CHF]
"""


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        parse_policy_book(text, "tenants.yaml")
    return info.value


def test_builtin_policy_loads_with_a_version_and_sane_defaults() -> None:
    book = load_policy_book(None)
    policy = book.default
    assert book.version and policy.version.startswith(f"{book.version}/default#")
    assert 0 < policy.reject_threshold < policy.auto_approve_threshold <= 1
    assert set(policy.critical_fields) <= set(policy.field_weights)
    assert {"amount_due", "currency", "invoice_number", "seller.name", "issue_date"} <= set(policy.critical_fields)
    assert policy.duplicate in ("review", "reject") and policy.exact_resend == "reject"
    assert book.policy_for("anyone") is policy


def test_tenants_override_the_default_key_by_key_and_merge_mappings() -> None:
    book = parse_policy_book(GOOD, "tenants.yaml")
    acme = book.policy_for("acme")
    assert acme is not None
    assert acme.auto_approve_threshold == 0.95
    assert acme.reject_threshold == 0.4  # inherited
    assert acme.field_weights == {"amount_due": 3, "currency": 2, "invoice_number": 1}
    assert acme.required_fields == ("amount_due",)
    globex = book.policy_for("globex")
    assert globex is not None and globex.allowed_currencies == ("EUR", "CHF")
    assert book.policy_for("initech") is book.default


def test_policy_version_names_the_file_version_tenant_and_content() -> None:
    book = parse_policy_book(GOOD, "tenants.yaml")
    versions = {book.default.version, book.tenants["acme"].version, book.tenants["globex"].version}
    assert len(versions) == 3 and all(v.startswith("7/") for v in versions)
    again = parse_policy_book(GOOD + "# a comment changes nothing that decides\n", "tenants.yaml")
    assert again.tenants["acme"].version == book.tenants["acme"].version
    changed = parse_policy_book(GOOD.replace("0.95", "0.96"), "tenants.yaml")
    assert changed.tenants["acme"].version != book.tenants["acme"].version
    assert changed.default.version == book.default.version


def test_unknown_tenants_get_the_default_or_are_refused() -> None:
    refusing = parse_policy_book(GOOD + "refuse_unknown: true\n", "tenants.yaml")
    assert refusing.policy_for("initech") is None
    assert refusing.policy_for("acme") is not None
    overridden = parse_policy_book(GOOD, "tenants.yaml", refuse_unknown=True)
    assert overridden.refuse_unknown and overridden.policy_for("initech") is None
    relaxed = parse_policy_book(GOOD + "refuse_unknown: true\n", "tenants.yaml", refuse_unknown=False)
    assert relaxed.policy_for("initech") is relaxed.default


def test_a_bad_value_names_the_file_and_its_line() -> None:
    err = _error(GOOD.replace("auto_approve_threshold: 0.95", "auto_approve_threshold: 1.5"))
    assert err.line == 9 and err.source == "tenants.yaml"
    assert "tenants.yaml line 9" in str(err) and "tenants.acme.auto_approve_threshold" in str(err)


def test_an_unknown_key_names_its_line() -> None:
    err = _error(GOOD.replace("    allowed_currencies: [EUR, CHF]", "    alowed_currencies: [EUR, CHF]"))
    assert err.line == 12
    assert "alowed_currencies" in str(err)


def test_an_unknown_field_in_a_list_names_the_line_of_the_item() -> None:
    text = GOOD.replace("  required_fields: [amount_due]", "  required_fields:\n    - amount_due\n    - amount_dew")
    err = _error(text)
    assert err.line == 8
    assert "amount_dew" in str(err)


def test_an_unknown_field_weight_and_a_bad_currency_are_refused() -> None:
    assert "seller.vat" in str(_error(GOOD.replace("invoice_number: 1", "seller.vat: 1")))
    err = _error(GOOD.replace("[EUR, CHF]", "[EUR, euro]"))
    assert err.line == 12 and "euro" in str(err)


def test_inverted_thresholds_name_the_tenant() -> None:
    err = _error(GOOD.replace("    auto_approve_threshold: 0.95", "    auto_approve_threshold: 0.3"))
    assert err.line == 9
    assert "reject_threshold must not be above" in str(err)


def test_yaml_syntax_errors_and_duplicate_keys_name_their_line() -> None:
    assert _error(GOOD.replace("{amount_due: 3, currency: 2}", "{amount_due: 3, currency: 2")).line is not None
    dup = GOOD.replace("    field_weights: {invoice_number: 1}", "    field_weights: {}\n    field_weights: {}")
    err = _error(dup)
    assert err.line == 11 and "duplicate key 'field_weights'" in str(err)


def test_structural_problems_are_reported() -> None:
    assert "mapping" in str(_error("- just\n- a list\n"))
    assert "version" in str(_error(GOOD.replace('version: "7"', "version: 7")))
    assert "empty" in str(_error(""))
    err = _error(GOOD + "tennants: {}\n")
    assert err.line == 13 and "tennants" in str(err)
    assert _error(GOOD.replace("  globex:\n", "  globex:\n    version: x\n")).line == 12
    assert "1-64" in str(_error(GOOD.replace('"7"', '"' + "7" * 65 + '"')))
    scalar = GOOD.replace("  globex:\n    allowed_currencies: [EUR, CHF]", "  globex: 3")
    assert "must be a mapping" in str(_error(scalar))


def test_every_problem_is_reported_at_once_and_inherited_ones_once() -> None:
    text = GOOD.replace("reject_threshold: 0.4", "reject_threshold: -1").replace("0.95", "2")
    err = _error(text)
    lines = [line for line, _ in err.problems]
    assert lines == [4, 9]  # the default's bad value once, not again for every tenant inheriting it


def test_an_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(PolicyError, match=r"nope\.yaml"):
        load_policy_book(missing)


def test_models_are_frozen_and_strict() -> None:
    policy = TenantPolicy()
    with pytest.raises(ValueError):
        policy.auto_approve_threshold = 0.1  # type: ignore[misc]
    with pytest.raises(ValueError):
        TenantPolicy(max_auto_approve_amount={"EURO": Decimal(1)})
    with pytest.raises(ValueError):
        TenantPolicy(rule_actions={"no_such_rule": "note"})
    assert TenantPolicy(rule_actions={"vat_id_invalid": "note"}).rule_actions["vat_id_invalid"] == "note"
    assert "seller.address.country" in KNOWN_FIELDS
    assert isinstance(load_policy_book(None), PolicyBook)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _write(path: Path, text: str, mtime: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))


def test_reloader_picks_up_a_good_edit_after_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    _write(path, GOOD, 100)
    clock = _Clock()
    reloader = PolicyReloader(path, min_interval_s=1.0, clock=clock)
    first = reloader.current()
    _write(path, GOOD.replace("0.95", "0.9"), 200)
    assert reloader.maybe_reload() is False  # rate limited: no stat within the interval
    assert reloader.current() is first
    clock.now += 1.5
    assert reloader.maybe_reload() is True
    acme = reloader.current().policy_for("acme")
    assert acme is not None and acme.auto_approve_threshold == 0.9
    clock.now += 1.5
    assert reloader.maybe_reload() is False  # unchanged file: nothing to do


def test_reloader_keeps_the_previous_book_on_a_bad_edit_and_logs_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tenants.yaml"
    _write(path, GOOD, 100)
    clock = _Clock()
    reloader = PolicyReloader(path, clock=clock)
    good = reloader.current()
    _write(path, GOOD.replace("0.95", "9.5"), 200)
    clock.now += 2
    with caplog.at_level(logging.ERROR, logger="config.policy"):
        assert reloader.maybe_reload() is False
    assert reloader.current() is good
    assert reloader.last_error is not None and reloader.last_error.line == 9
    assert any("line 9" in rec.getMessage() and "keeping version 7" in rec.getMessage() for rec in caplog.records)
    _write(path, GOOD.replace("0.95", "0.5"), 300)
    clock.now += 2
    assert reloader.maybe_reload() is True and reloader.last_error is None


def test_reloader_survives_a_deleted_file_and_refuses_a_bad_start(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    _write(path, GOOD, 100)
    clock = _Clock()
    reloader = PolicyReloader(path, clock=clock)
    path.unlink()
    clock.now += 2
    assert reloader.maybe_reload() is False
    assert reloader.current().version == "7"
    _write(path, "version: [\n", 100)
    with pytest.raises(PolicyError):
        PolicyReloader(path)


def test_reloader_without_a_file_serves_the_builtin_policy() -> None:
    reloader = PolicyReloader(None, refuse_unknown=True)
    assert reloader.maybe_reload() is False
    assert reloader.current().policy_for("anyone") is None
