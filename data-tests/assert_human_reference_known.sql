{{ config(store_failures=true) }}

-- Every figure of a study's reference (int_reference_figures) names its own study's design: a
-- value the task asks about, a context of the task (or var('pooled_context_label')), a declared
-- conflict for a trade-off (either direction), and option keys of the task's scale. The loader
-- refuses such files (collector/reference.py); this holds the database to it, e.g. after the
-- experiment file was edited without recording the reference again. Figures are never matched
-- across studies. A database without reference rows passes.
with

figures as (

    select * from {{ ref('int_reference_figures') }}

),

items as (

    select * from {{ ref('stg_raw__items') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

-- what each task of each study asks about: (value, opponent) and its contexts
task_values as (

    select distinct study, task, context, coalesce(value, value_a) as value, value_b as opponent
    from items

    union

    select distinct study, task, context, value_b, value_a
    from items
    where value_b is not null

    union

    -- select tasks ask about their options' values
    select distinct items.study, items.task, items.context, options.value, cast(null as {{ dbt.type_string() }})
    from items
    inner join options
        on options.study = items.study
        and options.item = items.item
    where items.task_kind = 'select'

),

unknown_value as (

    select figures.study, figures.human_group, figures.task, figures.context, figures.value, figures.value_b,
        figures.options, 'value (or conflict) not asked in the task' as problem
    from figures
    where not exists (
        select 1 from task_values
        where task_values.study = figures.study
            and task_values.task = figures.task
            and task_values.value = figures.value
            -- a trade-off figure names a declared conflict, in either direction
            and (figures.task_kind <> 'tradeoff' or task_values.opponent = figures.value_b)
    )

),

unknown_context as (

    select figures.study, figures.human_group, figures.task, figures.context, figures.value, figures.value_b,
        figures.options, 'context not in the task' as problem
    from figures
    where figures.context <> '{{ var("pooled_context_label") }}'
        and not exists (
            select 1 from items
            where items.study = figures.study
                and items.task = figures.task
                and items.context = figures.context
        )

),

-- options whose keys are not the task's: a measure-less row whose key string no option set of
-- the task can spell (checked key by key would need a split; the loader checks keys, this
-- checks the first and the last, which covers single keys and sorted ranges)
unknown_options as (

    select figures.study, figures.human_group, figures.task, figures.context, figures.value, figures.value_b,
        figures.options, 'option key not on the task''s scale' as problem
    from figures
    where figures.options is not null
        and figures.measure is null
        and not exists (
            select 1 from options
            inner join items
                on items.study = options.study
                and items.item = options.item
            where items.study = figures.study
                and items.task = figures.task
                and (figures.options = options.option_key
                    or figures.options like options.option_key || '+%')
        )

)

select * from unknown_value
union all
select * from unknown_context
union all
select * from unknown_options
