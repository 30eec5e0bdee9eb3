with

source as (

    select * from {{ source('raw', 'planned_requests') }}

),

renamed as (

    select
        -- ids
        request_key,
        study,
        model,
        item,

        -- dimensions
        task,
        context,
        setting,
        cast(replicate as integer) as replicate

    from source

)

select * from renamed
