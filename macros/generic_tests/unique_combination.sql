{#- Rows whose combination of `columns` occurs more than once (the grain test; dbt_utils'
    unique_combination_of_columns without the package). A column written as a double-quoted
    identifier ('"group"') is quoted by the adapter instead: Spark SQL reads "group" as a string
    literal (every row one group), DuckDB as the column. -#}
{% test unique_combination(model, columns) %}

{%- set quoted = [] -%}
{%- for column in columns -%}
    {%- if column is string and column | length > 2 and column.startswith('"') and column.endswith('"') -%}
        {%- do quoted.append(adapter.quote(column[1:-1])) -%}
    {%- else -%}
        {%- do quoted.append(column) -%}
    {%- endif -%}
{%- endfor %}

select
    {{ quoted | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ quoted | join(', ') }}
having count(*) > 1

{% endtest %}
