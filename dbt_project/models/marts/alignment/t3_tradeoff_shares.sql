-- One row per (study, model, setting, context, conflict, side, measure): the share of a
-- conflict's mapped answers that favour the side at the measure's strength, pooled over both
-- question directions and, under context var('pooled_context_label'), over every context too,
-- beside the human groups' shares (the reference gives pooled figures only, so per-context
-- rows have null human shares). Conflicts are oriented by int_tradeoff_sides.
with

shares as (

    select * from {{ ref('selection_shares') }}
    where task_kind = 'tradeoff'

),

sides as (

    select * from {{ ref('int_tradeoff_sides') }}

),

human as (

    select * from {{ ref('human_t3_tradeoffs') }}

),

item_sides as (

    select
        shares.study,
        shares.model,
        shares.setting,
        shares.context,
        sides.value_a,
        sides.value_b,
        sides.side,
        shares.measure,
        shares.selections,
        shares.runs

    from shares
    inner join sides
        on sides.study = shares.study
        and sides.item = shares.item
        and sides.value = shares.value

),

per_context as (

    select study, model, setting, context, value_a, value_b, side, measure,
        sum(selections) as selections, sum(runs) as runs
    from item_sides
    group by study, model, setting, context, value_a, value_b, side, measure

),

pooled as (

    select study, model, setting, '{{ var("pooled_context_label") }}' as context, value_a, value_b, side, measure,
        sum(selections) as selections, sum(runs) as runs
    from item_sides
    group by study, model, setting, value_a, value_b, side, measure

),

counted as (

    select * from per_context
    union all
    select * from pooled

),

-- the seed per (conflict, side, measure): its columns share_<measure>_<side>
human_sides as (

    select {{ adapter.quote('group') }} as human_group, value_a, value_b, 'a' as side,
        'definitely' as measure, share_definitely_a as human_share from human
    union all
    select {{ adapter.quote('group') }}, value_a, value_b, 'a', 'definitely_or_probably', share_definitely_or_probably_a
    from human
    union all
    select {{ adapter.quote('group') }}, value_a, value_b, 'b', 'definitely', share_definitely_b from human
    union all
    select {{ adapter.quote('group') }}, value_a, value_b, 'b', 'definitely_or_probably', share_definitely_or_probably_b
    from human

),

final as (

    select
        -- ids
        counted.study,
        counted.model,
        counted.setting,
        counted.context,
        counted.value_a,
        counted.value_b,
        counted.side,

        -- dimensions
        case when counted.side = 'a' then counted.value_a else counted.value_b end as favoured_value,
        counted.measure,

        -- measures
        {{ safe_share('counted.selections', 'counted.runs') }} as share,
        cast(counted.selections as {{ dbt.type_bigint() }}) as selections,
        cast(counted.runs as {{ dbt.type_bigint() }}) as runs,

        -- the human groups' pooled shares
        max(case when human_sides.human_group = 'us_representative' then human_sides.human_share end)
            as human_us_representative,
        max(case when human_sides.human_group = 'ai_practitioners' then human_sides.human_share end)
            as human_ai_practitioners

    from counted
    left join human_sides
        on human_sides.value_a = counted.value_a
        and human_sides.value_b = counted.value_b
        and human_sides.side = counted.side
        and human_sides.measure = counted.measure
        and counted.context = '{{ var("pooled_context_label") }}'
    group by counted.study, counted.model, counted.setting, counted.context, counted.value_a, counted.value_b,
        counted.side, counted.measure, counted.selections, counted.runs

)

select * from final
