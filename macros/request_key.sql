{#
  The request key: md5 (hex) of study|model|item|setting|replicate, as collector.plan.request_key
  computes it and the collector stores it. Every SQL use goes through here (replicate_counts,
  bench/spark_check.py's raw.planned_requests for Spark), so the key is written once in SQL.
  Arguments are SQL expressions.
#}
{% macro request_key(study, model, item, setting, replicate) -%}
    md5({{ study }} || '|' || {{ model }} || '|' || {{ item }} || '|' || {{ setting }} || '|'
        || cast({{ replicate }} as {{ dbt.type_string() }}))
{%- endmacro %}
