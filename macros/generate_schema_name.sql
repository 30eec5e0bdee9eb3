{#- Custom schemas are used verbatim (staging, intermediate, reference) instead of dbt's
    default <target schema>_<custom schema>; models without one (the marts) land in the
    target schema, so readers query `selection_shares`, not `main_marts.selection_shares`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
