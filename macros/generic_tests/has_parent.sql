{#- Rows whose combination of `columns` has no row in `to` (a composite-key relationships
    test: every answer's (study, item) is an item of the design). -#}
{% test has_parent(model, columns, to) %}

select child.*
from {{ model }} as child
where not exists (
    select 1
    from {{ to }} as parent
    where {% for c in columns %}parent.{{ c }} = child.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
)

{% endtest %}
