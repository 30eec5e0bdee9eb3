"""T2 importance shares vs the human groups, per context and pooled over contexts.

Glue only: the pooled shares are the SQL mart t2_importance_shares, the table shaping is
alignstats.marts.t2, the statistics alignstats.
"""
from alignstats.marts import t2_human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return t2_human_alignment(
        dbt.ref("t2_importance_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted"), ("rate",)),
        dbt.ref("int_reference_figures").df(),
        dbt.ref("int_measure_options").df(),
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
    )
