-- One row per (study, human_group) of the study's latest reference load: the groups the
-- study's experiment file declares, with label, n and the load's provenance. The report reads
-- its group labels and legends here. A study without `reference:` has no rows.
with

groups as (

    select * from {{ ref('stg_raw__reference_groups') }}

),

ranked as (

    select
        *,
        max(recorded_at) over (partition by study) as latest_recorded_at

    from groups

),

final as (

    select
        -- ids
        study,
        human_group,

        -- dimensions
        label,
        citation,
        caveats,

        -- measures
        n_respondents,

        -- timestamps
        recorded_at

    from ranked
    where recorded_at = latest_recorded_at

)

select * from final
