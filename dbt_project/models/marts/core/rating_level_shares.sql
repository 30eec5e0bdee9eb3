-- One row per (study, model, task, setting, context, value, level) of every rate task: the
-- share of the value's mapped answers at each level of the task's scale, and of every answer
-- of record (runs_all), per context and, under context var('pooled_context_label'), pooled
-- over the task's contexts (pooled counts over pooled runs). Every level of the scale has a
-- row (0 when never chosen), so a group's shares sum to 1 over its levels. The scale comes
-- from the design (the items' options): any number of levels.
with

counted as (

    {{ option_counts('rate') }}

),

items as (

    select study, item, value, n_options
    from {{ ref('stg_raw__items') }}
    where task_kind = 'rate'

),

levels as (

    select
        counted.study,
        counted.model,
        counted.task,
        counted.setting,
        counted.context,
        items.value,
        counted.option_key as level,
        counted.option_label as level_label,
        counted.ordinal as level_position,
        items.n_options as n_levels,
        counted.runs,
        counted.n_refusals,
        counted.n_invalid,
        counted.selections

    from counted
    inner join items
        on items.study = counted.study
        and items.item = counted.item

),

pooled as (

    {{ pooled_over_contexts('levels',
        ['study', 'model', 'task', 'setting', 'value', 'level', 'level_label', 'level_position', 'n_levels'],
        ['runs', 'n_refusals', 'n_invalid', 'selections']) }}

),

final as (

    select
        -- ids
        study,
        model,
        task,
        setting,
        context,
        value,
        level,

        -- dimensions
        level_label,
        cast(level_position as integer) as level_position,
        cast(n_levels as integer) as n_levels,
        is_pooled,
        n_contexts,

        -- measures
        {{ share_columns('selections') }}

    from pooled

)

select * from final
