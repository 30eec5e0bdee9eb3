"""T2 importance shares vs the human groups, per context and pooled ('all').

Glue only: the table shaping is alignstats.marts.t2, the statistics alignstats.
"""
from alignstats.marts import t2_human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    measures = dbt.ref("int_measure_options").df()  # which choices each measure counts
    return t2_human_alignment(
        dbt.ref("selection_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted"), ("rate",)),
        dbt.ref("human_t2_importance").df(),
        measures,
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
    )
