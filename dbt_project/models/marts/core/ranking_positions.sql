-- One row per (study, model, task, setting, context, value, position) of every rank task: the
-- share of mapped answers that put the value's story at each position (1 = first, most
-- important), per context and pooled over contexts (context var('pooled_context_label'): the
-- placements and runs of the contexts whose system has a story of the value). Positions run
-- 1 .. the number of stories of the context's item (the design); every (value, position) of a
-- group with answers has a row (0 when never placed there). With complete orderings and one
-- story per value, shares sum to 1 over the values at a position and over the positions of a
-- value; a partial ordering leaves its unplaced stories out (lower sums, see n_placed).
with

answers as (

    select * from {{ ref('answers') }}
    where task_kind = 'rank'

),

answer_groups as (

    {{ answer_status_counts('answers', ['study', 'model', 'task', 'item', 'context', 'setting']) }}

),

options as (

    select study, item, canonical, value, ordinal
    from {{ ref('stg_raw__options') }}
    where not is_synonym

),

placed as (

    select study, model, item, setting, choice, position, count(*) as placements
    from answers
    where status = 'mapped'
    group by study, model, item, setting, choice, position

),

-- every story of a group with answers at every position of its item
cells as (

    select
        answer_groups.study,
        answer_groups.model,
        answer_groups.task,
        answer_groups.setting,
        answer_groups.context,
        stories.value,
        positions.ordinal as position,
        answer_groups.runs,
        answer_groups.n_refusals,
        answer_groups.n_invalid,
        coalesce(placed.placements, 0) as placements

    from answer_groups
    inner join options as stories
        on stories.study = answer_groups.study
        and stories.item = answer_groups.item
    inner join options as positions
        on positions.study = answer_groups.study
        and positions.item = answer_groups.item
    left join placed
        on placed.study = answer_groups.study
        and placed.model = answer_groups.model
        and placed.item = answer_groups.item
        and placed.setting = answer_groups.setting
        and placed.choice = stories.canonical
        and placed.position = positions.ordinal

),

-- per context and value (a system with two stories of one value counts both)
per_context as (

    select
        study, model, task, setting, context, value, position,
        max(runs) as runs,
        max(n_refusals) as n_refusals,
        max(n_invalid) as n_invalid,
        sum(placements) as placements,
        count(*) as n_stories

    from cells
    group by study, model, task, setting, context, value, position

),

pooled as (

    {{ pooled_over_contexts('per_context', ['study', 'model', 'task', 'setting', 'value', 'position'],
                            ['runs', 'n_refusals', 'n_invalid', 'placements', 'n_stories']) }}

),

final as (

    select
        -- ids
        study,
        model,
        task,
        setting,
        context,
        value,
        cast(position as integer) as position,

        -- dimensions
        is_pooled,
        n_contexts,
        cast(n_stories as {{ dbt.type_bigint() }}) as n_stories,

        -- measures
        {{ share_columns('placements') }}

    from pooled

)

select * from final
