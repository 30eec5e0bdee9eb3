{{ config(materialized='view') }}
-- The answer of record per request: the latest ok row of each request key (by completed_at,
-- then response_id). raw.responses is append-only (a retried or re-imported request leaves
-- earlier rows as history), so this is where duplicates stop; every model that reads answers
-- reads them through here. A view: its readers filter it differently, and a table would copy
-- every response text once more.
with

responses as (

    select * from {{ ref('stg_raw__responses') }}

),

ok_rows as (

    select * from responses
    where status = 'ok'

),

-- Keys with two ok rows are rare (a re-import, two collectors at once), so they are found first
-- with one aggregate, and only their rows are compared with each other: no self-join of a
-- million keys.
repeated_keys as (

    select request_key
    from ok_rows
    group by request_key
    having count(*) > 1

),

repeated_rows as (

    select
        ok_rows.request_key,
        ok_rows.response_id,
        ok_rows.completed_at

    from ok_rows
    inner join repeated_keys
        on repeated_keys.request_key = ok_rows.request_key

),

superseded as (

    select repeated_rows.response_id
    from repeated_rows
    where exists (
        select 1
        from repeated_rows as later
        where later.request_key = repeated_rows.request_key
            and (later.completed_at > repeated_rows.completed_at
                or (later.completed_at = repeated_rows.completed_at
                    and later.response_id > repeated_rows.response_id))
    )

),

final as (

    select
        -- ids
        response_id,
        request_key,
        run_id,
        external_id,

        -- dimensions
        study,
        model,
        provider,
        provider_model,
        response_model,
        item,
        task,
        context,
        setting,
        replicate,
        options_shown,
        labels_shown,
        finish_reason,

        -- the answer
        response_text,

        -- measures
        attempts,
        latency_ms,
        prompt_tokens,
        completion_tokens,
        cost_usd,

        -- timestamps
        requested_at,
        completed_at

    from ok_rows
    where not exists (
        select 1
        from superseded
        where superseded.response_id = ok_rows.response_id
    )

)

select * from final
