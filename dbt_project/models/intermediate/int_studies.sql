-- One row per study: its current design row. Raising a study's `replicates` appends a row to
-- raw.studies (append-only); the latest row, with the highest count, is the study's.
with

studies as (

    select * from {{ ref('stg_raw__studies') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by study
            order by replicates desc, recorded_at desc
        ) as row_rank

    from studies

),

final as (

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
        replicates,

        -- timestamps
        recorded_at

    from ranked
    where row_rank = 1

)

select * from final
