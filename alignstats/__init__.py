"""Pure statistics for the study, imported by the dbt Python models.

Modules: correlation (Spearman, Lin's CCC, calibration slope), sets
(Jaccard, top-k, threshold sets), bootstrap (replicate-clustered
intervals, vectorised over resamples: percentile, BCa with a jackknife over
clusters, and Wilson for single shares), figures (shares rebuilt from per-run
hits for every resample at once), distribution (ordinal answer similarity), robustness (T1
order robustness, and the paper's panel-relative groups) and consistency (T4 vs
implied ranks under each tie rule; fully tied contexts are "tied"; T3-implied scores).
"""

from alignstats.bootstrap import (
    BCA,
    PERCENTILE,
    WILSON,
    SpearmanCI,
    bca_interval,
    bca_intervals,
    interval,
    jackknife_counts,
    cluster_bootstrap,
    percentile_interval,
    resample_counts,
    rowwise_spearman,
    rowwise_top_k_jaccard,
    share_ci,
    spearman_ci,
    wilson_interval,
)
from alignstats.consistency import (TIE_RULES, classify, classify_all, context_labels, implied_ranks, summary_shares,
                                    tradeoff_scores)
from alignstats.correlation import calibration_slope, lins_ccc, spearman, spearman_n
from alignstats.distribution import js_similarity, representativeness
from alignstats.figures import figures_from_counts
from alignstats.robustness import (
    RobustnessSummary,
    count_stdev,
    majority_jaccard,
    panel_groups,
    robustness_group,
    robustness_summary,
    top_k_jaccard,
)
from alignstats.sets import at_least, jaccard, top_k

__all__ = [
    "spearman",
    "spearman_n",
    "lins_ccc",
    "calibration_slope",
    "jaccard",
    "top_k",
    "at_least",
    "cluster_bootstrap",
    "share_ci",
    "spearman_ci",
    "SpearmanCI",
    "resample_counts",
    "percentile_interval",
    "bca_interval",
    "bca_intervals",
    "interval",
    "jackknife_counts",
    "PERCENTILE",
    "BCA",
    "WILSON",
    "wilson_interval",
    "rowwise_spearman",
    "rowwise_top_k_jaccard",
    "figures_from_counts",
    "representativeness",
    "js_similarity",
    "count_stdev",
    "top_k_jaccard",
    "majority_jaccard",
    "robustness_group",
    "robustness_summary",
    "RobustnessSummary",
    "implied_ranks",
    "classify",
    "classify_all",
    "summary_shares",
    "context_labels",
    "tradeoff_scores",
    "TIE_RULES",
    "panel_groups",
]
