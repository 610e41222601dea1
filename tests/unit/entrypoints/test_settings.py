import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.entrypoints.settings import load_settings


def test_settings_come_from_edgedeploy_variables_with_nested_keys(tmp_path):
    settings = load_settings({"EDGEDEPLOY_HOME": str(tmp_path), "EDGEDEPLOY_HTTP__PORT": "8800",
                              "EDGEDEPLOY_LOG_FORMAT": "json"})
    assert settings.home_dir == tmp_path
    assert settings.http.port == 8800
    assert settings.log_format == "json"


def test_variables_of_other_components_are_not_read_as_settings(tmp_path):
    settings = load_settings({
        "EDGEDEPLOY_HOME": str(tmp_path),
        "EDGEDEPLOY_AGENT_PROBATION_INFERENCES": "5",
        "EDGEDEPLOY_TRACE_STORE_PATH": str(tmp_path / "ts"),
        "EDGEDEPLOY_TEST_POSTGRES_URL": "postgresql://x",
        "EDGEDEPLOY_FAULT_KILL_AFTER_WRITE": "3",
    })
    assert settings.home_dir == tmp_path


def test_a_mistyped_setting_is_refused_naming_the_field(tmp_path):
    with pytest.raises(InvalidInput, match="databse_url"):
        load_settings({"EDGEDEPLOY_HOME": str(tmp_path), "EDGEDEPLOY_DATABSE_URL": "x"})


def test_a_settings_file_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / "config.toml").write_text('log_level = "info"\n[http]\nport = 9000\n')
    settings = load_settings({"EDGEDEPLOY_HOME": str(tmp_path), "EDGEDEPLOY_HTTP__PORT": "9100"})
    assert settings.log_level == "info"
    assert settings.http.port == 9100


def test_a_malformed_settings_file_is_named(tmp_path):
    (tmp_path / "config.toml").write_text("log_level = \n")
    with pytest.raises(InvalidInput, match=r"config\.toml"):
        load_settings({"EDGEDEPLOY_HOME": str(tmp_path)})
