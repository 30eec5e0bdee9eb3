{{ config(store_failures=true) }}

-- Each human group has a figure for every value the seed covers (T1), for every value in every
-- context (T2) and for every conflict (T3): a missing row would silently drop a value from a
-- correlation. Returns the missing (seed, group, context, value) combinations.
with

t1 as (

    select {{ adapter.quote('group') }} as survey_group, value
    from {{ ref('human_t1_top5') }}

),

t2 as (

    select {{ adapter.quote('group') }} as survey_group, context, value
    from {{ ref('human_t2_importance') }}

),

t3 as (

    select {{ adapter.quote('group') }} as survey_group, value_a || ' vs ' || value_b as value
    from {{ ref('human_t3_tradeoffs') }}

),

t1_missing as (

    select 'human_t1_top5' as seed, groups.survey_group, cast(null as {{ dbt.type_string() }}) as context,
        vals.value
    from (select distinct survey_group from t1) as groups
    cross join (select distinct value from t1) as vals
    where not exists (
        select 1 from t1 where t1.survey_group = groups.survey_group and t1.value = vals.value
    )

),

t2_missing as (

    select 'human_t2_importance' as seed, groups.survey_group, contexts.context, vals.value
    from (select distinct survey_group from t2) as groups
    cross join (select distinct context from t2) as contexts
    cross join (select distinct value from t2) as vals
    where not exists (
        select 1 from t2
        where t2.survey_group = groups.survey_group
            and t2.context = contexts.context
            and t2.value = vals.value
    )

),

t3_missing as (

    select 'human_t3_tradeoffs' as seed, groups.survey_group, cast(null as {{ dbt.type_string() }}) as context,
        vals.value
    from (select distinct survey_group from t3) as groups
    cross join (select distinct value from t3) as vals
    where not exists (
        select 1 from t3 where t3.survey_group = groups.survey_group and t3.value = vals.value
    )

)

select * from t1_missing
union all
select * from t2_missing
union all
select * from t3_missing
