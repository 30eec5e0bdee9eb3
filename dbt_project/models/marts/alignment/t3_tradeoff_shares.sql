-- One row per (study, model, setting, context, conflict, side, measure): the share of a
-- conflict's mapped answers that favour the side at the measure's strength, pooled over both
-- question directions and, under context var('pooled_context_label'), over every context too,
-- beside the study's human figures for the same (context, side, measure) from
-- int_reference_figures (joined on study; the shipped reference gives pooled figures only, so
-- its per-context rows have null human shares). Conflicts are oriented by int_tradeoff_sides.
-- The human columns are wide, one per group id in var('t3_tradeoff_shares_group_columns') (kept
-- for the queries of docs/bi.md); every group of every study is in int_reference_figures and
-- the long mart human_alignment.
{%- set group_columns = var('t3_tradeoff_shares_group_columns', []) %}
with

shares as (

    select * from {{ ref('selection_shares') }}
    where task_kind = 'tradeoff'

),

sides as (

    select * from {{ ref('int_tradeoff_sides') }}

),

human as (

    select * from {{ ref('int_reference_figures') }}
    where task_kind = 'tradeoff'
        and measure is not null

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
        shares.runs,
        shares.runs_all

    from shares
    inner join sides
        on sides.study = shares.study
        and sides.item = shares.item
        and sides.value = shares.value

),

per_context as (

    select study, model, setting, context, value_a, value_b, side, measure,
        sum(selections) as selections, sum(runs) as runs, sum(runs_all) as runs_all
    from item_sides
    group by study, model, setting, context, value_a, value_b, side, measure

),

pooled as (

    select study, model, setting, '{{ var("pooled_context_label") }}' as context, value_a, value_b, side, measure,
        sum(selections) as selections, sum(runs) as runs, sum(runs_all) as runs_all
    from item_sides
    group by study, model, setting, value_a, value_b, side, measure

),

counted as (

    select * from per_context
    union all
    select * from pooled

),

-- the reference per (conflict, side, measure), in int_tradeoff_sides' orientation: a figure
-- written the other way round (its value is the conflict's value_b) is the other side's
human_sides as (

    select
        human.study,
        human.human_group,
        human.context,
        sides.value_a,
        sides.value_b,
        case when human.value = sides.value_a then human.side
            when human.side = 'a' then 'b' else 'a' end as side,
        human.measure,
        human.share as human_share

    from human
    inner join (select distinct study, task, value_a, value_b from sides) as sides
        on sides.study = human.study
        and sides.task = human.task
        and ((sides.value_a = human.value and sides.value_b = human.value_b)
            or (sides.value_a = human.value_b and sides.value_b = human.value))

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

        -- measures; then the study's human groups' shares, one column per listed group id
        {{ safe_share('counted.selections', 'counted.runs') }} as share,
        cast(counted.selections as {{ dbt.type_bigint() }}) as selections,
        cast(counted.runs as {{ dbt.type_bigint() }}) as runs,
        -- of every run with a response (refusals and invalid answers too): the alignment marts' share
        {{ safe_share('counted.selections', 'counted.runs_all') }} as share_of_all_runs,
        cast(counted.runs_all as {{ dbt.type_bigint() }}) as runs_all
        {%- for group_id in group_columns %},
        max(case when human_sides.human_group = '{{ group_id }}' then human_sides.human_share end)
            as human_{{ group_id }}
        {%- endfor %}

    from counted
    left join human_sides
        on human_sides.study = counted.study
        and human_sides.context = counted.context
        and human_sides.value_a = counted.value_a
        and human_sides.value_b = counted.value_b
        and human_sides.side = counted.side
        and human_sides.measure = counted.measure
    group by counted.study, counted.model, counted.setting, counted.context, counted.value_a, counted.value_b,
        counted.side, counted.measure, counted.selections, counted.runs, counted.runs_all

)

select * from final
