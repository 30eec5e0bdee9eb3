"""Item ids, counts and deterministic option orders: the contract the warehouse relies on."""
from __future__ import annotations

import hashlib
from collections import Counter

from collector.config import load_experiment
from collector.design import Design
from collector.plan import iter_plan, request_key

DESIGN = Design(load_experiment())


def test_76_items_per_replicate_with_the_shipped_file():
    per_task = Counter(item.task for item, _ in DESIGN.item_settings)
    assert per_task == {"t1": 4, "t2": 28, "t3": 40, "t4": 4}
    assert len(DESIGN.item_settings) == 76


def test_item_ids_follow_the_contract():
    ids = {i.item for i in DESIGN.items}
    assert "t1" in ids
    assert "t2/medical/human_autonomy" in ids
    assert "t3/banking/fairness-over-performance" in ids
    assert "t3/banking/performance-over-fairness" in ids
    assert "t3/streaming/safety-over-human_autonomy" in ids
    assert {"t4/medical", "t4/banking", "t4/marketing", "t4/streaming"} <= ids
    assert {s.setting for s in DESIGN.settings_of("t1")} == {"original", "fixed", "reversed", "synonyms"}


def test_request_key_is_md5_of_the_documented_string():
    expected = hashlib.md5(b"s|m|t1|original|3").hexdigest()
    assert request_key("s", "m", "t1", "original", 3) == expected


def _reqs(model="m", replicates=3):
    return list(iter_plan(DESIGN, [model], replicates))


def test_orders_are_deterministic_per_key_and_vary_across_replicates():
    a = {r.key: r.render(None)[1] for r in _reqs()}
    b = {r.key: r.render(None)[1] for r in _reqs()}
    assert a == b
    shuffled = [r.render(None)[1] for r in _reqs(replicates=10) if r.item.item == "t1" and r.setting.setting == "original"]
    assert len({tuple(s) for s in shuffled}) > 5  # fresh permutation per replicate


def test_settings_show_the_declared_order_and_labels():
    t1 = {(r.setting.setting, r.replicate): r.render(None) for r in _reqs() if r.item.item == "t1"}
    file_order = [o.key for o in DESIGN.item("t1").options]
    assert file_order == sorted(file_order)  # alphabetical: no human group's rank order
    assert t1[("fixed", 1)][1] == t1[("fixed", 2)][1] == file_order
    assert t1[("reversed", 1)][1] == file_order[::-1]
    assert sorted(t1[("original", 1)][1]) == sorted(file_order)
    assert t1[("original", 1)][1] != t1[("original", 2)][1]
    # synonyms: each value under one of its names (its own or a synonym), chosen per run
    names = {o.key: {o.label} for o in DESIGN.item("t1").options}
    for s in DESIGN.item("t1").synonyms:
        names[s.key].add(s.label)
    for r in range(1, 4):
        _, keys, labels = t1[("synonyms", r)]
        assert all(label in names[key] for key, label in zip(keys, labels))
        assert "Transparency" in labels  # no synonym: always its own name
    shown = {label for r in range(1, 4) for label in t1[("synonyms", r)][2]}
    assert {"Non-maleficence", "Data Protection"} & shown


def test_every_option_appears_once_in_the_prompt():
    for r in _reqs(replicates=1):
        messages, keys, labels = r.render(None)
        content = messages[-1]["content"]
        assert sorted(keys) == sorted(o.key for o in r.item.options)
        for label in labels:
            assert label in content
        assert "{" not in content, f"unfilled placeholder in {r.item.item}"


def test_tradeoff_options_name_both_sides():
    item = DESIGN.item("t3/medical/fairness-over-performance")
    labels = {o.key: o.label for o in item.options}
    assert labels["definitely_a"] == "Definitely Fairness"
    assert labels["probably_b"] == "Probably Performance"
    assert {o.key: o.value for o in item.options}["undecided"] is None


def test_pending_requests_walks_the_plan_with_the_plan_keys(make_experiment):
    from collector.design import Design
    from collector.pending import pending_requests
    from collector.plan import iter_plan

    exp = make_experiment([{"name": "a", "provider": "simulated", "model": "a"},
                           {"name": "b", "provider": "simulated", "model": "b"}], tasks=("t1", "t2"), replicates=3)
    design = Design(exp)
    plan = list(iter_plan(design, ["a", "b"], 3))
    chosen = {r.key for r in plan[::3]}
    got = pending_requests(design, ["a", "b"], chosen)
    flat = [r for m in ("a", "b") for r in got[m]]
    assert [r.key for r in flat] == [r.key for r in plan if r.key in chosen]  # plan order, nothing else
    assert all(r.model == m for m in ("a", "b") for r in got[m])
    assert pending_requests(design, ["a"], set()) == {"a": []}
