-- One row per study: its design as recorded, when its answers were collected, and the labels the
-- warehouse gives to contexts (dbt vars), so readers such as the report need no other source.
with

studies as (

    select * from {{ ref('int_studies') }}

),

responses as (

    select * from {{ ref('stg_raw__responses') }}

),

collected as (

    select
        study,
        min(coalesce(requested_at, completed_at)) as first_requested_at,
        max(completed_at) as last_completed_at,
        count(*) as n_response_rows,
        min(collector_version) as min_collector_version,
        max(collector_version) as max_collector_version

    from responses
    group by study

),

final as (

    select
        -- ids
        studies.study,

        -- the design
        studies.description,
        studies.experiment_text,
        studies.replicates,
        studies.design_hash,
        studies.collector_version as design_collector_version,
        studies.recorded_at,

        -- the collection
        collected.first_requested_at,
        collected.last_completed_at,
        cast(coalesce(collected.n_response_rows, 0) as {{ dbt.type_bigint() }}) as n_response_rows,
        collected.min_collector_version,
        collected.max_collector_version,

        -- labels the marts use
        cast('{{ var("pooled_context_label") }}' as {{ dbt.type_string() }}) as pooled_context_label,
        cast('{{ var("no_context_label") }}' as {{ dbt.type_string() }}) as no_context_label

    from studies
    left join collected
        on collected.study = studies.study

)

select * from final
