"""T1 under the values' alternative names (setting synonyms) against the original setting, per model;
k (the picks per run) from the design, stg_raw__items.

Glue only: the table shaping is alignstats.marts.robustness, the statistics alignstats.
"""
from alignstats.marts import t1_synonyms


def model(dbt, session):
    dbt.config(materialized="table")
    return t1_synonyms(dbt.ref("selection_shares").df(), dbt.ref("stg_raw__items").df())
