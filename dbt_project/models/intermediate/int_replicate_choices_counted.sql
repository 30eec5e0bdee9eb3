-- One row per (study, model, item, setting, replicate, status, choice): what each run of each
-- select, rate and trade-off item answered, narrow enough for the Python marts to read at a
-- million answers. The bootstrap behind every ci_low / ci_high resamples replicates (run r of
-- every item of a task together); the marts rebuild per-run hits from these rows. A mapped
-- answer is one row per distinct choice (a T1 value named twice is one row); a refusal or
-- invalid answer is one row with null choice.
with

answers as (

    select * from {{ ref('int_answers') }}
    where task_kind in ('select', 'rate', 'tradeoff')

),

final as (

    select
        -- ids
        study,
        model,
        item,
        setting,
        replicate,
        status,
        choice,

        -- dimensions
        task,
        task_kind,
        context,
        value,

        -- measures
        min(position) as first_position,
        -- a response names a choice once (unique response_id, choice test on answers), so rows are
        -- responses: no distinct count over a million ids
        count(*) as n_responses

    from answers
    group by study, model, item, setting, replicate, status, choice, task, task_kind, context, value

)

select * from final
