{{ config(store_failures=true) }}

-- The bootstrap marts take their point estimates from selection_shares and resample per-run hits
-- rebuilt from int_replicate_choices_counted (a rate or trade-off run counts its first choice).
-- The two agree when every mapped rate or trade-off run chose one option and both count the same
-- runs. Names each (study, model, item, setting) where they would not, so no interval is built
-- around a different estimate than the share it reports.
with

choices as (

    select * from {{ ref('int_replicate_choices_counted') }}
    where status = 'mapped'

),

shares as (

    select * from {{ ref('selection_shares') }}

),

mapped_runs as (

    select
        study,
        model,
        item,
        setting,
        task_kind,
        replicate,
        count(*) as n_choices

    from choices
    group by study, model, item, setting, task_kind, replicate

),

runs_per_item as (

    select
        study,
        model,
        item,
        setting,
        count(*) as n_runs,
        sum(case when task_kind in ('rate', 'tradeoff') and n_choices > 1 then 1 else 0 end) as n_runs_with_two_choices

    from mapped_runs
    group by study, model, item, setting

),

share_runs as (

    select distinct study, model, item, setting, runs
    from shares
    where task_kind in ('select', 'rate', 'tradeoff')

),

final as (

    select
        share_runs.study,
        share_runs.model,
        share_runs.item,
        share_runs.setting,
        share_runs.runs as runs_in_selection_shares,
        coalesce(runs_per_item.n_runs, 0) as runs_in_choices,
        coalesce(runs_per_item.n_runs_with_two_choices, 0) as n_runs_with_two_choices

    from share_runs
    left join runs_per_item
        on runs_per_item.study = share_runs.study
        and runs_per_item.model = share_runs.model
        and runs_per_item.item = share_runs.item
        and runs_per_item.setting = share_runs.setting

)

select * from final
where runs_in_selection_shares <> runs_in_choices
    or n_runs_with_two_choices > 0
