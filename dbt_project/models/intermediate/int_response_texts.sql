{{ config(materialized="view") }}  {# computed once, inside answers #}

-- Each ok answer with the key of its text (int_answer_texts: md5(label set | text), hashed once
-- per distinct text and found here by a join on the text itself). Answers are parsed once per
-- distinct text_id; this view carries the parse back to the responses, with the dimensions the
-- marts need (so they never re-read the raw answers).
with

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

item_label_sets as (

    select distinct study, item, label_set, task_kind
    from {{ ref('int_option_labels') }}

),

answer_texts as (

    select text_id, label_set, answer_text
    from {{ ref('int_answer_texts') }}

),

final as (

    select
        -- ids
        responses.response_id,
        answer_texts.text_id,
        responses.request_key,
        responses.external_id,

        -- dimensions
        responses.study,
        responses.model,
        responses.task,
        item_label_sets.task_kind,
        responses.item,
        responses.context,
        responses.setting,
        responses.replicate,
        -- only rank answers need the order shown (story numbers refer to it)
        case when item_label_sets.task_kind = 'rank' then responses.options_shown end as options_shown,

        -- the answer
        responses.response_text,
        -- cut off at the token limit: parsed like any answer, flagged in answers.is_truncated
        coalesce(responses.finish_reason = 'length', false) as is_truncated,

        -- timestamps
        responses.completed_at

    from responses
    inner join item_label_sets
        on item_label_sets.study = responses.study
        and item_label_sets.item = responses.item
    inner join answer_texts
        on answer_texts.label_set = item_label_sets.label_set
        and answer_texts.answer_text = coalesce(responses.response_text, '')

)

select * from final
