"""The Faust adapter's app: what it would otherwise do on its own (bind every interface, keep tables in the
working directory) is set from our settings."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from streams.app import create_app


def test_the_faust_app_keeps_its_data_under_the_state_dir_and_binds_loopback(tmp_path: Path) -> None:
    settings = Settings(app_id="invoiceflow-app-test", state_dir=tmp_path / "state")
    app = create_app(settings)
    assert Path(app.conf.datadir) == tmp_path / "state" / "faust" / "invoiceflow-app-test"
    assert Path(app.conf.appdir).is_relative_to(tmp_path)
    Path(app.conf.datadir).mkdir(exist_ok=True)  # what Faust does as it starts: the last level only
    assert app.conf.web_bind == "127.0.0.1" and not app.conf.web_enabled
    assert app.invoiceflow_settings is settings
