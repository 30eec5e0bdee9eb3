-- One row per (study, model, task, setting, context, value) of every rate task: the mean
-- position on the task's scale of the value's mapped answers (1 = the scale's first, lowest
-- level; n_levels = its last) with its sample standard deviation and n, per context and pooled
-- over contexts (context var('pooled_context_label')), from the level counts of
-- rating_level_shares, so both marts count the same answers.
with

levels as (

    select * from {{ ref('rating_level_shares') }}

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
        n_levels,
        is_pooled,
        n_contexts,

        -- measures
        cast(sum(selections) as {{ dbt.type_bigint() }}) as n,
        {{ weighted_mean('level_position', 'selections') }} as mean_position,
        {{ weighted_sd('level_position', 'selections') }} as sd_position,
        cast(max(runs) as {{ dbt.type_bigint() }}) as runs,
        cast(max(runs_all) as {{ dbt.type_bigint() }}) as runs_all

    from levels
    group by study, model, task, setting, context, value, n_levels, is_pooled, n_contexts

)

select * from final
