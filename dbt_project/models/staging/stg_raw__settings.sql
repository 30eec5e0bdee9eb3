with

source as (

    select * from {{ source('raw', 'settings') }}

),

renamed as (

    select
        -- ids
        study,
        task,
        setting,

        -- dimensions
        {{ adapter.quote('order') }} as option_order,
        labels as label_set

    from source

)

select * from renamed
