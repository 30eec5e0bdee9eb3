"""Every selection_shares row with the Wilson score interval of its share (a binomial proportion of runs).

Glue only: the table shaping is alignstats.marts.share_intervals, the statistics alignstats.
"""
from alignstats.marts import selection_share_intervals


def model(dbt, session):
    dbt.config(materialized="table")
    return selection_share_intervals(dbt.ref("selection_shares").df())
