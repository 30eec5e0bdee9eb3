"""T3 trade-off shares (pooled over directions and contexts) vs the human groups.

Glue only: the table shaping is alignstats.marts.t3, the statistics alignstats.
"""
from alignstats.marts import t3_human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    measures = dbt.ref("int_measure_options").df()  # which choices each measure counts
    return t3_human_alignment(
        dbt.ref("selection_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted"), ("tradeoff",)),
        dbt.ref("human_t3_tradeoffs").df(),
        measures,
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
    )
