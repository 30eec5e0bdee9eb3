{{ config(materialized='view') }}
-- The answers as readers see them: a view of int_answers (a table), so the rows are stored once
-- and intermediate models never read a mart.
with

answers as (

    select * from {{ ref('int_answers') }}

),

final as (

    select
        -- ids
        response_id,
        external_id,

        -- dimensions
        study,
        model,
        task,
        task_kind,
        item,
        context,
        setting,
        replicate,

        -- the mapped answer
        position,
        choice,
        value,
        match_method,
        status,
        invalid_reason,
        n_choices,
        raw_text,
        -- cut off at the token limit (finish_reason 'length'); parsed like any other answer
        is_truncated

    from answers

)

select * from final
