with

answers as (

    select * from {{ ref('answers') }}
    where status = 'invalid'

),

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

final as (

    select
        -- ids
        answers.response_id,
        responses.request_key,
        answers.external_id,

        -- dimensions
        answers.study,
        answers.model,
        answers.task,
        answers.task_kind,
        answers.item,
        answers.context,
        answers.setting,
        answers.replicate,
        answers.invalid_reason,

        -- what was asked and answered
        responses.labels_shown,
        responses.response_text as raw_text,

        -- timestamps
        responses.completed_at

    from answers
    inner join responses
        on responses.response_id = answers.response_id

)

select * from final
