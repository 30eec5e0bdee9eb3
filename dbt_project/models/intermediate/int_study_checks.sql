-- One row per study: the thresholds of its data tests. The study's latest declared row
-- (the experiment file's `checks:`), else the warehouse defaults (dbt vars); a threshold the
-- file leaves out is the default too.
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
        coalesce(latest.max_invalid_share, cast({{ var('max_invalid_share') }} as double))
            as max_invalid_share,
        coalesce(latest.coverage_alpha, cast({{ var('coverage_alpha') }} as double))
            as coverage_alpha,
        coalesce(latest.max_invalid_share is not null or latest.coverage_alpha is not null, false) as is_declared

    from studies
    left join latest
        on latest.study = studies.study

)

select * from final
