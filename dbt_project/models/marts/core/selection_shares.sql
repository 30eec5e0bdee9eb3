with

answers as (

    select * from {{ ref('answers') }}

),

measure_options as (

    select * from {{ ref('int_measure_options') }}

),

-- groups that have answers: a task, model or setting not collected yet has no rows
answer_groups as (

    {{ answer_status_counts('answers', ['study', 'model', 'task', 'task_kind', 'item', 'context', 'setting']) }}

),

measures as (

    select distinct study, item, value, opponent, measure
    from measure_options

),

items as (

    select study, item, k from {{ ref('stg_raw__items') }}

),

-- mapped runs of a select item that name fewer values than the item asks for (k): partial
-- answers, counted as runs like any mapped answer but shown as partial
partial_runs as (

    select per_run.study, per_run.model, per_run.item, per_run.setting, count(*) as n_partial
    from (
        select study, model, item, setting, response_id, count(*) as n_choices
        from answers
        where status = 'mapped' and task_kind = 'select'
        group by 1, 2, 3, 4, 5
    ) as per_run
    inner join items
        on items.study = per_run.study
        and items.item = per_run.item
    where per_run.n_choices < items.k
    group by 1, 2, 3, 4

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
        {{ safe_share('coalesce(selections.selections, 0)', 'answer_groups.runs') }} as share,
        answer_groups.runs + answer_groups.n_refusals + answer_groups.n_invalid as runs_all,
        {{ safe_share('coalesce(selections.selections, 0)',
                      '(answer_groups.runs + answer_groups.n_refusals + answer_groups.n_invalid)') }}
            as share_of_all_runs,
        case when answer_groups.task_kind = 'select' then coalesce(partial_runs.n_partial, 0) end as n_partial

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
    left join partial_runs
        on partial_runs.study = answer_groups.study
        and partial_runs.model = answer_groups.model
        and partial_runs.item = answer_groups.item
        and partial_runs.setting = answer_groups.setting

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
        end as rank,
        runs_all,
        share_of_all_runs,
        n_partial

    from shares

)

select * from final
