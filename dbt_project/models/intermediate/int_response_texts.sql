{{ config(materialized="view") }}  {# computed once, inside answers #}

-- Each ok answer with the key of its text: text_id = md5(label set | text). Answers are parsed
-- once per distinct text_id (int_answer_texts); this table carries the parse back to the
-- responses, with the dimensions the marts need (so they never re-read the raw answers).
with

responses as (

    select * from {{ ref('stg_raw__responses') }}

),

item_label_sets as (

    select distinct study, item, label_set, task_kind
    from {{ ref('int_option_labels') }}

),

final as (

    select
        -- ids
        responses.response_id,
        md5(item_label_sets.label_set || '|' || coalesce(responses.response_text, '')) as text_id,
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

        -- timestamps
        responses.completed_at

    from responses
    inner join item_label_sets
        on item_label_sets.study = responses.study
        and item_label_sets.item = responses.item

)

select * from final
