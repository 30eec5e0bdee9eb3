-- Requests, attempts, tokens and cost per (study, model, task). Requests and attempts count
-- every stored row of raw.responses (ok and failed, all runs); tokens and cost are those of the
-- answer of record of each ok request (stg_raw__responses): the collector records no tokens
-- for a failed attempt (and a cost of 0 when the model is priced).
with

requests as (

    select * from {{ ref('int_requests_summarised') }}

),

responses as (

    select * from {{ ref('int_responses_of_record') }}

),

request_totals as (

    select
        study,
        model,
        task,
        cast(count(*) as {{ dbt.type_bigint() }}) as requests,
        cast(sum(has_ok) as {{ dbt.type_bigint() }}) as ok,
        cast(sum(1 - has_ok) as {{ dbt.type_bigint() }}) as failed,
        cast(sum(n_rows) as {{ dbt.type_bigint() }}) as response_rows,
        cast(sum(n_attempts) as {{ dbt.type_bigint() }}) as attempts

    from requests
    group by 1, 2, 3

),

token_totals as (

    select
        study,
        model,
        task,
        cast(sum(prompt_tokens) as {{ dbt.type_bigint() }}) as prompt_tokens,
        cast(sum(completion_tokens) as {{ dbt.type_bigint() }}) as completion_tokens,
        sum(cost_usd) as cost_usd

    from responses
    group by 1, 2, 3

),

final as (

    select
        -- ids
        request_totals.study,
        request_totals.model,
        request_totals.task,

        -- requests
        request_totals.requests,
        request_totals.ok,
        request_totals.failed,
        request_totals.response_rows,
        request_totals.attempts,
        request_totals.attempts - request_totals.requests as retries,

        -- spend
        token_totals.prompt_tokens,
        token_totals.completion_tokens,
        token_totals.cost_usd

    from request_totals
    left join token_totals
        on token_totals.study = request_totals.study
        and token_totals.model = request_totals.model
        and token_totals.task = request_totals.task

)

select * from final
