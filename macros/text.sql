{#- Portable text helpers built on the dispatched macros in engine.sql. -#}

{# Lower case, every run of characters other than letters and digits -> one space, trimmed.
   Labels, answers and refusal phrases all go through this, so they compare like for like. #}
{% macro normalise_text(expr) -%}
    trim({{ aligned.regexp_replace_all('lower(' ~ expr ~ ')', '[^\\p{L}\\p{N}]+', ' ') }})
{%- endmacro %}

{# Drop markdown emphasis, headers, code and quote marks, and parenthetical asides. #}
{% macro strip_markdown(expr) -%}
    {{ aligned.regexp_replace_all(aligned.regexp_replace_all(expr, '\\([^)]*\\)', ' '), '[*_`#>~]+', '') }}
{%- endmacro %}

{# Drop a leading list marker: "1.", "2)", "(3)", "A)", "b.", "-", "+", "•" followed by white space. #}
{% macro strip_list_marker(expr) -%}
    {{ aligned.regexp_replace_all(expr, '^\\s*([-+•▪●◦‣]+|\\(?[0-9]{1,2}[.)]|\\(?[A-Za-z][.)])\\s+', '') }}
{%- endmacro %}

{# Whether the normalised words of needle occur as whole words in the normalised hay. #}
{% macro contains_words(hay, needle) -%}
    (instr(' ' || {{ hay }} || ' ', ' ' || {{ needle }} || ' ') > 0)
{%- endmacro %}

{# Number of space-separated words in a normalised string. #}
{% macro word_count(expr) -%}
    (length({{ expr }}) - length(replace({{ expr }}, ' ', '')) + 1)
{%- endmacro %}

{# "not important at all" -> "not at all important": the same negation written the other way round
   (in a normalised text, so the word is letters and digits). #}
{% macro not_at_all_first(expr) -%}
    {{ return(adapter.dispatch('not_at_all_first', 'aligned')(expr)) }}
{%- endmacro %}

{% macro default__not_at_all_first(expr) -%}
    regexp_replace({{ expr }}, {{ aligned.regex_literal('(^| )not ([\\p{L}\\p{N}]+) at all( |$)') }}, '\1not at all \2\3', 'g')
{%- endmacro %}

{% macro spark__not_at_all_first(expr) -%}
    regexp_replace({{ expr }}, {{ aligned.regex_literal('(^| )not ([\\p{L}\\p{N}]+) at all( |$)') }}, '$1not at all $2$3')
{%- endmacro %}
