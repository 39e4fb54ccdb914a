"""The command line documents itself: every flag has help and a shown default; choices are real."""

import argparse
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import yaml

from inventory_pipeline import cli
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.model.config import FINETUNE_STRATEGIES


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = _subparsers(cli.build_parser())


def test_every_command_is_listed_with_a_summary() -> None:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {c.dest: c.help for c in action._choices_actions}
    assert set(summaries) == set(COMMANDS)
    assert all(summaries.values()), summaries
    expected = {
        "sample-shop",
        "backfill",
        "train",
        "evaluate",
        "plan",
        "demo",
        "serve",
        "init-home",
    }
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_documents_every_flag_and_its_default(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = COMMANDS[name]
    assert issubclass(sub.formatter_class, argparse.ArgumentDefaultsHelpFormatter)
    with pytest.raises(SystemExit) as exit_:
        cli.main([name, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for action in sub._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), f"{name} {action.option_strings}: no help"
        assert action.option_strings[-1] in text
        if action.default not in (None, False, argparse.SUPPRESS) and not action.required:
            assert f"(default: {action.default})" in text, f"{name} {action.option_strings}"
        if action.choices:
            empty = [c for c in action.choices if not str(c)]
            assert not empty, f"{name} {action.option_strings}: empty choice"
            assert all(str(c) in text for c in action.choices)


def test_backfill_job_choices_are_the_jobs_partitioned_by_export_day() -> None:
    jobs = build_definitions(date(2024, 1, 1)).get_repository_def().get_all_jobs()
    by_day = {
        job.name for job in jobs
        if isinstance(job.partitions_def, dg.TimeWindowPartitionsDefinition)
    }  # fmt: skip
    assert set(cli.BACKFILL_JOBS) == by_day
    action = next(a for a in COMMANDS["backfill"]._actions if a.dest == "job")
    assert action.default in action.choices


def test_backfill_refuses_an_unknown_job(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser().parse_args(
            ["backfill", "--start", "2024-01-01", "--end", "2024-01-02", "--job", "nightly"]
        )
    assert exit_.value.code == 2
    assert "invalid choice: 'nightly'" in capsys.readouterr().err


def test_finetune_choices_are_the_models_strategies() -> None:
    action = next(a for a in COMMANDS["train"]._actions if a.dest == "finetune")
    assert tuple(action.choices) == tuple(FINETUNE_STRATEGIES)
    assert "" not in action.choices


def test_serve_takes_port_and_host_and_defaults_to_loopback() -> None:
    args = cli.build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", cli.UI_PORT)
    args = cli.build_parser().parse_args(["serve", "--port", "3111", "--host", "127.0.0.2"])
    cmd = cli.serve_command(args.port, args.host)
    assert cmd[cmd.index("-p") + 1] == "3111" and cmd[cmd.index("-h") + 1] == "127.0.0.2"
    # the workspace file shipped with the package loads the pipeline's module
    workspace = Path(cmd[cmd.index("-w") + 1])
    module = yaml.safe_load(workspace.read_text())["load_from"][0]["python_module"]["module_name"]
    assert module == "inventory_pipeline.definitions"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["serve", "--port", "70000"])


def test_package_data_lies_inside_the_package() -> None:
    """SQL and the default instance config are read from the package, as the wheel ships them."""
    from inventory_pipeline import warehouse

    package = Path(cli.__file__).resolve().parent
    for path in (warehouse.SQL_DIR, cli.DAGSTER_YAML, cli.WORKSPACE_YAML):
        assert path.is_relative_to(package), path
        assert path.exists(), path
    repo_sql = package.parent / "sql"
    if repo_sql.is_dir():  # a checkout: the package's sql/ is the repository's top-level sql/
        assert sorted(p.relative_to(repo_sql) for p in repo_sql.rglob("*.sql")) == sorted(
            p.relative_to(warehouse.SQL_DIR) for p in warehouse.SQL_DIR.rglob("*.sql")
        )
    assert "SELECT" in warehouse.read_sql("plan/reorder_plan")


def test_train_flags_become_every_training_assets_config(tmp_path: Path) -> None:
    extra = tmp_path / "train.yaml"
    extra.write_text("backtest_days: 28\nmax_epochs: 9\n")
    args = cli.build_parser().parse_args(
        [
            "train",
            "--seed",
            "7",
            "--until",
            "2024-03-01",
            "--max-epochs",
            "1",
            "--config",
            str(extra),
        ]
    )
    config = cli.training_run_config(
        args.finetune or "", args.max_epochs, args.seed, args.until,
        cli._training_config_file(args.config),
    )  # fmt: skip
    ops = config["ops"]
    assert set(ops) == {
        "training_windows", "demand_model", "backtest_baselines", "model_backtest", "served_model"
    }  # fmt: skip
    values = ops["training_windows"]["config"]
    assert values == {
        "backtest_days": 28, "finetune": "", "max_epochs": 1,
        "seed": 7, "until": "2024-03-01",
    }  # fmt: skip
    # the values are what the training assets' config accepts, and the seed reaches the model
    from inventory_pipeline.defs.training.assets import TrainingRunConfig

    run = TrainingRunConfig(**values)
    assert run.training_config().model_config().seed == 7
    assert run.training_config().backtest_days == 28
    assert run.until_day() == date(2024, 3, 1)


def test_train_config_file_errors_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--config .*no such file"):
        cli._training_config_file(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(SystemExit, match="expected a YAML mapping"):
        cli._training_config_file(str(bad))
    with pytest.raises(ValueError, match="until='2024-13-01'"):
        from inventory_pipeline.defs.training.assets import TrainingRunConfig

        TrainingRunConfig(until="2024-13-01").until_day()


def test_the_duplicate_evaluation_entry_point_is_gone() -> None:
    import importlib.util

    assert importlib.util.find_spec("inventory_pipeline.evaluation.__main__") is None
    assert "evaluate" in COMMANDS
