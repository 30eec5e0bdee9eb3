-- Distinct answer texts per label set: the unit the normaliser parses. Models repeat
-- themselves ("Very important." thousands of times), so this is far smaller than the answers.
with

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

item_label_sets as (

    select distinct study, item, label_set, task_kind, k, n_options
    from {{ ref('int_option_labels') }}

),

texts as (

    select
        item_label_sets.label_set,
        item_label_sets.task_kind,
        item_label_sets.k,
        item_label_sets.n_options,
        coalesce(responses.response_text, '') as answer_text,
        count(*) as n_responses

    from responses
    inner join item_label_sets
        on item_label_sets.study = responses.study
        and item_label_sets.item = responses.item
    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- ids (hashed once per distinct text, not once per answer)
        md5(label_set || '|' || answer_text) as text_id,
        label_set,

        -- dimensions
        task_kind,
        k,
        n_options,

        -- the answer
        answer_text,

        -- measures
        n_responses

    from texts

)

select * from final
