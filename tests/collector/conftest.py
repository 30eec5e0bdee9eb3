from __future__ import annotations

import yaml
import pytest

from collector.config import DEFAULT_EXPERIMENT, parse_experiment


def small_experiment(models: list[dict], tasks=("t1",), replicates: int = 2, study: str = "small"):
    """The shipped design cut down to a few tasks, with the given models."""
    data = yaml.safe_load(DEFAULT_EXPERIMENT.read_text())
    data["study"] = study
    data["replicates"] = replicates
    data["tasks"] = {k: v for k, v in data["tasks"].items() if k in tasks}
    data["models"] = models
    data.pop("reference", None)  # its figures name the tasks cut here, and its CSV is not beside small.yaml
    return parse_experiment(yaml.safe_dump(data, sort_keys=False), "small.yaml")


@pytest.fixture
def make_experiment():
    return small_experiment
