with

source as (

    select * from {{ source('raw', 'studies') }}

),

renamed as (

    select
        -- ids
        study,
        design_hash,
        experiment_hash,

        -- dimensions
        description,
        experiment_path,
        system_prompt,
        generation_params,
        collector_version,

        -- measures
        cast(replicates as integer) as replicates,

        -- timestamps
        recorded_at

    from source

)

select * from renamed
