"""Realistic messy answers from the simulated panel (simulator), with the decision
each encodes, for agreement figures and benchmarks. Never used for correctness assertions:
the simulator is another engineer's and may change its formats."""
from __future__ import annotations

import random
from typing import Any, Iterator

from collector.design import Design
from collector.plan import iter_plan
from tests.aligned.warehouse.conftest import response_row


def available() -> bool:
    try:
        from simulator import formatting, panel  # noqa: F401
    except Exception:  # noqa: BLE001 - any import problem means "not available"
        return False
    return True


def simulated_rows(design: Design, models: list[str], replicates: int, model_prefix: str = "",
                   seed: int = 7) -> Iterator[tuple[dict[str, Any], str, list[str]]]:
    """Yield (raw response row, expected status, expected choices) for every planned request."""
    from simulator.formatting import render
    from simulator.panel import decide, get_profile

    rng = random.Random(seed)
    for req in iter_plan(design, models, replicates):
        profile = get_profile(req.model)
        messages, keys, labels = req.render(design.exp.system_prompt)
        decision = decide(profile, messages, rng)
        text = render(decision, profile, rng)
        label_to_key = dict(zip(labels, keys))
        canon = {o.key: o.canonical for o in req.item.options}
        if decision.outcome == "answer":
            chosen = [canon[label_to_key[o.label]] for o in decision.chosen if o.label in label_to_key]
            status = "mapped" if len(chosen) == len(decision.chosen) else "unknown"
        elif decision.outcome == "refusal":
            status, chosen = "refusal", []
        elif decision.outcome == "off_format":
            status, chosen = "invalid", []
        else:
            status, chosen = "generic", []
        row = response_row(design, model_prefix + req.model, req.item.item, req.setting.setting, req.replicate,
                           text, keys)
        if model_prefix:  # keep the request key consistent with the renamed model
            from collector.plan import request_key
            row["request_key"] = request_key(design.exp.study, row["model"], row["item"], row["setting"],
                                             row["replicate"])
        yield row, status, chosen
