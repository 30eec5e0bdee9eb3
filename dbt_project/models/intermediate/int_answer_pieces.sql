-- Distinct answer texts cut into pieces: lines (line breaks, semicolons) -> segments (a new segment starts
-- where an explanation starts: colon, spaced dash, full stop, "because") -> pieces (list
-- separators: comma, slash, "and", "or"), after markdown, parentheses and list markers are
-- stripped. Each piece is normalised the same way as the option labels.
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

    {{ split_rows('cleaned', 'text_id, label_set, task_kind', 'answer_text',
                  answer_line_pattern(), 'line_text', 'line_no') }}

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

pieces as (

    {{ explode_rows('segments', 'text_id, label_set, task_kind, line_no, segment_no',
        "case when task_kind = 'rank' then " ~ regexp_split('segment_text', answer_rank_piece_pattern())
        ~ " else " ~ regexp_split('segment_text', answer_piece_pattern()) ~ " end",
        'piece_text', 'piece_no') }}

),

normalised as (

    select
        text_id,
        label_set,
        task_kind,
        line_no,
        segment_no,
        piece_no,
        {{ normalise_text('piece_text') }} as piece

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
