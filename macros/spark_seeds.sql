{#-
  Seeds on Spark (dbt-spark 1.11). Project-level overrides of two dbt-spark seed macros, used
  only on the spark target (dispatch finds the root project's spark__ macro first):
  - spark__load_csv_rows: dbt-spark binds values as '<value>' without escaping, so a quote in
    a seed (seeds/refusal_phrases.csv: "i'm just an ai") breaks the insert, and an empty cell
    becomes the string 'None' instead of null (session method). Here every value is written
    as an escaped Spark literal, null as null.
  - spark__create_csv_table: Spark 4 rejects `varchar` without a length; a column type
    `varchar` / `text` from seeds/_seeds.yml is created as `string` (what DuckDB's varchar is).
  The DuckDB build does not use these.
-#}

{% macro spark_seed_column_type(type) -%}
    {%- if (type | string | trim | lower) in ('varchar', 'text', 'character varying') -%}
        string
    {%- else -%}
        {{ type }}
    {%- endif -%}
{%- endmacro %}


{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true -%}
        true
    {%- elif value is sameas false -%}
        false
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}


{% macro spark__load_csv_rows(model, agate_table) %}

  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}

  {% set statements = [] %}

  {% for chunk in agate_table.rows | batch(batch_size) %}
      {% set sql %}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = aligned.spark_seed_column_type(column_override.get(col_name, inferred_type)) -%}
                    cast({{ aligned.spark_seed_literal(row[loop.index0]) }} as {{ type }})
                  {%- if not loop.last %},{%- endif %}
              {%- endfor -%})
              {%- if not loop.last %},{%- endif %}
          {%- endfor %}
      {% endset %}

      {% do adapter.add_query(sql, abridge_sql_log=True) %}

      {% if loop.index0 == 0 %}
          {% do statements.append(sql) %}
      {% endif %}
  {% endfor %}

  {# Return SQL so we can render it out into the compiled files #}
  {{ return(statements[0]) }}
{% endmacro %}


{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

  {% set sql %}
    create table {{ this.render() }} (
        {%- for col_name in agate_table.column_names -%}
            {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
            {%- set type = aligned.spark_seed_column_type(column_override.get(col_name, inferred_type)) -%}
            {%- set column_name = (col_name | string) -%}
            {{ adapter.quote_seed_column(column_name, quote_seed_column) }} {{ type }} {%- if not loop.last -%}, {%- endif -%}
        {%- endfor -%}
    )
    {{ file_format_clause() }}
    {{ partition_cols(label="partitioned by") }}
    {{ clustered_cols(label="clustered by") }}
    {{ location_clause() }}
    {{ comment_clause() }}
  {% endset %}

  {% call statement('_') -%}
    {{ sql }}
  {%- endcall %}

  {{ return(sql) }}
{% endmacro %}
