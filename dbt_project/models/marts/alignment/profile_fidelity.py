"""Profile fidelity (Lau et al. 2025): Spearman's rho, calibration slope and Lin's CCC of the
model's T1/T2/T3 figures against each human group's, with replicate-clustered bootstrap intervals.

Glue only: the table shaping is alignstats.marts.fidelity, the statistics alignstats.
"""
from alignstats.marts import profile_fidelity
from alignstats.marts.runs import read_choices


def model(dbt, session):
    dbt.config(materialized="table")
    return profile_fidelity(
        dbt.ref("selection_shares").df(),
        read_choices(dbt.ref("int_replicate_choices_counted")),
        dbt.ref("int_reference_figures").df(),
        dbt.ref("int_measure_options").df(),
        n_resamples=int(dbt.config.meta_get("bootstrap_resamples", 1000)),
        seed=int(dbt.config.meta_get("bootstrap_seed", 0)),
        t2_shares=dbt.ref("t2_importance_shares").df(),
        tradeoff_shares=dbt.ref("t3_tradeoff_shares").df(),
        tradeoff_sides=dbt.ref("int_tradeoff_sides").df(),
        pooled_context=dbt.config.meta_get("pooled_context_label"),
    )
