with

request_counts as (

    select * from {{ ref('int_request_status') }}

),

answers as (

    select * from {{ ref('answers') }}

),

answer_counts as (

    {{ answer_status_counts('answers', ['study', 'model', 'task']) }}

),

final as (

    select
        -- ids
        request_counts.study,
        request_counts.model,
        request_counts.task,

        -- requests
        request_counts.n_planned,
        request_counts.n_ok,
        request_counts.n_failed,
        request_counts.n_pending,
        request_counts.n_recovered,
        request_counts.n_unplanned_ok,
        request_counts.n_rows as n_response_rows,

        -- answers
        coalesce(answer_counts.runs, 0) as n_mapped,
        coalesce(answer_counts.n_refusals, 0) as n_refusal,
        coalesce(answer_counts.n_invalid, 0) as n_invalid,
        {{ safe_share('coalesce(answer_counts.n_refusals, 0)', 'answer_counts.n_answers') }} as refusal_share,
        {{ safe_share('coalesce(answer_counts.n_invalid, 0)', 'answer_counts.n_answers') }} as invalid_share,
        {{ safe_share('request_counts.n_ok', 'request_counts.n_planned') }} as completion_share

    from request_counts
    left join answer_counts
        on answer_counts.study = request_counts.study
        and answer_counts.model = request_counts.model
        and answer_counts.task = request_counts.task

)

select * from final
