-- Every row of raw.reference_figures, renamed and typed: 1:1 with the source. One row per
-- (study, load, group, task, context, value, value_b, options): one published human figure of
-- the study's reference files. Null context = pooled over contexts (or a task without contexts).
with

source as (

    select * from {{ source('raw', 'reference_figures') }}

),

renamed as (

    select
        -- ids
        study,
        human_group,
        task,
        context,
        value,
        value_b,
        options,

        -- dimensions
        source_file,
        source_sha256,

        -- measures
        share,
        cast(n_respondents as integer) as n_respondents,

        -- timestamps
        recorded_at

    from source

)

select * from renamed
