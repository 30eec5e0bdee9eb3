{{ config(store_failures=true) }}

-- No (study, model, item, setting) group holds more answers than the study's replicate count,
-- or a replicate twice, or a replicate outside 1..replicates: an over-full or duplicated group
-- means answers were imported or keyed wrongly, and fails by name. Groups that are merely
-- short (collection still running, a partial import, a raised replicate count) are normal:
-- data test assert_replicate_groups_complete warns about them with counts. Reads the leaf
-- mart replicate_counts, so a failure does not stop the other marts from building.
select
    study,
    model,
    item,
    setting,
    problem,
    n_answers,
    expected_answers,
    n_distinct_replicates,
    min_replicate,
    max_replicate

from {{ ref('replicate_counts') }}
where n_answers > expected_answers
    or n_distinct_replicates <> n_answers
    or min_replicate < 1
    or max_replicate > expected_answers
