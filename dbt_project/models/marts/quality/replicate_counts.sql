-- Data quality of the collection per group. A leaf on purpose: the singular tests read it, so
-- a short or over-full group fails the build by name without skipping the other marts.
with

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

studies as (

    select * from {{ ref('int_studies') }}

),

checked as (

    select
        *,
        case
            when request_key <> {{ request_key('study', 'model', 'item', 'setting', 'replicate') }} then 1 else 0
        end as is_key_mismatch

    from responses

),

groups as (

    select
        study,
        model,
        task,
        item,
        setting,
        count(*) as n_answers,
        count(distinct replicate) as n_distinct_replicates,
        min(replicate) as min_replicate,
        max(replicate) as max_replicate,
        cast(sum(is_key_mismatch) as {{ dbt.type_bigint() }}) as n_key_mismatches,
        min(case when is_key_mismatch = 1 then response_id end) as example_mismatch_response_id

    from checked
    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- ids
        groups.study,
        groups.model,
        groups.item,
        groups.setting,

        -- dimensions
        groups.task,

        -- measures
        groups.n_answers,
        studies.replicates as expected_answers,
        groups.n_distinct_replicates,
        groups.min_replicate,
        groups.max_replicate,
        groups.n_key_mismatches,
        groups.example_mismatch_response_id,
        case
            when groups.n_answers < studies.replicates then 'short'
            when groups.n_answers > studies.replicates then 'over-full'
            when groups.n_distinct_replicates <> groups.n_answers
                or groups.min_replicate < 1
                or groups.max_replicate > studies.replicates then 'replicates not 1..n'
        end as problem

    from groups
    inner join studies
        on studies.study = groups.study

)

select * from final
