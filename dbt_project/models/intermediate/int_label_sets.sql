-- The labels of each label set, once (items sharing a label set are matched together).
with

option_labels as (

    select * from {{ ref('int_option_labels') }}

),

final as (

    select distinct
        -- ids
        label_set,
        canonical,
        label_norm,

        -- dimensions
        task_kind,
        k,
        n_options,
        label_type,
        matches_inside_text,
        has_separator,

        -- measures
        label_length,
        label_words

    from option_labels

)

select * from final
