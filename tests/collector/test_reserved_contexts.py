"""Context names the warehouse reserves for its own rows are refused by the loader (issue 14).

The marts label figures pooled over contexts `all` (dbt var pooled_context_label), tasks without a
context `general` (var no_context_label) and the T2 row over every (context, value) pair `all_pairs`;
a study's own context of one of those names would be mixed up with them (a context named `general`
used to vanish from the report). The loader refuses it with one line naming file, field and fix."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from collector.config import DEFAULT_EXPERIMENT, RESERVED_CONTEXT_NAMES, parse_experiment
from collector.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SECOND = ROOT / "experiments" / "optimal_ai_functioning.yaml"


def _renamed(path: Path, old: str, new: str) -> str:
    """The study with context `old` renamed `new` everywhere it is declared or used."""
    data = yaml.safe_load(path.read_text())
    data["contexts"] = {(new if k == old else k): v for k, v in data["contexts"].items()}
    for task in data["tasks"].values():
        if "contexts" in task:
            task["contexts"] = [new if c == old else c for c in task["contexts"]]
        if "systems" in task:
            task["systems"] = {(new if k == old else k): v for k, v in task["systems"].items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_the_reserved_names_are_the_warehouse_labels():
    from alignstats.marts.t2 import ALL_PAIRS
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    labels = {project["vars"]["pooled_context_label"], project["vars"]["no_context_label"], ALL_PAIRS}
    assert set(RESERVED_CONTEXT_NAMES) == labels


@pytest.mark.parametrize("name", RESERVED_CONTEXT_NAMES)
@pytest.mark.parametrize("study", [DEFAULT_EXPERIMENT, SECOND], ids=["first", "second"])
def test_a_reserved_context_name_is_refused_with_one_line(study, name):
    old = next(iter(yaml.safe_load(study.read_text())["contexts"]))
    with pytest.raises(UserError) as err:
        parse_experiment(_renamed(study, old, name), "exp.yaml")
    message = str(err.value)
    assert "\n" not in message and message.startswith("exp.yaml")
    assert f"contexts: {name!r}" in message and "rename the context" in message


def test_a_name_that_only_contains_a_reserved_word_is_fine():
    exp = parse_experiment(_renamed(SECOND, "assistant", "general_assistant"), "exp.yaml")
    assert "general_assistant" in exp.contexts


def test_the_cli_exits_2_without_a_traceback(tmp_path, capsys):
    from aligned.cli import main
    path = tmp_path / "reserved.yaml"
    path.write_text(_renamed(SECOND, "assistant", "general"))
    assert main(["plan", str(path)]) == 2
    out = capsys.readouterr()
    assert "Traceback" not in out.err and f"{path}: contexts: 'general'" in out.err + out.out


def test_the_reserved_model_names_are_the_warehouse_labels():
    from alignstats.marts import across, t4
    from collector.config import RESERVED_MODEL_NAMES
    assert {t4.ALL_MODELS, across.ALL_MODELS} == set(RESERVED_MODEL_NAMES)


@pytest.mark.parametrize("name", ["all", "ALL"])
def test_a_model_named_as_the_every_model_row_is_refused_in_one_line(name):
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data["models"][0]["name"] = name
    with pytest.raises(UserError) as info:
        parse_experiment(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "study.yaml")
    msg = str(info.value)
    assert "\n" not in msg and "study.yaml" in msg and "reserved" in msg and "rename the model" in msg
