with

source as (

    select * from {{ source('raw', 'items') }}

),

renamed as (

    select
        -- ids
        study,
        item,

        -- dimensions
        task,
        task_kind,
        context,
        value,
        value_a,
        value_b,
        prompt_template,

        -- measures
        cast(k as integer) as k,
        cast(n_options as integer) as n_options

    from source

)

select * from renamed
