-- One row per study: the thresholds its experiment file declares (`checks:`, its latest row of
-- raw.study_checks). Null = the warehouse default, the dbt var of the same name: the readers
-- (assert_mapping_coverage, aligned validate) fill it in when they run, so `--vars` still moves
-- the default of a test run on its own.
with

studies as (

    select distinct study from {{ ref('stg_raw__studies') }}

),

checks as (

    select * from {{ ref('stg_raw__study_checks') }}

),

ranked as (

    select
        *,
        row_number() over (partition by study order by recorded_at desc) as row_rank

    from checks

),

latest as (

    select * from ranked where row_rank = 1

),

final as (

    select
        -- ids
        studies.study,

        -- measures
        latest.max_invalid_share,
        latest.coverage_alpha,
        coalesce(latest.max_invalid_share is not null or latest.coverage_alpha is not null, false) as is_declared

    from studies
    left join latest
        on latest.study = studies.study

)

select * from final
