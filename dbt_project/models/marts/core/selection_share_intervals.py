"""Every selection_shares row with a replicate-clustered bootstrap interval of its share.

Glue only: the table shaping is alignstats.marts.share_intervals, the statistics alignstats.
"""
from alignstats.marts import selection_share_intervals
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return selection_share_intervals(
        dbt.ref("selection_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted")),
        dbt.ref("int_measure_options").df(),  # which choices each measure counts
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
    )
