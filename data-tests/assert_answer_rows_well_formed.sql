-- The shape of each answer in the answers mart, which the shared counting macro
-- (answer_status_counts) relies on to count responses without a distinct count over a million
-- ids: a refusal or invalid answer is exactly one row with no position; a mapped answer has
-- positions 1..n (with the unique (response_id, position) test on answers: each once), so
-- exactly one row with position 1. Rows name their study (aligned build judges each test per study).
with

answers as (

    select * from {{ ref('answers') }}

),

per_response as (

    select
        study,
        response_id,
        count(*) as n_rows,
        count(position) as n_positions,
        min(position) as first_position,
        max(position) as last_position

    from answers
    group by study, response_id

)

select *
from per_response
where not (
    (n_positions = 0 and n_rows = 1)
    or (n_positions = n_rows and first_position = 1 and last_position = n_rows)
)
