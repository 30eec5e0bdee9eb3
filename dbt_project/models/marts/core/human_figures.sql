-- One row per (study, human_group, task, context, value, value_b, options): each study's current
-- human figures (int_reference_figures: its latest reference load), as a mart for the report and
-- for queries. A study without `reference:` has no rows; figures belong to their study.
with

figures as (

    select * from {{ ref('int_reference_figures') }}

),

final as (

    select
        -- ids
        study,
        human_group,
        task,
        context,
        value,
        value_b,
        options,

        -- dimensions
        group_label,
        task_kind,
        measure,
        side,

        -- measures
        share,
        n_respondents

    from figures

)

select * from final
