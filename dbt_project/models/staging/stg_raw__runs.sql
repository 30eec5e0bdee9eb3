with

source as (

    select * from {{ source('raw', 'runs') }}

),

renamed as (

    select
        -- ids
        run_id,
        study,

        -- dimensions
        kind as run_kind,
        experiment_hash,
        options as run_options,
        collector_version,

        -- timestamps
        started_at

    from source

)

select * from renamed
