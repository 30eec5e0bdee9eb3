{{ config(store_failures=true) }}

-- Every (study, model, item, setting) group that has answers holds exactly the study's
-- replicate count of ok answers, one per replicate 1..replicates. Short groups (a missing
-- replicate) and over-full ones (an extra or duplicated replicate) fail and name themselves.
-- Groups without any answer (a task not collected yet) have no rows and pass. Reads the leaf
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
where problem is not null
