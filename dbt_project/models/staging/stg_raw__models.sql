with

source as (

    select * from {{ source('raw', 'models') }}

),

renamed as (

    select
        -- ids
        study,
        model,

        -- dimensions
        provider,
        provider_model,
        base_url,
        is_simulated,

        -- timestamps
        added_at

    from source

)

select * from renamed
