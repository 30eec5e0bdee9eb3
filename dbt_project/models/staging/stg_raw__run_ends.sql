with

source as (

    select * from {{ source('raw', 'run_ends') }}

),

renamed as (

    select
        -- ids
        run_id,

        -- dimensions
        outcome,

        -- measures
        planned as n_planned,
        ok as n_ok,
        failed as n_failed,

        -- timestamps
        ended_at

    from source

)

select * from renamed
