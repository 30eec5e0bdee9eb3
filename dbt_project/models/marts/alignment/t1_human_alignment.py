"""Select task (T1) shares vs the study's human groups: Spearman's rho (bootstrap interval) and top-k Jaccard.

Glue only: the table shaping is alignstats.marts.t1, the statistics alignstats.
"""
from alignstats.marts import t1_human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return t1_human_alignment(
        dbt.ref("selection_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted"), ("select",)),
        dbt.ref("int_reference_figures").df(),
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
        items=dbt.ref("stg_raw__items").df(),
    )
