{#
  Rank of `expr` within `partition_by`, 1 = highest, ties given the average of the ranks they
  span (scipy.stats.rankdata(-x, method='average')); null where expr is null.
  `descending=false` ranks 1 = lowest (used for mean ranks, where 1 = first).
#}
{% macro average_rank(expr, partition_by, descending=true) -%}
    {%- set direction = 'desc' if descending else 'asc' -%}
    case when {{ expr }} is null then null else
        rank() over (partition by {{ partition_by }} order by {{ expr }} {{ direction }} nulls last)
        + (count(*) over (partition by {{ partition_by }}, {{ expr }}) - 1) / 2.0
    end
{%- endmacro %}

{# selections / runs as a double, null when there are no runs. #}
{% macro safe_share(numerator, denominator) -%}
    case when {{ denominator }} > 0 then cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}
