"""T4 requirement ranks vs the ranks implied by the model's own T2 answers.

Glue only: the table shaping is alignstats.marts.t4, the statistics alignstats.
"""
from alignstats.marts import t4_consistency


def model(dbt, session):
    dbt.config(materialized="table")
    return t4_consistency(dbt.ref("t4_story_ranks").df(), dbt.ref("selection_shares").df())
