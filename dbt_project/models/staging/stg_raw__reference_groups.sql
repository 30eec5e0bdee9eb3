-- Every row of raw.reference_groups, renamed and typed: 1:1 with the source. One row per
-- (study, load, human group); each load of a study's `reference:` block appends its rows with
-- one recorded_at, and int_reference_figures keeps the latest load per study.
with

source as (

    select * from {{ source('raw', 'reference_groups') }}

),

renamed as (

    select
        -- ids
        study,
        human_group,

        -- dimensions
        label,
        citation,
        caveats,

        -- measures
        cast(n_respondents as integer) as n_respondents,

        -- timestamps
        recorded_at

    from source

)

select * from renamed
