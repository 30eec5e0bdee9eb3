{#-
  Engine-specific SQL, one dispatched macro per construct. Models call only these for
  regular expressions, list explosion and string similarity, so adding an engine means
  adding <engine>__ implementations here, not touching a model.
  Regular expressions are written in the common subset of RE2 (DuckDB) and java.util.regex
  (Spark): no look-around, no back-references.
-#}

{# A regular expression as a string literal for this engine. #}
{% macro regex_literal(pattern) -%}
    {{ return(adapter.dispatch('regex_literal', 'aligned')(pattern)) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    '{{ pattern | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{# Replace every match of pattern in expr. #}
{% macro regexp_replace_all(expr, pattern, replacement='') -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'aligned')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ aligned.regex_literal(pattern) }}, '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ aligned.regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}


{# The text of capture group `group` of the first match, '' when there is none. #}
{% macro regexp_extract_group(expr, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract_group', 'aligned')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract_group(expr, pattern, group) -%}
    regexp_extract({{ expr }}, {{ aligned.regex_literal(pattern) }}, {{ group }})
{%- endmacro %}


{# Whether pattern matches anywhere in expr. #}
{% macro regexp_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'aligned')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(expr, pattern) -%}
    regexp_matches({{ expr }}, {{ aligned.regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regexp_matches(expr, pattern) -%}
    ({{ expr }} rlike {{ aligned.regex_literal(pattern) }})
{%- endmacro %}


{#
  A select statement with one row per element of an array expression, keeping `columns`
  (a comma-separated list of columns of `relation`), the element as `value_name` and its
  1-based position as `pos_name`. Rows whose array is null or empty produce no rows.
#}
{% macro explode_rows(relation, columns, array_expr, value_name, pos_name) -%}
    {{ return(adapter.dispatch('explode_rows', 'aligned')(relation, columns, array_expr, value_name, pos_name)) }}
{%- endmacro %}

{% macro default__explode_rows(relation, columns, array_expr, value_name, pos_name) -%}
    select
        {{ columns }},
        unnest(_exploded) as {{ value_name }},
        generate_subscripts(_exploded, 1) as {{ pos_name }}
    from (select *, {{ array_expr }} as _exploded from {{ relation }}) as _to_explode
{%- endmacro %}

{% macro spark__explode_rows(relation, columns, array_expr, value_name, pos_name) -%}
    select
        {{ columns }},
        _exploded.{{ value_name }},
        _exploded._pos0 + 1 as {{ pos_name }}
    from {{ relation }}
    lateral view posexplode({{ array_expr }}) _exploded as _pos0, {{ value_name }}
{%- endmacro %}


{# An array of the pieces of expr between matches of pattern (empty pieces kept). #}
{% macro regexp_split(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_split', 'aligned')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_split(expr, pattern) -%}
    regexp_split_to_array({{ expr }}, {{ aligned.regex_literal(pattern) }})
{%- endmacro %}

{% macro spark__regexp_split(expr, pattern) -%}
    split({{ expr }}, {{ aligned.regex_literal(pattern) }})
{%- endmacro %}


{# One row per piece of text_expr between matches of pattern, with its 1-based position. #}
{% macro split_rows(relation, columns, text_expr, pattern, value_name, pos_name) -%}
    {{ aligned.explode_rows(relation, columns, aligned.regexp_split(text_expr, pattern), value_name, pos_name) }}
{%- endmacro %}


{#
  Similarity of two short strings in [0, 1], 1 = identical. DuckDB: Jaro-Winkler. Spark has
  no Jaro-Winkler: 1 - levenshtein / longer length (stricter on short words; keep the
  threshold in mind when moving engines).
#}
{% macro string_similarity(a, b) -%}
    {{ return(adapter.dispatch('string_similarity', 'aligned')(a, b)) }}
{%- endmacro %}

{% macro default__string_similarity(a, b) -%}
    jaro_winkler_similarity({{ a }}, {{ b }})
{%- endmacro %}

{% macro spark__string_similarity(a, b) -%}
    (1.0 - levenshtein({{ a }}, {{ b }}) / greatest(length({{ a }}), length({{ b }}), 1))
{%- endmacro %}


{# Element `index` (1-based) of an array, null when out of range. #}
{% macro array_element(array_expr, index_expr) -%}
    {{ return(adapter.dispatch('array_element', 'aligned')(array_expr, index_expr)) }}
{%- endmacro %}

{% macro default__array_element(array_expr, index_expr) -%}
    case when {{ index_expr }} between 1 and len({{ array_expr }}) then {{ array_expr }}[{{ index_expr }}] end
{%- endmacro %}

{% macro spark__array_element(array_expr, index_expr) -%}
    case when {{ index_expr }} between 1 and size({{ array_expr }}) then element_at({{ array_expr }}, {{ index_expr }}) end
{%- endmacro %}
