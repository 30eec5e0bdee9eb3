-- Every stored row of raw.responses, ok or failed: the history the status report counts from.
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

        -- dimensions
        study,
        model,
        item,
        task,
        setting,
        cast(replicate as integer) as replicate,
        status as attempt_status,
        error,
        http_status,

        -- measures
        attempts,

        -- timestamps
        completed_at

    from source

)

select * from renamed
