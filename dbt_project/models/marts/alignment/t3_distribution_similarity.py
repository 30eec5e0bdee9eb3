"""T3 five-point answer distributions vs the human groups': OpinionQA representativeness
(1 - W1/W1max) and 1 - Jensen-Shannon distance, pooled over directions and contexts.

Glue only: the table shaping is alignstats.marts.distribution, the statistics alignstats.
"""
from alignstats.marts import t3_distribution_similarity
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return t3_distribution_similarity(
        read_choices(dbt.ref("int_replicate_choices_counted"), ("tradeoff",)),
        dbt.ref("stg_raw__items").df(),
        dbt.ref("stg_raw__options").df(),
        dbt.ref("int_reference_figures").df(),
        pooled_context=dbt.config.meta_get("pooled_context_label"),
    )
