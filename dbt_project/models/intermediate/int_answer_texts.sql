-- Distinct answer texts per label set: the unit the normaliser parses. Models repeat
-- themselves ("Very important." thousands of times), so this is far smaller than the answers.
with

responses as (

    select * from {{ ref('stg_raw__responses') }}

),

item_label_sets as (

    select distinct study, item, label_set, task_kind, k, n_options
    from {{ ref('int_option_labels') }}

),

texts as (

    select
        md5(item_label_sets.label_set || '|' || coalesce(responses.response_text, '')) as text_id,
        item_label_sets.label_set,
        item_label_sets.task_kind,
        item_label_sets.k,
        item_label_sets.n_options,
        coalesce(responses.response_text, '') as answer_text

    from responses
    inner join item_label_sets
        on item_label_sets.study = responses.study
        and item_label_sets.item = responses.item

),

final as (

    select
        -- ids
        text_id,
        label_set,

        -- dimensions
        task_kind,
        k,
        n_options,

        -- the answer
        min(answer_text) as answer_text,

        -- measures
        count(*) as n_responses

    from texts
    group by text_id, label_set, task_kind, k, n_options

)

select * from final
