-- One row per (study, task, statistic) of the study's latest reference load: the model-side
-- results its paper publishes (`reference.published`), for the report to compare with. Only
-- what the experiment file declares is here; a study without it has no rows.
with

published as (

    select * from {{ ref('stg_raw__reference_published') }}

),

-- the latest load is the groups' (a load always declares a group; it may publish nothing)
latest_load as (

    select study, max(recorded_at) as recorded_at
    from {{ ref('stg_raw__reference_groups') }}
    group by study

),

final as (

    select
        -- ids
        published.study,
        published.task,
        published.statistic,

        -- dimensions
        published.text,

        -- measures
        published.value,
        published.n,

        -- timestamps
        published.recorded_at

    from published
    inner join latest_load
        on latest_load.study = published.study
        and latest_load.recorded_at = published.recorded_at

)

select * from final
