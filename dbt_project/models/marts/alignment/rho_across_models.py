"""Across the models of a study: each model's rho with one human group against its rho with the other.

Glue only: the table shaping is alignstats.marts.across, the statistics alignstats.
"""
from alignstats.marts import rho_across_models


def model(dbt, session):
    dbt.config(materialized="table")
    return rho_across_models(dbt.ref("t1_human_alignment").df(), dbt.ref("t2_human_alignment").df(),
                             dbt.ref("t1_robustness").df(),
                             t1_context=str(dbt.config.meta_get("no_context_label", "general")),
                             items=dbt.ref("stg_raw__items").df())
