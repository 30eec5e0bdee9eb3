{#
  Shared SQL of the generic measure marts (rating_level_shares, tradeoff_option_shares,
  ranking_positions and the marts built on them). Portable: no engine-specific function.
#}

{#
  One row per (study, model, task, item, context, setting, option) of the items of `task_kind`
  that have answers: the option's scale key, label, ordinal (1 = first level of the scale) and
  the value it stands for, the group's response counts (answer_status_counts: runs = mapped
  answers, n_refusals, n_invalid) and `selections`, the mapped answers that chose the option
  (0 when none did). Every option of an item gets a row, so shares of unchosen levels are 0,
  not missing. The number of options comes from the item's own options (the design), never
  from a constant.
#}
{% macro option_counts(task_kind) -%}
    select
        answer_groups.study,
        answer_groups.model,
        answer_groups.task,
        answer_groups.item,
        answer_groups.context,
        answer_groups.setting,
        item_options.option_key,
        item_options.label as option_label,
        item_options.ordinal,
        item_options.value as option_value,
        answer_groups.runs,
        answer_groups.n_refusals,
        answer_groups.n_invalid,
        coalesce(chosen.selections, 0) as selections

    from (
        {{ answer_status_counts(
            '(select * from ' ~ ref('answers') ~ " where task_kind = '" ~ task_kind ~ "') as kind_answers",
            ['study', 'model', 'task', 'item', 'context', 'setting']) }}
    ) as answer_groups
    inner join (
        select study, item, option_key, label, canonical, ordinal, value
        from {{ ref('stg_raw__options') }}
        where not is_synonym
    ) as item_options
        on item_options.study = answer_groups.study
        and item_options.item = answer_groups.item
    left join (
        -- a mapped answer names a choice once (unique response_id, choice on answers)
        select study, model, item, setting, choice, count(*) as selections
        from {{ ref('answers') }}
        where task_kind = '{{ task_kind }}' and status = 'mapped'
        group by study, model, item, setting, choice
    ) as chosen
        on chosen.study = answer_groups.study
        and chosen.model = answer_groups.model
        and chosen.item = answer_groups.item
        and chosen.setting = answer_groups.setting
        and chosen.choice = item_options.canonical
{%- endmacro %}

{#
  The rows of `relation` per context (context not null; n_contexts 1, is_pooled false) and,
  under context var('pooled_context_label'), pooled over every context (n_contexts: how many
  contexts have rows, 0 for a task without contexts; is_pooled true): `sums` are summed over
  contexts, `keys` are the other grouping columns. A task without contexts has only the pooled
  row, labelled as the reference labels its figures (int_reference_figures). Shares are
  computed after pooling, so a pooled share is pooled counts over pooled runs.
#}
{% macro pooled_over_contexts(relation, keys, sums) -%}
    select
        {{ keys | join(', ') }},
        context,
        {{ sums | join(', ') }},
        cast(1 as {{ dbt.type_bigint() }}) as n_contexts,
        false as is_pooled
    from {{ relation }}
    where context is not null

    union all

    select
        {{ keys | join(', ') }},
        cast('{{ var("pooled_context_label") }}' as {{ dbt.type_string() }}) as context,
        {% for column in sums -%}
        sum({{ column }}) as {{ column }},
        {% endfor -%}
        cast(count(distinct context) as {{ dbt.type_bigint() }}) as n_contexts,
        true as is_pooled
    from {{ relation }}
    group by {{ keys | join(', ') }}
{%- endmacro %}

{#
  Weighted mean and sample standard deviation (ddof = 1) of `x` with integer weights `n`
  (counts), as aggregate expressions: `weighted_mean('level_position', 'selections')`. The
  standard deviation is null below two observations; a rounding residue below 0 counts as 0.
#}
{% macro weighted_mean(x, n) -%}
    case when sum({{ n }}) > 0 then sum(cast({{ n }} as double) * {{ x }}) / sum({{ n }}) end
{%- endmacro %}

{% macro weighted_sd(x, n) -%}
    case when sum({{ n }}) > 1 then
        sqrt(greatest(0.0,
            (sum(cast({{ n }} as double) * {{ x }} * {{ x }})
             - sum(cast({{ n }} as double) * {{ x }}) * sum(cast({{ n }} as double) * {{ x }}) / sum({{ n }}))
            / (sum({{ n }}) - 1)))
    end
{%- endmacro %}

{#
  The measure columns of a generic share mart, from the counts `runs`, `n_refusals`, `n_invalid`
  and `count_column` (the answers counted): the four counts as bigint, `share` (of mapped runs),
  `runs_all` (every answer of record) and `share_of_all_runs`, in that order.
#}
{% macro share_columns(count_column) -%}
        cast(runs as {{ dbt.type_bigint() }}) as runs,
        cast(n_refusals as {{ dbt.type_bigint() }}) as n_refusals,
        cast(n_invalid as {{ dbt.type_bigint() }}) as n_invalid,
        cast({{ count_column }} as {{ dbt.type_bigint() }}) as {{ count_column }},
        {{ safe_share(count_column, 'runs') }} as share,
        cast(runs + n_refusals + n_invalid as {{ dbt.type_bigint() }}) as runs_all,
        {{ safe_share(count_column, '(runs + n_refusals + n_invalid)') }} as share_of_all_runs
{%- endmacro %}
