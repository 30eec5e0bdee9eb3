-- One row per (study, model) asked: who answered, and whether it is the simulated panel.
with

models as (

    select * from {{ ref('stg_raw__models') }}

),

final as (

    select
        -- ids
        study,
        model,

        -- dimensions
        provider,
        provider_model,
        is_simulated,

        -- timestamps
        added_at

    from models

)

select * from final
