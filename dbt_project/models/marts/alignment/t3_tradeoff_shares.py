"""T3 shares favouring each side of each conflict, per context and pooled, beside the human shares.

Glue only: the table shaping is alignstats.marts.t3.
"""
from alignstats.marts import t3_tradeoff_shares


def model(dbt, session):
    dbt.config(materialized="table")
    return t3_tradeoff_shares(dbt.ref("selection_shares").df(), dbt.ref("human_t3_tradeoffs").df())
