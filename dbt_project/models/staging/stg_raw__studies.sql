-- Every row of raw.studies, renamed and typed: 1:1 with the source. Raising a study's
-- `replicates` appends a row (raw is append-only); the study's current row is chosen in
-- int_studies.
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
        experiment_text,
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
