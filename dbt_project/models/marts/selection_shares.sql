with

answers as (

    select * from {{ ref('answers') }}

),

items as (

    select * from {{ ref('stg_raw__items') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

-- groups that have answers: a task, model or setting not collected yet has no rows
answer_groups as (

    {{ answer_status_counts('answers', ['study', 'model', 'task', 'task_kind', 'item', 'context', 'setting']) }}

),

-- what each measure counts ----------------------------------------------------------------

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

measure_options as (

    select * from select_measures
    union all
    select * from rate_measures
    union all
    select * from tradeoff_measures

),

measures as (

    select distinct study, item, value, opponent, measure
    from measure_options

),

-- counting --------------------------------------------------------------------------------

selections as (

    select
        answers.study,
        answers.model,
        answers.item,
        answers.setting,
        measure_options.value,
        measure_options.measure,
        -- a response names a choice once (unique response_id, choice on answers) and a measure lists an
        -- option once, so rows are responses: no distinct count over a million ids
        count(*) as selections

    from answers
    inner join measure_options
        on measure_options.study = answers.study
        and measure_options.item = answers.item
        and measure_options.canonical = answers.choice
    where answers.status = 'mapped'
    group by 1, 2, 3, 4, 5, 6

),

shares as (

    select
        answer_groups.study,
        answer_groups.model,
        answer_groups.task,
        answer_groups.task_kind,
        answer_groups.item,
        coalesce(answer_groups.context, '{{ var("no_context_label") }}') as context,
        answer_groups.setting,
        measures.value,
        measures.opponent,
        measures.measure,
        answer_groups.runs,
        answer_groups.n_refusals,
        answer_groups.n_invalid,
        coalesce(selections.selections, 0) as selections,
        {{ safe_share('coalesce(selections.selections, 0)', 'answer_groups.runs') }} as share

    from answer_groups
    inner join measures
        on measures.study = answer_groups.study
        and measures.item = answer_groups.item
    left join selections
        on selections.study = answer_groups.study
        and selections.model = answer_groups.model
        and selections.item = answer_groups.item
        and selections.setting = answer_groups.setting
        and selections.value = measures.value
        and selections.measure = measures.measure

),

final as (

    select
        -- ids
        study,
        model,
        task,
        item,
        setting,
        value,
        measure,

        -- dimensions
        task_kind,
        context,
        opponent,

        -- measures
        runs,
        n_refusals,
        n_invalid,
        selections,
        share,
        case when task_kind in ('select', 'rate') then
            {{ average_rank('share', 'study, model, task, context, setting, measure, task_kind') }}
        end as rank

    from shares

)

select * from final
