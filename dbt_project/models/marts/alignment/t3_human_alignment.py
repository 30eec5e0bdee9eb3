"""T3 trade-off shares (pooled over directions and contexts) vs the human groups.

Glue only: the pooled shares are the SQL mart t3_tradeoff_shares (oriented by int_tradeoff_sides),
the table shaping is alignstats.marts.t3, the statistics alignstats.
"""
from alignstats.marts import t3_human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return t3_human_alignment(
        dbt.ref("t3_tradeoff_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted"), ("tradeoff",)),
        dbt.ref("int_reference_figures").df(),
        dbt.ref("int_measure_options").df(),
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
        tradeoff_sides=dbt.ref("int_tradeoff_sides").df(),
        pooled_context=dbt.config.meta_get("pooled_context_label"),
    )
