with

source as (

    select * from {{ source('raw', 'options') }}

),

renamed as (

    select
        -- ids
        study,
        item,
        option_key,

        -- dimensions
        label,
        canonical,
        value,
        cast(ordinal as integer) as ordinal,
        is_synonym

    from source

)

select * from renamed
