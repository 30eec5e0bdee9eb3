"""T1 robustness to the order of the value list (original / reversed / shuffled), per model;
k (the picks per run) from the design, stg_raw__items.

Glue only: the table shaping is alignstats.marts.robustness, the statistics alignstats.
"""
from alignstats.marts import t1_robustness


def model(dbt, session):
    dbt.config(materialized="table")
    return t1_robustness(dbt.ref("selection_shares").df(), dbt.ref("stg_raw__items").df())
