"""The experiment file: the shipped study parses; mistakes give one line naming file and field."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from collector.config import DEFAULT_EXPERIMENT, load_experiment, parse_experiment
from collector.errors import UserError

SHIPPED = DEFAULT_EXPERIMENT.read_text()


def _mutate(fn) -> str:
    data = yaml.safe_load(SHIPPED)
    fn(data)
    return yaml.safe_dump(data, sort_keys=False)


def test_shipped_study_parses():
    exp = load_experiment()
    assert exp.study == "are_we_aligned"
    assert exp.replicates == 50
    assert exp.generation == {"temperature": 1.0}
    assert len(exp.values) == 12
    assert set(exp.contexts) == {"medical", "banking", "marketing", "streaming"}
    assert exp.value("Fairness").synonyms == ("Justice", "Non-discrimination")
    assert all(m.provider == "simulated" for m in exp.models)


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d.update(replicatez=3), "replicatez: unknown key"),
    (lambda d: d["tasks"]["t2"].update(scale="importanse"), "tasks.t2.scale: unknown scale 'importanse'"),
    (lambda d: d["tasks"]["t2"]["values"].append("Honesty"), "tasks.t2.values: unknown value 'Honesty'"),
    (lambda d: d["tasks"]["t3"].update(contexts=["medical", "farming"]), "unknown context 'farming'"),
    (lambda d: d["models"].append(dict(d["models"][0])), "models (name): 'sim-us-public' appears twice"),
    (lambda d: d["models"][0].update(provider="openia"), "models[0].provider"),
    (lambda d: d.update(replicates=-1), "replicates"),
    (lambda d: d["tasks"]["t1"].update(kind="pick"), "kind must be one of"),
    (lambda d: d["tasks"]["t1"].update(k=12), "tasks.t1.k: must be smaller"),
    (lambda d: d["tasks"]["t1"].update(prompt="no placeholder"), "{options} placeholder"),
    (lambda d: d.pop("values"), "values: required field is missing"),
    (lambda d: d["models"][0].update(base_url="ftp://x"), "models[0].base_url"),
])
def test_mistakes_are_one_line_naming_the_field(mutate, needle):
    with pytest.raises(UserError) as info:
        parse_experiment(_mutate(mutate), "exp.yaml")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("exp.yaml: ")
    assert needle in msg


def test_malformed_yaml_names_the_line(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("study: x\nvalues: [a, b\nreplicates: 3\n")
    with pytest.raises(UserError) as info:
        load_experiment(p)
    assert str(info.value).startswith(f"{p}:")
    assert "invalid YAML" in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="experiment file not found"):
        load_experiment(tmp_path / "nope.yaml")


def test_adding_a_value_and_context_in_yaml_reaches_the_design():
    from collector.design import Design

    def add(d):
        d["values"].append({"name": "Honesty", "synonyms": ["Truthfulness"]})
        d["tasks"]["t1"]["values"].append("Honesty")
        d["contexts"]["hiring"] = "A company screens job applicants with an AI system."
        d["tasks"]["t2"]["contexts"].append("hiring")
        d["tasks"]["t2"]["values"].append("Honesty")

    design = Design(parse_experiment(_mutate(add)))
    assert design.has_item("t2/hiring/honesty")
    t1 = design.item("t1")
    assert "honesty" in [o.key for o in t1.options]
    assert ("honesty", "Truthfulness") in [(s.key, s.label) for s in t1.synonyms]
