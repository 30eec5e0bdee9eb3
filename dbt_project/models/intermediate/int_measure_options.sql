-- One row per (study, item, value, measure, option) an answer may choose: which choices count
-- towards each measure of each item. selection_shares counts with it, and the Python marts
-- rebuild per-run hits for their bootstrap from it, so the rule is written once:
--   select: `selected`, each value's own option;
--   rate: `extremely` is the top level of the scale (highest ordinal), `very_or_extremely` the
--   top two;
--   trade-off, one row per side: `definitely` is the level favouring the side farthest from
--   the middle of the scale, `definitely_or_probably` every level favouring it.
with

items as (

    select * from {{ ref('stg_raw__items') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

select_measures as (

    select
        options.study,
        options.item,
        options.value,
        cast(null as {{ dbt.type_string() }}) as opponent,
        'selected' as measure,
        options.canonical

    from options
    inner join items
        on items.study = options.study
        and items.item = options.item
    where items.task_kind = 'select'

),

-- rate: the top level of the scale, and the top two
rate_measures as (

    select
        options.study,
        options.item,
        items.value,
        cast(null as {{ dbt.type_string() }}) as opponent,
        measures.measure,
        options.canonical

    from options
    inner join items
        on items.study = options.study
        and items.item = options.item
    inner join (
        select 'extremely' as measure, 1 as top_levels
        union all
        select 'very_or_extremely' as measure, 2 as top_levels
    ) as measures
        on options.ordinal > items.n_options - measures.top_levels
    where items.task_kind = 'rate'

),

-- trade-off: one row per side; "definitely" is the level favouring the side farthest from
-- the middle of the scale, "definitely or probably" every level favouring it
tradeoff_sides as (

    select study, item, n_options, value_a as value, value_b as opponent
    from items
    where task_kind = 'tradeoff'

    union all

    select study, item, n_options, value_b as value, value_a as opponent
    from items
    where task_kind = 'tradeoff'

),

tradeoff_levels as (

    select
        tradeoff_sides.study,
        tradeoff_sides.item,
        tradeoff_sides.value,
        tradeoff_sides.opponent,
        options.canonical,
        row_number() over (
            partition by tradeoff_sides.study, tradeoff_sides.item, tradeoff_sides.value
            order by abs(2 * options.ordinal - tradeoff_sides.n_options - 1) desc
        ) as extremity_rank

    from tradeoff_sides
    inner join options
        on options.study = tradeoff_sides.study
        and options.item = tradeoff_sides.item
        and options.value = tradeoff_sides.value

),

tradeoff_measures as (

    select study, item, value, opponent, 'definitely' as measure, canonical
    from tradeoff_levels
    where extremity_rank = 1

    union all

    select study, item, value, opponent, 'definitely_or_probably' as measure, canonical
    from tradeoff_levels

),

final as (

    select * from select_measures
    union all
    select * from rate_measures
    union all
    select * from tradeoff_measures

)

select * from final
