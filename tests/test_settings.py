"""Settings the line cannot run with are refused by name, before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deconflict.settings import Settings, SettingsError

EXAMPLE_PLAN = Path(__file__).resolve().parents[1] / "src/deconflict/examples/at-tanf.geojson"


@pytest.mark.parametrize(
    "name",
    [
        "max_vertices_per_feature",
        "max_features_per_import",
        "header_timeout_s",
        "max_connections",
        "witness_alert_s",
    ],
)
@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_limit_or_deadline_below_one_is_refused_naming_its_variable(
    name: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=f"DECONFLICT_{name.upper()}.* at least 1"):
        Settings.from_env({f"DECONFLICT_{name.upper()}": value})


def test_a_flag_below_one_is_refused_too() -> None:
    with pytest.raises(SettingsError, match="max_body_bytes"):
        Settings.from_env({}, max_body_bytes=0)


def test_settings_that_may_be_zero_stay_allowed() -> None:
    settings = Settings.from_env(
        {"DECONFLICT_PROBES_PER_HOUR": "0", "DECONFLICT_START_CHECK_ENTRIES": "0"}, port=0
    )
    assert (settings.probes_per_hour, settings.start_check_entries, settings.port) == (0, 0, 0)


def _deconflict(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from deconflict.cli import main; main()", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **variables},
    )


def test_check_with_a_zero_vertex_limit_exits_2_naming_the_variable() -> None:
    result = _deconflict("check", str(EXAMPLE_PLAN), DECONFLICT_MAX_VERTICES_PER_FEATURE="0")
    assert result.returncode == 2, result.stderr
    assert "DECONFLICT_MAX_VERTICES_PER_FEATURE" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_port_that_is_not_a_number_exits_2_before_starting(tmp_path: Path) -> None:
    db = tmp_path / "line.db"
    result = _deconflict("serve", "--db", str(db), DECONFLICT_PORT="abc")
    assert result.returncode == 2, result.stderr
    assert "DECONFLICT_PORT must be a whole number, not 'abc'" in result.stderr
    assert not db.exists()


def test_witnesses_are_read_as_urls_and_keys_and_a_witness_may_have_two() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from deconflict.api.cosigning import WitnessEndpoint, witness_endpoints
    from deconflict.record.cosignature import Cosigner

    old, new = (Cosigner("w.example/one", Ed25519PrivateKey.generate()) for _ in range(2))
    setting = (
        f"http://127.0.0.1:8700/ {old.verifier.to_text()}, "
        f"http://127.0.0.1:8700 {new.verifier.to_text()}"
    )
    read = witness_endpoints(Settings.from_env({"DECONFLICT_WITNESSES": setting}))
    assert read == [WitnessEndpoint("http://127.0.0.1:8700", (old.verifier, new.verifier))]
    assert witness_endpoints(Settings()) == []


@pytest.mark.parametrize("setting", ["127.0.0.1:8700 w+00000000+AAAA", "http://127.0.0.1:8700"])
def test_a_witness_setting_that_does_not_read_is_refused_naming_it(setting: str) -> None:
    with pytest.raises(SettingsError, match="DECONFLICT_WITNESSES"):
        Settings(witnesses=setting)


def test_a_witness_key_that_does_not_read_is_refused_before_the_line_starts(
    tmp_path: Path,
) -> None:
    from tests.api.conftest import free_port

    port = str(free_port())
    db = str(tmp_path / "line.db")
    refused = _deconflict("serve", "--db", db, "--port", port, DECONFLICT_WITNESSES="http://w k")
    assert refused.returncode == 2
    assert "DECONFLICT_WITNESSES" in refused.stderr
    assert list(tmp_path.iterdir()) == []  # no store, no key made
