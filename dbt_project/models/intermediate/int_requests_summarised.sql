-- One row per request key that has at least one stored row (ok or failed, any run):
-- whether it succeeded, whether any attempt failed, and how many rows and HTTP attempts it took.
-- Shared by response_status and usage.
with

attempts as (

    select * from {{ ref('stg_raw__responses') }}

),

final as (

    select
        -- ids
        study,
        model,
        task,
        request_key,

        -- measures
        max(case when status = 'ok' then 1 else 0 end) as has_ok,
        max(case when status <> 'ok' then 1 else 0 end) as has_failure,
        count(*) as n_rows,
        cast(sum(attempts) as {{ dbt.type_bigint() }}) as n_attempts

    from attempts
    group by 1, 2, 3, 4

)

select * from final
