{{ config(store_failures=true, severity='warn') }}
{#- warn: a study of your own may ask about values the human survey never covered; its
    comparisons then use the values both have. The shipped study passes. #}

-- Every value, context and conflict in the human reference seeds is known to the design of
-- every study that has the task kind it describes (value names through seed
-- human_value_names; the T2 context var('pooled_context_label') means "over all contexts").
-- A renamed value in the experiment file, or a typo in a seed, fails here by name.
with

names as (

    select * from {{ ref('human_value_names') }}

),

items as (

    select * from {{ ref('stg_raw__items') }}

),

options as (

    select * from {{ ref('stg_raw__options') }}
    where not is_synonym

),

seed_values as (

    select 'human_t1_top5' as seed, 'select' as task_kind, {{ adapter.quote('group') }} as survey_group,
        cast(null as {{ dbt.type_string() }}) as context, value as survey_value
    from {{ ref('human_t1_top5') }}

    union all

    select 'human_t2_importance', 'rate', {{ adapter.quote('group') }}, context, value
    from {{ ref('human_t2_importance') }}

    union all

    select 'human_t3_tradeoffs', 'tradeoff', {{ adapter.quote('group') }}, null, value_a
    from {{ ref('human_t3_tradeoffs') }}

    union all

    select 'human_t3_tradeoffs', 'tradeoff', {{ adapter.quote('group') }}, null, value_b
    from {{ ref('human_t3_tradeoffs') }}

),

named as (

    select seed_values.*, names.value
    from seed_values
    left join names
        on names.survey_value = seed_values.survey_value

),

-- values and contexts the design asks about, per study and task kind
design_values as (

    select distinct items.study, items.task_kind, options.value
    from items
    inner join options
        on options.study = items.study
        and options.item = items.item
    where items.task_kind = 'select'

    union

    select distinct study, task_kind, value from items where task_kind = 'rate'

    union

    select distinct study, task_kind, value_a from items where task_kind = 'tradeoff'

    union

    select distinct study, task_kind, value_b from items where task_kind = 'tradeoff'

),

design_contexts as (

    select distinct study, task_kind, context from items where context is not null

),

study_kinds as (

    select distinct study, task_kind from items

),

unknown_names as (

    select seed, survey_group, context, survey_value, cast(null as {{ dbt.type_string() }}) as study,
        'value not in seed human_value_names' as problem
    from named
    where value is null

),

unknown_values as (

    select named.seed, named.survey_group, named.context, named.survey_value, study_kinds.study,
        'value not asked about in this study' as problem
    from named
    inner join study_kinds
        on study_kinds.task_kind = named.task_kind
    where named.value is not null
        and not exists (
            select 1 from design_values
            where design_values.study = study_kinds.study
                and design_values.task_kind = named.task_kind
                and design_values.value = named.value
        )

),

unknown_contexts as (

    select named.seed, named.survey_group, named.context, named.survey_value, study_kinds.study,
        'context not in this study' as problem
    from named
    inner join study_kinds
        on study_kinds.task_kind = named.task_kind
    where named.context is not null
        and named.context <> '{{ var("pooled_context_label") }}'
        and not exists (
            select 1 from design_contexts
            where design_contexts.study = study_kinds.study
                and design_contexts.task_kind = named.task_kind
                and design_contexts.context = named.context
        )

),

unknown_conflicts as (

    select 'human_t3_tradeoffs' as seed, t3.{{ adapter.quote('group') }} as survey_group,
        cast(null as {{ dbt.type_string() }}) as context,
        t3.value_a || ' vs ' || t3.value_b as survey_value, study_kinds.study,
        'conflict not asked about in this study' as problem
    from {{ ref('human_t3_tradeoffs') }} as t3
    inner join names as name_a on name_a.survey_value = t3.value_a
    inner join names as name_b on name_b.survey_value = t3.value_b
    inner join study_kinds on study_kinds.task_kind = 'tradeoff'
    where not exists (
        select 1 from items
        where items.study = study_kinds.study
            and items.task_kind = 'tradeoff'
            and items.value_a = name_a.value
            and items.value_b = name_b.value
    )

)

select * from unknown_names
union all
select * from unknown_values
union all
select * from unknown_contexts
union all
select * from unknown_conflicts
