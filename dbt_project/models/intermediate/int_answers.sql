-- One row per response and answer position: the normalised answer (int_answers_normalised) with
-- the value its choice stands for. The answers mart exposes it; intermediate models read it here.
with

normalised as (

    select * from {{ ref('int_answers_normalised') }}

),

option_values as (

    select distinct study, item, canonical, value
    from {{ ref('stg_raw__options') }}
    where not is_synonym

),

final as (

    select
        -- ids
        normalised.response_id,
        normalised.external_id,

        -- dimensions
        normalised.study,
        normalised.model,
        normalised.task,
        normalised.task_kind,
        normalised.item,
        normalised.context,
        normalised.setting,
        normalised.replicate,

        -- the mapped answer
        normalised.position,
        normalised.choice,
        option_values.value,
        normalised.match_method,
        normalised.status,
        normalised.invalid_reason,
        normalised.n_choices,
        normalised.raw_text,
        -- cut off at the token limit (finish_reason 'length'); parsed like any other answer
        normalised.is_truncated

    from normalised
    left join option_values
        on option_values.study = normalised.study
        and option_values.item = normalised.item
        and option_values.canonical = normalised.choice

)

select * from final
