-- One row per (study, model, task, setting, context, value) of every rank task: the mean and
-- sample standard deviation of the position the value's story got (1 = first) over the
-- answers that placed it (n_placed), per context and pooled over contexts (context
-- var('pooled_context_label')), from the placements of ranking_positions, and the value's
-- rank by mean position within its group (1 = first; ties get the average of their ranks).
with

positions as (

    select * from {{ ref('ranking_positions') }}

),

means as (

    select
        study,
        model,
        task,
        setting,
        context,
        value,
        is_pooled,
        n_contexts,
        max(n_stories) as n_stories,
        count(*) as n_positions,
        sum(placements) as n_placed,
        max(runs) as runs,
        max(runs_all) as runs_all,
        {{ weighted_mean('position', 'placements') }} as mean_rank,
        {{ weighted_sd('position', 'placements') }} as sd_rank

    from positions
    group by study, model, task, setting, context, value, is_pooled, n_contexts

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

        -- dimensions
        is_pooled,
        n_contexts,
        cast(n_stories as {{ dbt.type_bigint() }}) as n_stories,
        cast(n_positions as integer) as n_positions,

        -- measures
        cast(n_placed as {{ dbt.type_bigint() }}) as n_placed,
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(runs_all as {{ dbt.type_bigint() }}) as runs_all,
        mean_rank,
        sd_rank,
        {{ average_rank('mean_rank', 'study, model, task, setting, context', descending=false) }} as rank

    from means

)

select * from final
