-- Every row of raw.study_checks, typed: 1:1 with the source. A study's thresholds are appended
-- whenever its experiment file changes them; int_study_checks keeps the latest.
with

source as (

    select * from {{ source('raw', 'study_checks') }}

),

renamed as (

    select
        -- ids
        study,

        -- measures
        cast(max_invalid_share as double) as max_invalid_share,
        cast(coverage_alpha as double) as coverage_alpha,

        -- timestamps
        recorded_at

    from source

)

select * from renamed
