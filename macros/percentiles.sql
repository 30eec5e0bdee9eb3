{#-
  Continuous percentile of `expr` within a group: linear interpolation between the two
  nearest values (numpy's default quantile, SQL's percentile_cont); nulls ignored, null for a
  group without values. `fraction` is a literal in [0, 1].
    default (DuckDB, Postgres, Snowflake, Databricks SQL):
        percentile_cont(fraction) within group (order by expr)
    spark: percentile(expr, fraction) -- exact, the same interpolation; open-source Spark
        parses `within group` only from 3.3/3.4 and registers percentile_cont only from 4.0.
        On very large groups swap in percentile_approx(expr, fraction) (approximate).
  Documented here rather than in macros/_macros.yml (owned elsewhere): add an entry there.
-#}
{% macro continuous_percentile(expr, fraction) -%}
    {{ return(adapter.dispatch('continuous_percentile', 'aligned')(expr, fraction)) }}
{%- endmacro %}

{% macro default__continuous_percentile(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro spark__continuous_percentile(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}
