-- Latency of the answers of record per (study, model): the latency_ms of each ok request's
-- latest ok row (its last HTTP attempt; imported answers have none and are left out of the
-- figures). Percentiles interpolate linearly (macro continuous_percentile).
with

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

final as (

    select
        -- ids
        study,
        model,

        -- counts
        count(*) as n_ok,
        count(latency_ms) as n_timed,

        -- latency in milliseconds
        {{ continuous_percentile('latency_ms', 0.5) }} as p50_latency_ms,
        {{ continuous_percentile('latency_ms', 0.9) }} as p90_latency_ms,
        {{ continuous_percentile('latency_ms', 0.99) }} as p99_latency_ms,
        avg(latency_ms) as mean_latency_ms,
        max(latency_ms) as max_latency_ms

    from responses
    group by study, model

)

select * from final
