{{ config(store_failures=true) }}

-- Within each study's reference (int_reference_figures), every human group has a figure wherever
-- another group of the study has one for the same (task, options): the same values, contexts and
-- conflicts. A missing row would silently drop a point from one group's correlation and not the
-- other's. Returns the missing (study, group, task, context, value, value_b, options). A database
-- without reference rows passes.
with

figures as (

    select * from {{ ref('int_reference_figures') }}

),

groups as (

    select distinct study, human_group
    from figures

),

points as (

    select distinct study, task, context, value, value_b, options
    from figures

),

missing as (

    select
        groups.study,
        groups.human_group,
        points.task,
        points.context,
        points.value,
        points.value_b,
        points.options

    from groups
    inner join points
        on points.study = groups.study
    where not exists (
        select 1
        from figures
        where figures.study = groups.study
            and figures.human_group = groups.human_group
            and figures.task = points.task
            and figures.context = points.context
            and figures.value = points.value
            and coalesce(figures.value_b, '') = coalesce(points.value_b, '')
            and coalesce(figures.options, '') = coalesce(points.options, '')
    )

)

select * from missing
