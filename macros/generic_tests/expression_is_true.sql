{#- Rows for which `expression` is not true (optionally only rows matching `where_clause`). -#}
{% test expression_is_true(model, expression, where_clause=none) %}

select *
from {{ model }}
where not ({{ expression }})
    {% if where_clause %} and ({{ where_clause }}) {% endif %}

{% endtest %}
