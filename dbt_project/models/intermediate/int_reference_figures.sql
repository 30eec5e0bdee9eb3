-- One row per (study, human_group, task, context, value, value_b, options) of the study's latest
-- reference load: the human figures the alignment marts compare models with. Figures belong to
-- their study (every join downstream is on study); a study without `reference:` has no rows.
-- A load is every row of raw.reference_* with one recorded_at; the latest per study is current.
-- Pooled / no-context rows (null context) get var('pooled_context_label').
-- Two columns beyond the contract tie a figure to the measures the older marts are written in:
--   measure: the measure of int_measure_options whose options (keys sorted by ordinal, joined by
--            '+', on any item of the task) are exactly the row's options (`selected` for a select
--            task's rows); null when none is (the generic mart human_alignment still uses it);
--   side:    trade-offs: 'a' when the options favour the row's value, 'b' when its value_b.
with

groups as (

    select * from {{ ref('stg_raw__reference_groups') }}

),

figures as (

    select * from {{ ref('stg_raw__reference_figures') }}

),

items as (

    select * from {{ ref('stg_raw__items') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

measure_options as (

    select * from {{ ref('int_measure_options') }}

),

-- a load always declares at least one group: its recorded_at is the load's
latest_load as (

    select study, max(recorded_at) as recorded_at
    from groups
    group by study

),

tasks as (

    select distinct study, task, task_kind
    from items

),

-- per (study, task, measure, side): the option keys the measure counts, as the reference writes
-- them (sorted by the scale's ordinal, '+'-joined); the side of a trade-off is the item's own
item_measure_keys as (

    select
        measure_options.study,
        items.task,
        measure_options.item,
        measure_options.measure,
        case
            when items.task_kind <> 'tradeoff' then cast(null as {{ dbt.type_string() }})
            when measure_options.value = items.value_a then 'a'
            else 'b'
        end as side,
        {{ dbt.listagg('options.option_key', "'+'", 'order by options.ordinal') }} as options

    from measure_options
    inner join items
        on items.study = measure_options.study
        and items.item = measure_options.item
    inner join options
        on options.study = measure_options.study
        and options.item = measure_options.item
        and options.canonical = measure_options.canonical
    where items.task_kind in ('rate', 'tradeoff')
    group by 1, 2, 3, 4, 5

),

measure_keys as (

    select distinct study, task, measure, side, options
    from item_measure_keys

),

current_figures as (

    select figures.*
    from figures
    inner join latest_load
        on latest_load.study = figures.study
        and latest_load.recorded_at = figures.recorded_at

),

current_groups as (

    select groups.*
    from groups
    inner join latest_load
        on latest_load.study = groups.study
        and latest_load.recorded_at = groups.recorded_at

),

final as (

    select
        -- ids
        current_figures.study,
        current_figures.human_group,
        current_figures.task,
        coalesce(current_figures.context, '{{ var("pooled_context_label") }}') as context,
        current_figures.value,
        current_figures.value_b,
        current_figures.options,

        -- dimensions
        current_groups.label as group_label,
        tasks.task_kind,
        case when tasks.task_kind = 'select' and current_figures.options is null then 'selected'
            else measure_keys.measure end as measure,
        measure_keys.side,

        -- measures
        current_figures.share,
        current_figures.n_respondents

    from current_figures
    inner join current_groups
        on current_groups.study = current_figures.study
        and current_groups.human_group = current_figures.human_group
    inner join tasks
        on tasks.study = current_figures.study
        and tasks.task = current_figures.task
    left join measure_keys
        on measure_keys.study = current_figures.study
        and measure_keys.task = current_figures.task
        and measure_keys.options = current_figures.options

)

select
    study,
    human_group,
    group_label,
    task,
    task_kind,
    context,
    value,
    value_b,
    options,
    share,
    n_respondents,
    measure,
    side

from final
