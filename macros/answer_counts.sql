{#
  Response-level counts of the `answers` mart per group: `runs` (mapped responses),
  `n_refusals`, `n_invalid` and `n_answers` (all three). `group_by` is a list of column names.
  A response contributes once however many positions it has: each response has exactly one
  row with position 1 (mapped) or null position (refusal, invalid) -- the data tests on answers
  (assert_answer_rows_well_formed, unique response_id and position) hold the mart to that --
  so counting those rows counts
  responses without a distinct count over a million ids (1.3 s -> 0.1 s at 1M answers).
#}
{% macro answer_status_counts(relation, group_by) -%}
    select
        {{ group_by | join(', ') }},
        count(case when status = 'mapped' and position = 1 then 1 end) as runs,
        count(case when status = 'refusal' then 1 end) as n_refusals,
        count(case when status = 'invalid' then 1 end) as n_invalid,
        count(case when position is null or position = 1 then 1 end) as n_answers
    from {{ relation }}
    group by {{ group_by | join(', ') }}
{%- endmacro %}
