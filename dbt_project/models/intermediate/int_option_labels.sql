-- Every text an answer may use for an option, normalised for matching. Built only from
-- raw.options (the design as the collector recorded it), so a value, synonym, scale level or
-- story added to the experiment file is matched with no code change.
with

options as (

    select * from {{ ref('stg_raw__options') }}

),

items as (

    select * from {{ ref('stg_raw__items') }}

),

option_labels as (

    select
        options.study,
        options.item,
        items.task_kind,
        options.canonical,
        options.value,
        options.label,
        case when options.is_synonym then 'synonym' else 'label' end as label_type

    from options
    inner join items
        on items.study = options.study
        and items.item = options.item

),

-- a rank answer may name a story by its value ("Privacy") or its id ("autonomy"):
-- these match only a whole piece of the answer, never inside a longer text
story_names as (

    select study, item, task_kind, canonical, value, value as label, 'story_value' as label_type
    from option_labels
    where task_kind = 'rank' and label_type = 'label' and value is not null

    union all

    select study, item, task_kind, canonical, value, canonical as label, 'story_id' as label_type
    from option_labels
    where task_kind = 'rank' and label_type = 'label'

),

all_labels as (

    select * from option_labels
    union all
    select * from story_names

),

normalised as (

    select
        *,
        {{ normalise_text('label') }} as label_norm,
        case label_type when 'label' then 1 when 'synonym' then 2 when 'story_value' then 3 else 4 end
            as label_priority

    from all_labels

),

-- one row per distinct normalised text and option (a story id equal to its value collapses)
deduplicated as (

    select
        *,
        row_number() over (
            partition by study, item, label_norm, canonical
            order by label_priority
        ) as duplicate_rank

    from normalised
    where label_norm <> ''

),

labels as (

    select * from deduplicated
    where duplicate_rank = 1

),

-- items whose answers read the same way (same kind, k and labels: the 28 T2 items, one T3
-- direction across contexts) share a label set, so each distinct answer is parsed once
label_sets as (

    select
        labels.study,
        labels.item,
        md5(
            labels.task_kind || '|' || coalesce(cast(items.k as {{ dbt.type_string() }}), '') || '|'
            || cast(items.n_options as {{ dbt.type_string() }}) || '|'
            || {{ dbt.listagg("labels.label_norm || '=' || labels.canonical || '=' || labels.label_type", "'|'",
                              "order by labels.label_norm, labels.canonical, labels.label_type") }}
        ) as label_set

    from labels
    inner join items
        on items.study = labels.study
        and items.item = labels.item
    group by labels.study, labels.item, labels.task_kind, items.k, items.n_options

),

final as (

    select
        -- ids
        labels.study,
        labels.item,
        labels.canonical,
        labels.label_norm,
        label_sets.label_set,

        -- dimensions
        labels.task_kind,
        items.k,
        items.n_options,
        labels.value,
        labels.label,
        labels.label_type,
        labels.label_type in ('label', 'synonym') as matches_inside_text,
        -- a name containing a list separator ("Ethics and Responsibility", "Safety & Security"):
        -- matched whole before an answer is cut into pieces (int_answer_pieces)
        labels.task_kind <> 'rank' and {{ regexp_matches('lower(labels.label)', answer_piece_pattern()) }}
            as has_separator,

        -- measures
        length(labels.label_norm) as label_length,
        {{ word_count('labels.label_norm') }} as label_words

    from labels
    inner join label_sets
        on label_sets.study = labels.study
        and label_sets.item = labels.item
    inner join items
        on items.study = labels.study
        and items.item = labels.item

)

select * from final
