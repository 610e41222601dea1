import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.entrypoints.settings import load_settings


def test_settings_come_from_edgedeploy_variables_with_nested_keys(tmp_path):
    settings = load_settings({"EDGEDEPLOY_HOME": str(tmp_path), "EDGEDEPLOY_HTTP__PORT": "8800",
                              "EDGEDEPLOY_LOG_FORMAT": "json"})
    assert settings.home_dir == tmp_path
    assert settings.http.port == 8800
    assert settings.log_format == "json"


def test_variables_of_the_test_harnesses_are_not_read_as_settings(tmp_path):
    settings = load_settings({
        "EDGEDEPLOY_HOME": str(tmp_path),
        "EDGEDEPLOY_TEST_POSTGRES_URL": "postgresql://x",
        "EDGEDEPLOY_FAULT_KILL_AFTER_WRITE": "3",
    })
    assert settings.home_dir == tmp_path


def test_the_agent_section_reads_both_variable_forms_and_leaves_unset_limits_out(tmp_path):
    settings = load_settings({
        "EDGEDEPLOY_HOME": str(tmp_path),
        "EDGEDEPLOY_AGENT_PROBATION_INFERENCES": "5",
        "EDGEDEPLOY_AGENT__CONFIDENCE_FLOOR": "0.25",
        "EDGEDEPLOY_AGENT_REPOSITORY": str(tmp_path / "packages"),
    })
    assert settings.agent.limits() == {"probation_inferences": 5, "confidence_floor": 0.25}
    assert settings.agent.repository_dir == tmp_path / "packages"


def test_a_mistyped_agent_variable_is_refused_naming_the_field(tmp_path):
    with pytest.raises(InvalidInput, match="probation_inference"):
        load_settings({"EDGEDEPLOY_HOME": str(tmp_path),
                       "EDGEDEPLOY_AGENT_PROBATION_INFERENCE": "5"})


def test_the_trace_store_directory_defaults_under_home_and_can_be_moved(tmp_path):
    assert load_settings({"EDGEDEPLOY_HOME": str(tmp_path)}).trace_store_path == \
        tmp_path / "trace-store"
    moved = load_settings({"EDGEDEPLOY_HOME": str(tmp_path),
                           "EDGEDEPLOY_TRACE_STORE_DIR": str(tmp_path / "ts")})
    assert moved.trace_store_path == tmp_path / "ts"


def test_a_tick_interval_that_is_not_positive_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="tick_interval_s"):
        load_settings({"EDGEDEPLOY_HOME": str(tmp_path),
                       "EDGEDEPLOY_ROLLOUT__TICK_INTERVAL_S": "0"})


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
