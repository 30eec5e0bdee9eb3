"""The pending plan: the planned requests that have no ok answer yet, grouped by model."""
from __future__ import annotations

from collector.design import Design
from collector.plan import PlannedRequest, request_key


def pending_requests(design: Design, models: list[str], pending_keys: set[str]) -> dict[str, list[PlannedRequest]]:
    """The planned requests whose keys are pending, grouped by model, in plan order.

    The same walk as :func:`collector.plan.iter_plan`, but a request object is
    only built for a pending key: after a half-done 1M-request run that is half
    the objects.
    """
    out: dict[str, list[PlannedRequest]] = {m: [] for m in models}
    if not pending_keys:
        return out
    study = design.exp.study
    replicates = range(1, design.exp.replicates + 1)
    for model in models:
        found = out[model]
        for item, setting in design.item_settings:
            for r in replicates:
                key = request_key(study, model, item.item, setting.setting, r)
                if key in pending_keys:
                    found.append(PlannedRequest(key, study, model, item, setting, r))
    return out
