-- Distinct answer texts cut into pieces: lines (line breaks, semicolons) -> segments (a new segment starts
-- where an explanation starts: colon, spaced dash, full stop, "because") -> pieces (list
-- separators: comma, slash, "and", "or"), after markdown, parentheses and list markers are
-- stripped. Option names that themselves contain a separator ("Ethics and Responsibility",
-- "Safety & Security") are found whole in each segment first and kept as one piece. Each piece
-- is normalised the same way as the option labels.
with

answer_texts as (

    select * from {{ ref('int_answer_texts') }}

),

cleaned as (

    select
        text_id,
        label_set,
        task_kind,
        lower({{ strip_markdown('answer_text') }}) as answer_text

    from answer_texts

),

lines as (

    {{ explode_rows('cleaned', 'text_id, label_set, task_kind',
        "case when task_kind = 'rank' then " ~ regexp_split('answer_text', answer_line_pattern())
        ~ " else " ~ regexp_split('answer_text', answer_item_line_pattern()) ~ " end",
        'line_text', 'line_no') }}

),

unmarked as (

    select
        text_id,
        label_set,
        task_kind,
        line_no,
        {{ strip_list_marker('line_text') }} as line_text

    from lines

),

segments as (

    {{ explode_rows('unmarked', 'text_id, label_set, task_kind, line_no',
        "case when task_kind = 'rank' then " ~ regexp_split('line_text', answer_rank_segment_pattern())
        ~ " else " ~ regexp_split('line_text', answer_segment_pattern()) ~ " end",
        'segment_text', 'segment_no') }}

),

-- per label set, one pattern finding its names that contain a separator, longest first
-- (their words joined by "any run of non-letters", so "ethics & responsibility" and
-- "Ethics/Responsibility" both match "Ethics & Responsibility")
separator_names as (

    select
        label_set,
        {{ regex_literal('\\b(?:') }}
        || {{ dbt.listagg("replace(label_norm, ' ', " ~ regex_literal('[^\\p{L}\\p{N}]+') ~ ")", "'|'",
                          "order by label_length desc, label_norm") }}
        || {{ regex_literal(')\\b') }} as name_pattern

    from (select distinct label_set, label_norm, label_length
          from {{ ref('int_label_sets') }} where has_separator) as names
    group by label_set

),

-- such names are fenced by a marker (normalised away later): the segment splits into chunks,
-- every second chunk being one whole name
marked as (

    select
        segments.text_id,
        segments.label_set,
        segments.task_kind,
        segments.line_no,
        segments.segment_no,
        case
            when separator_names.name_pattern is null then segments.segment_text
            else {{ mark_pattern_matches('segments.segment_text', 'separator_names.name_pattern') }}
        end as segment_text

    from segments
    left join separator_names
        on separator_names.label_set = segments.label_set

),

chunks as (

    {{ explode_rows('marked', 'text_id, label_set, task_kind, line_no, segment_no',
                    regexp_split('segment_text', name_marker()), 'chunk_text', 'chunk_no') }}

),

chunk_pieces as (

    {{ explode_rows('chunks', 'text_id, label_set, task_kind, line_no, segment_no, chunk_no',
        "case when task_kind = 'rank' then " ~ regexp_split('chunk_text', answer_rank_piece_pattern())
        ~ " when chunk_no % 2 = 0 then " ~ regexp_split('chunk_text', name_marker())
        ~ " else " ~ regexp_split('chunk_text', answer_piece_pattern()) ~ " end",
        'piece_text', 'chunk_piece_no') }}

),

pieces as (

    select
        text_id,
        label_set,
        task_kind,
        line_no,
        segment_no,
        row_number() over (
            partition by text_id, line_no, segment_no order by chunk_no, chunk_piece_no
        ) as piece_no,
        piece_text

    from chunk_pieces
    where {{ normalise_text('piece_text') }} <> ''

),

normalised as (

    select
        text_id,
        label_set,
        task_kind,
        line_no,
        segment_no,
        piece_no,
        {{ not_at_all_first(normalise_text('piece_text')) }} as piece

    from pieces

),

final as (

    select
        -- ids
        text_id,
        line_no,
        segment_no,
        piece_no,

        -- dimensions
        label_set,
        task_kind,

        -- the text
        piece

    from normalised
    where piece <> ''

)

select * from final
