-- The answer of record per request: the latest ok row of each request key. raw.responses is
-- append-only (a retried or re-imported request leaves earlier rows as history), so this is
-- where duplicates stop.
with

source as (

    select * from {{ source('raw', 'responses') }}

),

ok_rows as (

    select * from source
    where status = 'ok'

),

-- the latest ok row of each request key (an anti-join, not a window: no sort of a million keys)
latest as (

    select ok_rows.*
    from ok_rows
    where not exists (
        select 1
        from ok_rows as later
        where later.request_key = ok_rows.request_key
            and (later.completed_at > ok_rows.completed_at
                or (later.completed_at = ok_rows.completed_at and later.response_id > ok_rows.response_id))
    )

),

renamed as (

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
        cast(replicate as integer) as replicate,
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

    from latest

)

select * from renamed
