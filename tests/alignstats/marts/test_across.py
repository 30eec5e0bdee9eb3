import numpy as np
import pandas as pd
import pytest
from scipy import stats

from alignstats.marts import rho_across_models
from alignstats.marts.across import RHO_ACROSS_MODELS

US = {"m1": 0.62, "m2": 0.41, "m3": 0.55, "m4": 0.18, "m5": 0.73, "m6": 0.30}
PRACT = {"m1": 0.20, "m2": 0.66, "m3": 0.35, "m4": 0.71, "m5": 0.12, "m6": 0.50}


ITEMS = pd.DataFrame({"study": ["s", "s"], "task": ["t1", "t2"], "task_kind": ["select", "rate"]})


def _t2(context="all_pairs"):
    rows = [{"study": "s", "model": m, "setting": "original", "context": context, "measure": "extremely",
             "human_group": g, "spearman_rho": rho}
            for g, figures in (("us_representative", US), ("ai_practitioners", PRACT)) for m, rho in figures.items()]
    return pd.DataFrame(rows)


def test_across_models_equals_scipy_over_the_models():
    t2 = pd.concat([_t2(), _t2("medical")])
    t2.loc[(t2["context"] == "medical") & (t2["model"] == "m6"), "spearman_rho"] = np.nan  # m6 undefined there
    out = rho_across_models(None, t2, items=ITEMS)
    assert list(out.columns) == list(RHO_ACROSS_MODELS)
    row = out[out["context"] == "all_pairs"].iloc[0]
    expected = stats.spearmanr([PRACT[m] for m in US], list(US.values()))
    assert (row["group_x"], row["group_y"], row["models"]) == ("ai_practitioners", "us_representative", "all")
    assert (row["spearman_rho"], row["p_value"], row["n_models"]) == pytest.approx(
        (expected.statistic, expected.pvalue, 6))
    # by hand: US ranks m1..m6 = 5 3 4 1 6 2, practitioners' 2 5 3 6 1 4; sum d^2 = 68 -> 1 - 68 / 35
    assert row["spearman_rho"] == pytest.approx(-33 / 35)
    medical = out[out["context"] == "medical"].iloc[0]
    assert medical["n_models"] == 5


def test_panel_groups_1_and_2_subset_and_t1_rows():
    robustness = pd.DataFrame({"study": "s", "model": list(US), "panel_group": [1, 2, 1, 3, 2, 1]})
    t1 = _t2().drop(columns=["context", "measure"])
    out = rho_across_models(t1, _t2(), robustness, items=ITEMS)
    robust = out[(out["task"] == "t2") & (out["models"] == "panel_groups_1_2")].iloc[0]
    kept = ["m1", "m2", "m3", "m5", "m6"]
    expected = stats.spearmanr([PRACT[m] for m in kept], [US[m] for m in kept])
    assert (robust["spearman_rho"], robust["n_models"]) == pytest.approx((expected.statistic, 5))
    t1_row = out[(out["task"] == "t1") & (out["models"] == "all")].iloc[0]
    assert (t1_row["context"], t1_row["measure"], t1_row["n_models"]) == ("general", "selected", 6)
    assert rho_across_models(None, None).empty


def test_task_names_come_from_the_study_design():
    """The task column names the study's own select / rate task, whatever it is called."""
    t1 = _t2().drop(columns=["context", "measure"])
    items = pd.DataFrame({"study": ["s", "s"], "task": ["pick_three", "rating"], "task_kind": ["select", "rate"]})
    assert set(rho_across_models(t1, _t2(), items=items)["task"]) == {"pick_three", "rating"}
