-- One row per (study, model, task, setting, context, conflict, side) of every trade-off task:
-- the share of the conflict's mapped answers that favour side a (value_a), side b (value_b) or
-- neither (side 'neutral': the scale's middle, favoured_value null), at any strength -- the sum
-- of tradeoff_option_shares over the options on that side, per context and pooled over contexts
-- (context var('pooled_context_label')). A group's three sides sum to 1.
with

options as (

    select * from {{ ref('tradeoff_option_shares') }}

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
        side,

        -- dimensions
        favoured_value,
        is_pooled,
        n_contexts,
        cast(count(*) as integer) as n_side_options,

        -- measures
        cast(max(runs) as {{ dbt.type_bigint() }}) as runs,
        cast(sum(selections) as {{ dbt.type_bigint() }}) as selections,
        {{ safe_share('sum(selections)', 'max(runs)') }} as share,
        cast(max(runs_all) as {{ dbt.type_bigint() }}) as runs_all,
        {{ safe_share('sum(selections)', 'max(runs_all)') }} as share_of_all_runs

    from options
    group by study, model, task, setting, context, value_a, value_b, side, favoured_value, is_pooled, n_contexts

)

select * from final
