-- One row per (study, model, task, setting, context, conflict, option) of every trade-off task:
-- the share of the conflict's mapped answers at each option of the scale, per context and
-- pooled over contexts (context var('pooled_context_label')). Options are read in the
-- conflict's orientation (value_a, value_b as int_tradeoff_sides orients it, the side `_a`
-- option keys refer to): an item asked the other way round ("B may reduce A") has its options
-- mirrored (ordinal o -> n_options + 1 - o), so both directions of a conflict are pooled into
-- one row per option. Every option has a row (0 when never chosen); a group's shares sum to 1
-- over its options. The scale comes from the design (the items' options).
with

counted as (

    {{ option_counts('tradeoff') }}

),

items as (

    select study, item, value_a, n_options
    from {{ ref('stg_raw__items') }}
    where task_kind = 'tradeoff'

),

-- the conflict each item asks about, in its reference orientation
conflicts as (

    select study, item, value_a, value_b
    from {{ ref('int_tradeoff_sides') }}
    where side = 'a'

),

options as (

    select study, item, option_key, label, ordinal
    from {{ ref('stg_raw__options') }}
    where not is_synonym

),

oriented as (

    select
        counted.study,
        counted.model,
        counted.task,
        counted.item,
        counted.setting,
        counted.context,
        conflicts.value_a,
        conflicts.value_b,
        counted.option_value as favoured_value,
        case
            when items.value_a = conflicts.value_a then counted.ordinal
            else items.n_options + 1 - counted.ordinal
        end as option_position,
        items.n_options,
        counted.runs,
        counted.n_refusals,
        counted.n_invalid,
        counted.selections

    from counted
    inner join items
        on items.study = counted.study
        and items.item = counted.item
    inner join conflicts
        on conflicts.study = counted.study
        and conflicts.item = counted.item

),

-- per context: both directions of a conflict summed (each item counts its own runs once per option)
per_context as (

    select
        oriented.study,
        oriented.model,
        oriented.task,
        oriented.setting,
        oriented.context,
        oriented.value_a,
        oriented.value_b,
        options.option_key,
        oriented.option_position,
        oriented.n_options,
        oriented.favoured_value,
        case
            when oriented.favoured_value = oriented.value_a then 'a'
            when oriented.favoured_value = oriented.value_b then 'b'
            else 'neutral'
        end as side,
        sum(oriented.runs) as runs,
        sum(oriented.n_refusals) as n_refusals,
        sum(oriented.n_invalid) as n_invalid,
        sum(oriented.selections) as selections,
        count(*) as n_items

    from oriented
    -- the key of the option at the oriented position: the key as the conflict's orientation reads it
    inner join options
        on options.study = oriented.study
        and options.item = oriented.item
        and options.ordinal = oriented.option_position
    group by oriented.study, oriented.model, oriented.task, oriented.setting, oriented.context, oriented.value_a,
        oriented.value_b, options.option_key, oriented.option_position, oriented.n_options, oriented.favoured_value

),

pooled as (

    {{ pooled_over_contexts('per_context',
        ['study', 'model', 'task', 'setting', 'value_a', 'value_b', 'option_key', 'option_position', 'n_options',
         'favoured_value', 'side'],
        ['runs', 'n_refusals', 'n_invalid', 'selections', 'n_items']) }}

),

final as (

    select
        -- ids
        study,
        model,
        task,
        setting,
        context,
        value_a,
        value_b,
        option_key,

        -- dimensions
        cast(option_position as integer) as option_position,
        cast(n_options as integer) as n_options,
        side,
        favoured_value,
        is_pooled,
        n_contexts,
        cast(n_items as {{ dbt.type_bigint() }}) as n_items,

        -- measures
        {{ share_columns('selections') }}

    from pooled

)

select * from final
