-- One row per (study, model, task) planned or stored: how far collection got, counted once per
-- request (planned, ok, failed after retries, pending, recovered, ok but unplanned, raw rows).
-- The warehouse's response_status mart adds how the answers mapped; `aligned status` runs this
-- model's own SQL on the raw tables before any build (aligned.warehouse.model_sql), so the two
-- never disagree on what a request's status is.
with

planned as (

    select * from {{ ref('stg_raw__planned_requests') }}

),

requests as (

    select * from {{ ref('int_requests_summarised') }}

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

final as (

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

)

select * from final
