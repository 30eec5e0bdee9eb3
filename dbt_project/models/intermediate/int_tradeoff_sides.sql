-- One row per (study, trade-off item, side): the value the side favours, its opponent, and the
-- conflict oriented as the study's own human reference orients it (int_reference_figures:
-- value_a = the figures' value; a conflict the reference lacks, or writes both ways round, is
-- oriented alphabetically), with the side ('a' or 'b') the value is on.
-- Both directions of a conflict ("A may reduce B", "B may reduce A") and every context get the
-- same orientation, so t3_tradeoff_shares and the T3 bootstrap pool them by (value_a, value_b).
with

items as (

    select * from {{ ref('stg_raw__items') }}
    where task_kind = 'tradeoff'

),

-- the study's reference orientation per conflict of a task: one (value_a, value_b), or none
reference_pairs as (

    select distinct study, task, value as value_a, value_b
    from {{ ref('int_reference_figures') }}
    where task_kind = 'tradeoff'
        and value_b is not null

),

reference as (

    select study, task, min(value_a) as value_a, min(value_b) as value_b
    from reference_pairs
    group by study, task, least(value_a, value_b), greatest(value_a, value_b)
    having count(*) = 1

),

sides as (

    select study, task, item, value_a as value, value_b as opponent
    from items

    union all

    select study, task, item, value_b as value, value_a as opponent
    from items

),

oriented as (

    select
        sides.study,
        sides.task,
        sides.item,
        sides.value,
        sides.opponent,
        case
            when same_way.value_a is not null then sides.value
            when other_way.value_a is not null then sides.opponent
            when sides.value <= sides.opponent then sides.value
            else sides.opponent
        end as value_a,
        case
            when same_way.value_a is not null then sides.opponent
            when other_way.value_a is not null then sides.value
            when sides.value <= sides.opponent then sides.opponent
            else sides.value
        end as value_b

    from sides
    left join reference as same_way
        on same_way.study = sides.study
        and same_way.task = sides.task
        and same_way.value_a = sides.value
        and same_way.value_b = sides.opponent
    left join reference as other_way
        on other_way.study = sides.study
        and other_way.task = sides.task
        and other_way.value_a = sides.opponent
        and other_way.value_b = sides.value

),

final as (

    select
        -- ids
        study,
        item,
        value,

        -- dimensions
        task,
        opponent,
        value_a,
        value_b,
        case when value = value_a then 'a' else 'b' end as side

    from oriented

)

select * from final
