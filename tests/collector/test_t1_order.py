"""T1 answer order in the shipped study: `original` is a fresh order per run (as the paper
randomised it), derived from the request key; `synonyms` alternates each value's names (its own and its synonyms) per run;
the fixed and reversed orders are robustness settings; the file's list is alphabetical."""
from __future__ import annotations

from collections import Counter
from itertools import combinations

from scipy.stats import chisquare

from collector.config import load_experiment
from collector.design import Design
from collector.plan import PlannedRequest, request_key

EXP = load_experiment()
DESIGN = Design(EXP)
MODELS = [m.name for m in EXP.models]
REPLICATES = EXP.replicates  # the shipped study's own count


def _t1(setting: str, models=MODELS, replicates=REPLICATES):
    item, spec = DESIGN.item("t1"), DESIGN.setting("t1", setting)
    return [PlannedRequest(request_key(EXP.study, m, "t1", setting, r), EXP.study, m, item, spec, r)
            for m in models for r in range(1, replicates + 1)]


def test_every_original_run_shows_its_own_order():
    runs = _t1("original")
    assert len(runs) == len(MODELS) * REPLICATES
    orders = [tuple(r.render(None)[1]) for r in runs]
    # 12! orders: two runs of the study sharing one would be a 1-in-10^5 event, not a fixed order
    assert len(set(orders)) == len(orders)
    # ... deterministic per request key: a rerun (a fresh plan) shows exactly the same prompt
    again = {r.key: r.render(None) for r in _t1("original")}
    assert all(again[r.key] == r.render(None) for r in runs)
    # ... and no order of the file is built in: each value is first about equally often
    first = Counter(o[0] for o in orders)
    n_values = len(DESIGN.item("t1").options)
    assert chisquare([first.get(o.key, 0) for o in DESIGN.item("t1").options]).pvalue > 0.001
    assert len(first) == n_values


def test_original_orders_differ_between_models_for_the_same_replicate():
    by_model = {m: [tuple(r.render(None)[1]) for r in _t1("original", [m], 5)] for m in MODELS}
    for a, b in combinations(MODELS, 2):
        assert all(x != y for x, y in zip(by_model[a], by_model[b]))


def test_fixed_and_reversed_are_the_alphabetical_list_and_its_reverse():
    names = [o.canonical for o in DESIGN.item("t1").options]
    assert names == sorted(names)
    assert list(EXP.tasks["t1"].values) == sorted(EXP.tasks["t1"].values)
    assert [v.name for v in EXP.values] == sorted(v.name for v in EXP.values)
    for r in _t1("fixed", replicates=3):
        assert r.render(None)[2] == names
    for r in _t1("reversed", replicates=3):
        assert r.render(None)[2] == names[::-1]


def test_synonyms_alternate_per_run_from_the_request_key():
    runs = _t1("synonyms")
    syn = {v.name: v.synonyms for v in EXP.values}
    shown: dict[str, Counter] = {name: Counter() for name in syn}
    orders = set()
    for r in runs:
        _, keys, labels = r.render(None)
        orders.add(tuple(keys))
        canon = {o.key: o.canonical for o in r.item.options}
        for key, label in zip(keys, labels):
            name = canon[key]
            shown[name][label] += 1
            assert label in (name, *syn[name])  # one of the value's names
        assert r.render(None) == r.render(None)
    assert len(orders) == len(runs)  # shuffled per run too
    for name, counts in shown.items():
        # every name of a value (its own and each synonym) shows up across the study's runs,
        # about equally often
        assert set(counts) == {name, *syn[name]}, name
        if len(counts) > 1:
            assert chisquare(list(counts.values())).pvalue > 0.001, (name, counts)
