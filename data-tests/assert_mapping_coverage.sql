{{ config(store_failures=true) }}

-- The share of invalid answers (neither mapped nor a refusal) per (study, model, task) stays at
-- or below var('max_invalid_share'). A failing group is returned with its most frequent invalid
-- answers (up to five), so the failure shows what the normaliser could not read. Reads leaf
-- marts only, so a failure does not stop the other marts from building.
with

response_status as (

    select * from {{ ref('response_status') }}

),

unmapped_answers as (

    select * from {{ ref('unmapped_answers') }}

),

failing_groups as (

    select
        study,
        model,
        task,
        n_ok as n_answers,
        n_invalid,
        invalid_share

    from response_status
    where invalid_share > {{ var('max_invalid_share') }}

),
invalid_texts as (

    select
        study,
        model,
        task,
        invalid_reason,
        raw_text,
        count(*) as n_same_answer,
        min(response_id) as example_response_id

    from unmapped_answers
    group by 1, 2, 3, 4, 5

),

ranked_texts as (

    select
        *,
        row_number() over (
            partition by study, model, task
            order by n_same_answer desc, example_response_id
        ) as example_rank

    from invalid_texts

),

offending as (

    select
        failing_groups.study,
        failing_groups.model,
        failing_groups.task,
        failing_groups.n_answers,
        failing_groups.n_invalid,
        failing_groups.invalid_share,
        {{ var('max_invalid_share') }} as max_invalid_share,
        ranked_texts.example_rank,
        ranked_texts.invalid_reason,
        ranked_texts.n_same_answer,
        ranked_texts.example_response_id,
        ranked_texts.raw_text

    from failing_groups
    inner join ranked_texts
        on ranked_texts.study = failing_groups.study
        and ranked_texts.model = failing_groups.model
        and ranked_texts.task = failing_groups.task
    where ranked_texts.example_rank <= 5

)

select * from offending
