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

request_counts as (

    select
        requests.study,
        requests.model,
        requests.task,
        sum(requests.has_ok) as n_ok,
        sum(case when requests.has_ok = 0 then 1 else 0 end) as n_failed,
        sum(case when requests.has_ok = 1 and requests.has_failure = 1 then 1 else 0 end) as n_recovered,
        sum(case when requests.has_ok = 1 and planned.request_key is null then 1 else 0 end) as n_unplanned_ok,
        sum(requests.n_rows) as n_rows

    from requests
    left join planned
        on planned.request_key = requests.request_key
    group by 1, 2, 3

),

planned_counts as (

    select
        planned.study,
        planned.model,
        planned.task,
        count(*) as n_planned,
        sum(case when requests.request_key is null then 1 else 0 end) as n_pending

    from planned
    left join requests
        on requests.request_key = planned.request_key
    group by 1, 2, 3

),

answer_counts as (

    {{ answer_status_counts('answers', ['study', 'model', 'task']) }}

),

groups as (

    select study, model, task from planned_counts
    union
    select study, model, task from request_counts

),

final as (

    select
        -- ids
        groups.study,
        groups.model,
        groups.task,

        -- requests
        coalesce(planned_counts.n_planned, 0) as n_planned,
        coalesce(request_counts.n_ok, 0) as n_ok,
        coalesce(request_counts.n_failed, 0) as n_failed,
        coalesce(planned_counts.n_pending, 0) as n_pending,
        coalesce(request_counts.n_recovered, 0) as n_recovered,
        coalesce(request_counts.n_unplanned_ok, 0) as n_unplanned_ok,
        coalesce(request_counts.n_rows, 0) as n_response_rows,

        -- answers
        coalesce(answer_counts.runs, 0) as n_mapped,
        coalesce(answer_counts.n_refusals, 0) as n_refusal,
        coalesce(answer_counts.n_invalid, 0) as n_invalid,
        {{ safe_share('coalesce(answer_counts.n_refusals, 0)', 'answer_counts.n_answers') }} as refusal_share,
        {{ safe_share('coalesce(answer_counts.n_invalid, 0)', 'answer_counts.n_answers') }} as invalid_share,
        {{ safe_share('coalesce(request_counts.n_ok, 0)', 'planned_counts.n_planned') }} as completion_share

    from groups
    left join planned_counts
        on planned_counts.study = groups.study
        and planned_counts.model = groups.model
        and planned_counts.task = groups.task
    left join request_counts
        on request_counts.study = groups.study
        and request_counts.model = groups.model
        and request_counts.task = groups.task
    left join answer_counts
        on answer_counts.study = groups.study
        and answer_counts.model = groups.model
        and answer_counts.task = groups.task

)

select * from final
