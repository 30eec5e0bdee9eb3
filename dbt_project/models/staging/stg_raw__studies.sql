with

source as (

    select * from {{ source('raw', 'studies') }}

),

-- raising a study's `replicates` appends a row (raw is append-only): the latest row, with the
-- highest count, is the study's
latest as (

    select
        *,
        row_number() over (
            partition by study
            order by replicates desc, recorded_at desc
        ) as row_rank

    from source

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

    from latest
    where row_rank = 1

)

select * from renamed
