with

planned as (

    select * from {{ ref('stg_raw__planned_requests') }}

),

requests as (

    select * from {{ ref('int_requests_summarised') }}

),

answers as (

    select * from {{ ref('answers') }}

),

-- planned and stored requests side by side: one join of the two million-row sets (a key in
-- both has the same study, model and task: the key is a hash of them)
request_rows as (

    select
        coalesce(planned.study, requests.study) as study,
        coalesce(planned.model, requests.model) as model,
        coalesce(planned.task, requests.task) as task,
        planned.request_key as planned_key,
        requests.request_key as stored_key,
        requests.has_ok,
        requests.has_failure,
        requests.n_rows

    from planned
    full outer join requests
        on requests.request_key = planned.request_key

),

request_counts as (

    select
        study,
        model,
        task,
        count(planned_key) as n_planned,
        count(case when planned_key is not null and stored_key is null then 1 end) as n_pending,
        count(case when has_ok = 1 then 1 end) as n_ok,
        count(case when has_ok = 0 then 1 end) as n_failed,
        count(case when has_ok = 1 and has_failure = 1 then 1 end) as n_recovered,
        count(case when has_ok = 1 and planned_key is null then 1 end) as n_unplanned_ok,
        cast(coalesce(sum(n_rows), 0) as {{ dbt.type_bigint() }}) as n_rows

    from request_rows
    group by 1, 2, 3

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
