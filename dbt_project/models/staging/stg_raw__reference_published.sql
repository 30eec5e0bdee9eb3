-- Every row of raw.reference_published, renamed and typed: 1:1 with the source. One row per
-- (study, load, task, statistic): a model-side result the study's paper publishes, for the
-- report to compare with.
with

source as (

    select * from {{ source('raw', 'reference_published') }}

),

renamed as (

    select
        -- ids
        study,
        task,
        statistic,

        -- dimensions
        text,

        -- measures
        value,
        cast(n as integer) as n,

        -- timestamps
        recorded_at

    from source

)

select * from renamed
