"""Shares of aligned / almost / misaligned T4 comparisons per model and over all models.

Glue only: the table shaping is alignstats.marts.t4, the statistics alignstats.
"""
from alignstats.marts import t4_consistency_summary


def model(dbt, session):
    dbt.config(materialized="table")
    return t4_consistency_summary(dbt.ref("t4_consistency").df())
