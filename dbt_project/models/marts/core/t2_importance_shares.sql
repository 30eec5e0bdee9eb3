-- One row per (study, model, task, setting, context, value, measure) of the rate task: the
-- share of mapped answers at the measure per context (selection_shares) and, under context
-- var('pooled_context_label'), their mean over the contexts the model was asked in, as the
-- human reference averages its contexts (runs: the sum of theirs).
with

shares as (

    select * from {{ ref('selection_shares') }}
    where task_kind = 'rate'
        and context <> '{{ var("pooled_context_label") }}'

),

per_context as (

    select
        study,
        model,
        task,
        setting,
        context,
        value,
        measure,
        share,
        runs,
        share_of_all_runs,
        false as is_pooled

    from shares

),

pooled as (

    select
        study,
        model,
        task,
        setting,
        '{{ var("pooled_context_label") }}' as context,
        value,
        measure,
        avg(share) as share,
        sum(runs) as runs,
        avg(share_of_all_runs) as share_of_all_runs,
        true as is_pooled

    from shares
    group by study, model, task, setting, value, measure

),

final as (

    select * from per_context
    union all
    select * from pooled

)

select
    -- ids
    study,
    model,
    task,
    setting,
    context,
    value,
    measure,

    -- measures
    share,
    cast(runs as {{ dbt.type_bigint() }}) as runs,
    is_pooled,
    share_of_all_runs

from final
