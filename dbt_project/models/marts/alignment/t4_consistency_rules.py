"""T4 label counts under every tie rule, against the T2- and the T3-implied order, side by side.

Glue only: the table shaping is alignstats.marts.t4, the statistics alignstats.
"""
from alignstats.marts import t4_consistency_rules


def model(dbt, session):
    dbt.config(materialized="table")
    return t4_consistency_rules(dbt.ref("t4_story_ranks").df(), dbt.ref("selection_shares").df(),
                                dbt.ref("t3_tradeoff_shares").df())
