"""Model x model Spearman's rho of T1 and T2 share vectors, every ordered pair (heatmap-ready).

Glue only: the table shaping is alignstats.marts.similarity, the statistics alignstats.
"""
from alignstats.marts import model_similarity


def model(dbt, session):
    dbt.config(materialized="table")
    return model_similarity(dbt.ref("selection_shares").df(), dbt.ref("t2_importance_shares").df())
