-- Every stored row of raw.responses, ok or failed, renamed and typed: 1:1 with the source.
-- raw.responses is append-only (a retried or re-imported request leaves earlier rows as
-- history); the answer of record of each request is chosen in int_responses_of_record.
with

source as (

    select * from {{ source('raw', 'responses') }}

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

        -- the outcome
        status,
        error,
        http_status,
        response_text,

        -- measures
        attempts,
        latency_ms,
        prompt_tokens,
        completion_tokens,
        cost_usd,

        -- timestamps
        requested_at,
        completed_at,

        -- provenance
        collector_version

    from source

)

select * from renamed
