"""Table shaping for the alignment marts: DataFrames in, DataFrames out.

Each function takes the warehouse models it needs (``selection_shares``,
``int_replicate_choices_counted`` -- what each run answered, ``t4_story_ranks``,
the human seeds) as pandas frames and
returns one mart with a fixed schema (``frames.conform``), empty but typed
when the study lacks the task. The statistics are ``alignstats``;
nothing here computes a statistic itself. The dbt Python models in
``dbt_project/models/marts`` are a few lines of glue around these.

Modules: t1 (top-5 vs humans), t2 (importance vs humans), t3 (trade-off
alignment; the pooled T2 and T3 shares are SQL marts), t4 (requirement ranks vs the model's own T2),
robustness (T1 list-order robustness, synonyms), similarity (model x model rho),
across (each model's rho with one group against its rho with the other, over models);
runs reads the runs' choices (or reduces ``answers`` to them), hits and
intervals rebuild per-run hits from them for the bootstrap;
fidelity (rho, calibration slope and Lin's CCC against the human groups),
distribution (T3 five-point distributions: representativeness, JS),
share_intervals (a bootstrap interval for every selection share).
"""
from alignstats.marts.across import rho_across_models
from alignstats.marts.distribution import t3_distribution_similarity
from alignstats.marts.fidelity import profile_fidelity
from alignstats.marts.robustness import t1_robustness, t1_synonyms
from alignstats.marts.share_intervals import selection_share_intervals
from alignstats.marts.similarity import model_similarity
from alignstats.marts.t1 import t1_human_alignment
from alignstats.marts.t2 import t2_human_alignment
from alignstats.marts.t3 import t3_human_alignment
from alignstats.marts.t4 import t4_consistency, t4_consistency_rules, t4_consistency_summary

__all__ = [
    "t1_human_alignment",
    "t1_robustness",
    "t1_synonyms",
    "t2_human_alignment",
    "t3_human_alignment",
    "t4_consistency",
    "t4_consistency_summary",
    "t4_consistency_rules",
    "model_similarity",
    "profile_fidelity",
    "t3_distribution_similarity",
    "selection_share_intervals",
    "rho_across_models",
]
