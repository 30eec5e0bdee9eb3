{% set partition = 'study, model, task, context, setting' %}

with

answers as (

    select * from {{ ref('answers') }}
    where task_kind = 'rank'

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

answer_groups as (

    {{ answer_status_counts('answers', ['study', 'model', 'task', 'item', 'context', 'setting']) }}

),

story_positions as (

    select
        study,
        model,
        item,
        setting,
        choice as story_id,
        count(*) as n_runs,
        avg(cast(position as double)) as mean_rank,
        stddev_samp(cast(position as double)) as sd_rank

    from answers
    where status = 'mapped'
    group by 1, 2, 3, 4, 5

),

-- every story of a group that has answers, ranked or not
stories as (

    select
        answer_groups.study,
        answer_groups.model,
        answer_groups.task,
        answer_groups.item,
        answer_groups.context,
        answer_groups.setting,
        options.canonical as story_id,
        options.value,
        answer_groups.runs as n_answers,
        answer_groups.n_refusals,
        answer_groups.n_invalid,
        coalesce(story_positions.n_runs, 0) as n_runs,
        story_positions.mean_rank,
        story_positions.sd_rank

    from answer_groups
    inner join options
        on options.study = answer_groups.study
        and options.item = answer_groups.item
    left join story_positions
        on story_positions.study = answer_groups.study
        and story_positions.model = answer_groups.model
        and story_positions.item = answer_groups.item
        and story_positions.setting = answer_groups.setting
        and story_positions.story_id = options.canonical

),

final as (

    select
        -- ids
        study,
        model,
        context,
        story_id,

        -- dimensions
        task,
        item,
        setting,
        value,

        -- measures
        n_answers,
        n_refusals,
        n_invalid,
        n_runs,
        mean_rank,
        sd_rank,
        -- The T4 rank of a story, defined here only: the rank of its mean_rank among the stories
        -- the model placed in the group, 1 = put first, under each tie method of
        -- alignstats.consistency (scipy.stats.rankdata's average, min, dense, ordinal; ordinal
        -- breaks ties by value name). t4_consistency and t4_consistency_rules read these columns.
        -- Mean ranks are ratios of integers, so equal means are equal doubles: no rounding.
        {{ average_rank('mean_rank', partition, descending=false) }} as rank,
        case when mean_rank is not null then
            rank() over (partition by {{ partition }} order by mean_rank asc nulls last) end as rank_min,
        case when mean_rank is not null then
            dense_rank() over (partition by {{ partition }} order by mean_rank asc nulls last) end as rank_dense,
        case when mean_rank is not null then
            row_number() over (partition by {{ partition }} order by mean_rank asc nulls last, value) end
            as rank_ordinal

    from stories

)

select * from final
