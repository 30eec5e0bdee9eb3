"""Generic human alignment: every task's figures against each declared human group's, per context and
over all points of the task (context all_pairs), with BCa intervals and, for select tasks, top-k Jaccard.

Glue only: the table shaping is alignstats.marts.generic, the statistics alignstats.
"""
from alignstats.marts.generic import human_alignment
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return human_alignment(
        dbt.ref("int_reference_figures").df(),
        read_choices(dbt.ref("int_replicate_choices_counted")),
        dbt.ref("stg_raw__items").df(),
        dbt.ref("stg_raw__options").df(),
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
        pooled_context=dbt.config.meta_get("pooled_context_label"),
    )
