{#
  Response-level counts of the `answers` mart per group: `runs` (mapped responses),
  `n_refusals`, `n_invalid` and `n_answers` (all three). `group_by` is a list of column names.
  A response contributes once however many positions it has.
#}
{% macro answer_status_counts(relation, group_by) -%}
    select
        {{ group_by | join(', ') }},
        count(distinct case when status = 'mapped' then response_id end) as runs,
        count(distinct case when status = 'refusal' then response_id end) as n_refusals,
        count(distinct case when status = 'invalid' then response_id end) as n_invalid,
        count(distinct response_id) as n_answers
    from {{ relation }}
    group by {{ group_by | join(', ') }}
{%- endmacro %}
