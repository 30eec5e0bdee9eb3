{{ config(materialized="view") }}  {# read once, by answers; tested there #}

-- Each ok answer reduced to its choices: the parse of its text (int_text_choices), with rank
-- answers' story numbers resolved against the options shown in that request (1-based; file
-- order when an import has no options_shown). A rank answer naming a number that was not
-- shown, a story twice, or fewer than two stories is invalid; otherwise it keeps the stories
-- found, in order.
with

response_texts as (

    select * from {{ ref('int_response_texts') }}

),

text_choices as (

    select * from {{ ref('int_text_choices') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

-- everything but mapped rank answers is final as parsed
settled as (

    select
        response_texts.response_id,
        response_texts.request_key,
        response_texts.external_id,
        response_texts.study,
        response_texts.model,
        response_texts.task,
        response_texts.task_kind,
        response_texts.item,
        response_texts.context,
        response_texts.setting,
        response_texts.replicate,
        response_texts.completed_at,
        response_texts.is_truncated,
        text_choices.position,
        text_choices.choice,
        text_choices.match_method,
        text_choices.status,
        text_choices.invalid_reason,
        text_choices.n_choices,
        case when text_choices.status <> 'mapped' then response_texts.response_text end as raw_text

    from response_texts
    inner join text_choices
        on text_choices.text_id = response_texts.text_id
    where response_texts.task_kind <> 'rank' or text_choices.status <> 'mapped'

),

joined as (

    select
        response_texts.response_id,
        response_texts.study,
        response_texts.item,
        response_texts.task_kind,
        response_texts.options_shown,
        response_texts.request_key,
        response_texts.external_id,
        response_texts.model,
        response_texts.task,
        response_texts.context,
        response_texts.setting,
        response_texts.replicate,
        response_texts.completed_at,
        response_texts.is_truncated,
        text_choices.position,
        text_choices.choice,
        text_choices.story_number,
        text_choices.match_method,
        response_texts.response_text as raw_text

    from response_texts
    inner join text_choices
        on text_choices.text_id = response_texts.text_id
    where response_texts.task_kind = 'rank'
        and text_choices.status = 'mapped'

),

-- rank: story numbers -> stories ------------------------------------------------------------

rank_hits as (

    select
        joined.response_id,
        joined.request_key, joined.external_id, joined.study, joined.model, joined.task, joined.task_kind, joined.item, joined.context, joined.setting, joined.replicate, joined.completed_at, joined.is_truncated,
        joined.position,
        case
            when joined.story_number is null then joined.choice
            when joined.options_shown is not null then shown_option.canonical
            else file_option.canonical
        end as choice,
        joined.match_method,
        joined.raw_text

    from joined
    left join options as shown_option
        on shown_option.study = joined.study
        and shown_option.item = joined.item
        and shown_option.option_key = {{ array_element('joined.options_shown', 'joined.story_number') }}
    left join options as file_option
        on file_option.study = joined.study
        and file_option.item = joined.item
        and file_option.ordinal = joined.story_number
        and joined.options_shown is null

),

rank_checks as (

    select
        response_id, request_key, external_id, study, model, task, task_kind, item, context, setting, replicate, completed_at,
        is_truncated,
        raw_text,
        count(*) as n_hits,
        count(choice) as n_stories,
        count(distinct choice) as n_distinct_stories

    from rank_hits
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14

),

rank_mapped as (

    select
        rank_hits.response_id,
        rank_hits.request_key, rank_hits.external_id, rank_hits.study, rank_hits.model, rank_hits.task, rank_hits.task_kind, rank_hits.item, rank_hits.context, rank_hits.setting, rank_hits.replicate, rank_hits.completed_at,
        rank_hits.is_truncated,
        rank_hits.position,
        rank_hits.choice,
        rank_hits.match_method,
        'mapped' as status,
        cast(null as {{ dbt.type_string() }}) as invalid_reason,
        rank_checks.n_hits as n_choices,
        cast(null as {{ dbt.type_string() }}) as raw_text

    from rank_hits
    inner join rank_checks
        on rank_checks.response_id = rank_hits.response_id
    where rank_checks.n_stories = rank_checks.n_hits
        and rank_checks.n_distinct_stories = rank_checks.n_hits
        and rank_checks.n_hits >= 2

),

rank_invalid as (

    select
        response_id, request_key, external_id, study, model, task, task_kind, item, context, setting, replicate, completed_at,
        is_truncated,
        cast(null as {{ dbt.type_int() }}) as position,
        cast(null as {{ dbt.type_string() }}) as choice,
        'invalid' as match_method,
        'invalid' as status,
        case
            when n_stories < n_hits then 'out_of_range'
            when n_distinct_stories < n_stories then 'duplicate_story'
            else 'too_few_stories'
        end as invalid_reason,
        0 as n_choices,
        raw_text

    from rank_checks
    where n_stories < n_hits or n_distinct_stories < n_stories or n_hits < 2

),

final as (

    select * from settled
    union all
    select * from rank_mapped
    union all
    select * from rank_invalid

)

select * from final
