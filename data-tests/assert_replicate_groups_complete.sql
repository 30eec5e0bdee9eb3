{{ config(severity='warn', store_failures=true) }}

-- A warning, not a failure: (study, model, task, setting) groups whose items have fewer answers
-- than the study's replicate count, one row per group with the counts. Short groups are normal
-- while a study is being collected, after importing part of a study, or after raising
-- `replicates` (only the new replicates are asked). The marts use the answers there are; their
-- n columns say how many. Over-full or duplicated groups fail in assert_replicate_counts.
select
    study,
    model,
    task,
    setting,
    'short' as problem,
    count(*) as n_short_items,
    min(item) as example_item,
    sum(n_answers) as n_answers,
    sum(expected_answers) as expected_answers,
    min(n_answers) as min_answers_per_item,
    max(expected_answers) as replicates

from {{ ref('replicate_counts') }}
where n_answers < expected_answers
group by 1, 2, 3, 4
