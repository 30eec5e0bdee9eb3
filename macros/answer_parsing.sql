{#-
  The regular expressions that cut a free-text answer into lines, segments and pieces
  (see int_answer_pieces). Plain strings here, turned into engine literals by the dispatched
  macros, so the rules live in one place and are documented in macros/_macros.yml.
-#}

{# Lines: line breaks, and semicolons (one-line lists "Safety; Privacy; ..."). #}
{% macro answer_line_pattern() -%}
    {{ return('\\r?\\n|;') }}
{%- endmacro %}

{# Lines of answers other than rankings also end before a numbered item inside a line
   ("1. Fairness, 2. Transparency, 3. Social Good"; "1) Safety 2) Privacy"). A ranking keeps
   them ("3, 1, 2. Because ..." is one order). #}
{% macro answer_item_line_pattern() -%}
    {{ return('\\r?\\n|;|,\\s*[0-9]{1,2}[.)]\\s+|\\s+[0-9]{1,2}\\)\\s+') }}
{%- endmacro %}

{# Segments of a line: where an explanation starts ("Safety: it prevents harm",
   "Safety - it ...", "Safety. It ...", "very important because ..."). A line's first
   segment that matches anything is the one used, so a preamble before a colon
   ("Here are my five: Safety, ...") is skipped. #}
{% macro answer_segment_pattern() -%}
    {{ return(':|\\s+-+\\s+|\\s*[–—]+\\s*|\\.\\s|\\.$|[!?]|\\s+because\\s+|\\s+since\\s+|\\s+as\\s+it\\s+|,\\s+which\\s+|,\\s+as\\s+') }}
{%- endmacro %}

{# Rank answers keep dashes and full stops inside a segment ("3 - 1 - 2", story texts). #}
{% macro answer_rank_segment_pattern() -%}
    {{ return(':|\\s+because\\s+|\\s+since\\s+') }}
{%- endmacro %}

{# Pieces of a segment: list separators ("Safety, Privacy and Fairness"). Rank segments
   are not cut (story texts contain commas); a line break never occurs inside a segment,
   so splitting on it leaves the segment whole. #}
{% macro answer_piece_pattern() -%}
    {{ return(',|/|&|\\+|\\s+and\\s+|\\s+or\\s+|\\s+then\\s+') }}
{%- endmacro %}

{% macro answer_rank_piece_pattern() -%}
    {{ return('\\n') }}
{%- endmacro %}

{# Rank answers by number: the leading run of story numbers of a normalised piece,
   "story 3", "3 1 2 6 5 4", "us 3 then 1" (group 1). #}
{% macro story_numbers_pattern() -%}
    {{ return('^(?:(?:user|story|stories|us|no|nr|number|option|item)\\s+)*([0-9]+(?:\\s+(?:(?:user|story|stories|us|no|nr|number|option|item|then|and|followed|by)\\s+)*[0-9]+)*)') }}
{%- endmacro %}

{# Fences around an option name found whole before pieces are cut (int_answer_pieces): a
   character answers do not use, and that normalise_text removes. #}
{% macro name_marker() -%}
    {{ return('␞') }}
{%- endmacro %}

{# Every match of a per-row pattern (a column, not a constant) fenced by name_marker(). #}
{% macro mark_pattern_matches(expr, pattern_expr) -%}
    {{ return(adapter.dispatch('mark_pattern_matches', 'aligned')(expr, pattern_expr)) }}
{%- endmacro %}

{% macro default__mark_pattern_matches(expr, pattern_expr) -%}
    regexp_replace({{ expr }}, {{ pattern_expr }}, '{{ name_marker() }}\0{{ name_marker() }}', 'g')
{%- endmacro %}

{% macro spark__mark_pattern_matches(expr, pattern_expr) -%}
    regexp_replace({{ expr }}, {{ pattern_expr }}, '{{ name_marker() }}$0{{ name_marker() }}')
{%- endmacro %}
