{{ config(store_failures=true) }}

-- Every answer's request key is the md5 of study|model|item|setting|replicate, as
-- collector.plan.request_key computes it: a row that breaks this would escape deduplication.
-- Names each group with such rows and one of them.
select
    study,
    model,
    item,
    setting,
    n_key_mismatches,
    example_mismatch_response_id

from {{ ref('replicate_counts') }}
where n_key_mismatches > 0
