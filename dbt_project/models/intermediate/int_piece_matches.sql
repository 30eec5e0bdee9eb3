-- Every option (or story number) each distinct piece names, per label set, and how it was
-- recognised. Matching, in order:
--   exact    the piece is an option's label
--   synonym  the piece is a synonym label (or, for rank items, a story's value or id)
--   contains the piece contains a label as whole words; a label inside a longer label found in
--            the same piece ("important" in "very important") is dropped unless it also occurs
--            outside it, so the longest label wins and two different labels stay two; a rank
--            piece of at least var('min_partial_story_chars') characters may also be a
--            truncated quote of one story
--   number   rank items: the leading run of story numbers ("3, 1, 2", "Story 3"), resolved to
--            stories per response against the options shown (int_answers_normalised)
--   fuzzy    a piece that is not a label as it stands, compared with labels of the same number
--            of words: every word's similarity >= var('fuzzy_threshold'); the best label wins,
--            a tie names nothing; it replaces contains hits of the piece only when its label is
--            longer ("extremly important" is extremely, not "important")
-- A hit directly preceded by a negation ("not important"), or on a scale by a hedge ("fairly
-- important") or by a negation anywhere before it in its piece ("I don't think it is
-- important"), is flagged is_qualified (seed answer_modifiers).
with

all_pieces as (

    select * from {{ ref('int_answer_pieces') }}

),

labels as (

    select * from {{ ref('int_label_sets') }}

),

modifiers as (

    select
        {{ normalise_text('phrase') }} as phrase_norm,
        kind as modifier_kind

    from {{ ref('answer_modifiers') }}

),

pieces as (

    select distinct label_set, task_kind, piece
    from all_pieces

),

-- label hits ---------------------------------------------------------------------------

exact_hits as (

    select
        pieces.label_set,
        pieces.task_kind,
        pieces.piece,
        labels.canonical,
        labels.label_norm,
        labels.label_length,
        1 as match_pos,
        case when labels.label_type = 'label' then 'exact' else 'synonym' end as match_method

    from pieces
    inner join labels
        on labels.label_set = pieces.label_set
        and labels.label_norm = pieces.piece

),

inexact_pieces as (

    select pieces.*
    from pieces
    where not exists (
        select 1 from exact_hits
        where exact_hits.label_set = pieces.label_set
            and exact_hits.piece = pieces.piece
    )

),

contained_hits as (

    select
        inexact_pieces.label_set,
        inexact_pieces.task_kind,
        inexact_pieces.piece,
        labels.canonical,
        labels.label_norm,
        labels.label_length,
        case
            when {{ contains_words('inexact_pieces.piece', 'labels.label_norm') }}
                then instr(' ' || inexact_pieces.piece || ' ', ' ' || labels.label_norm || ' ')
            else 1
        end as match_pos,
        'contains' as match_method

    from inexact_pieces
    inner join labels
        on labels.label_set = inexact_pieces.label_set
    where (labels.matches_inside_text and {{ contains_words('inexact_pieces.piece', 'labels.label_norm') }})
        -- a rank answer may quote a story in part
        or (labels.task_kind = 'rank'
            and labels.label_type = 'label'
            and length(inexact_pieces.piece) >= {{ var('min_partial_story_chars') }}
            and {{ contains_words('labels.label_norm', 'inexact_pieces.piece') }})

),

-- a label found inside a longer label found in the same piece, and nowhere else in it
subsumed_hits as (

    select distinct
        hit.label_set,
        hit.piece,
        hit.label_norm

    from contained_hits as hit
    inner join contained_hits as longer
        on longer.label_set = hit.label_set
        and longer.piece = hit.piece
        and longer.label_length > hit.label_length
    where {{ contains_words('longer.label_norm', 'hit.label_norm') }}
        and not {{ contains_words(
            "replace(' ' || hit.piece || ' ', ' ' || longer.label_norm || ' ', ' | ')",
            'hit.label_norm') }}

),

maximal_contained_hits as (

    select contained_hits.*
    from contained_hits
    where not exists (
        select 1 from subsumed_hits
        where subsumed_hits.label_set = contained_hits.label_set
            and subsumed_hits.piece = contained_hits.piece
            and subsumed_hits.label_norm = contained_hits.label_norm
    )

),

label_hits as (

    select * from exact_hits
    union all
    select * from maximal_contained_hits

),

-- a label and its synonym may both occur: one hit per option and piece
label_hits_per_option as (

    select
        *,
        row_number() over (
            partition by label_set, piece, canonical
            order by match_pos, label_length desc
        ) as option_hit_rank

    from label_hits

),

qualified_hits as (

    select distinct
        hit.label_set,
        hit.piece,
        hit.canonical

    from label_hits_per_option as hit
    inner join modifiers
        on {{ contains_words('hit.piece', "modifiers.phrase_norm || ' ' || hit.label_norm") }}
        -- on a scale, a negation anywhere before the level negates it ("I don't think it is
        -- important", "although not overly important")
        or (modifiers.modifier_kind = 'negation'
            and hit.task_kind in ('rate', 'tradeoff')
            and instr(' ' || hit.piece || ' ', ' ' || modifiers.phrase_norm || ' ') between 1 and hit.match_pos - 1)
    where hit.option_hit_rank = 1
        and hit.match_method = 'contains'
        and (modifiers.modifier_kind = 'negation' or hit.task_kind in ('rate', 'tradeoff'))

),

piece_hit_lengths as (

    select label_set, piece, max(label_length) as max_hit_length
    from label_hits
    group by 1, 2

),

-- story numbers (rank items) ---------------------------------------------------------------

number_runs as (

    select
        label_set,
        piece,
        {{ regexp_extract_group('piece', story_numbers_pattern(), 1) }} as number_run

    from inexact_pieces
    where task_kind = 'rank'

),

-- numbers count only in a piece that names no story by text ("1 As a patient, ...") and that
-- says little else: "2 As a customer, I want fairness ..." numbers an item of the answer's own
-- (a story it made up or paraphrased), not story 2
numbered_pieces as (

    select number_runs.*
    from number_runs
    where number_run <> ''
        and {{ word_count('piece') }} - {{ word_count('number_run') }} <= {{ var('max_story_number_words') }}
        and not exists (
            select 1 from piece_hit_lengths
            where piece_hit_lengths.label_set = number_runs.label_set
                and piece_hit_lengths.piece = number_runs.piece
        )

),

story_numbers as (

    {{ explode_rows('numbered_pieces', 'label_set, piece',
                    regexp_split('number_run', '[^0-9]+'), 'number_text', 'number_no') }}

),

number_matches as (

    select
        label_set,
        piece,
        number_no as match_pos,
        cast(null as {{ dbt.type_string() }}) as canonical,
        case when length(number_text) <= 6 then cast(number_text as {{ dbt.type_int() }}) else -1 end
            as story_number,
        'number' as match_method,
        cast(null as {{ dbt.type_int() }}) as matched_length,
        false as is_qualified

    from story_numbers
    where number_text <> ''

),

-- fuzzy fallback ---------------------------------------------------------------------------

fuzzy_pieces as (

    select
        inexact_pieces.*,
        {{ word_count('inexact_pieces.piece') }} as piece_words

    from inexact_pieces
    where not exists (
        select 1 from numbered_pieces
        where numbered_pieces.label_set = inexact_pieces.label_set
            and numbered_pieces.piece = inexact_pieces.piece
    )

),

fuzzy_labels as (

    select * from labels where matches_inside_text

),

piece_words as (

    {{ explode_rows('fuzzy_pieces', 'label_set, piece, piece_words',
                    regexp_split('piece', ' '), 'word', 'word_no') }}

),

label_words as (

    {{ explode_rows('fuzzy_labels', 'label_set, canonical, label_norm, label_words',
                    regexp_split('label_norm', ' '), 'word', 'word_no') }}

),

fuzzy_scores as (

    select
        piece_words.label_set,
        piece_words.piece,
        label_words.canonical,
        label_words.label_norm,
        min({{ string_similarity('piece_words.word', 'label_words.word') }}) as similarity

    from piece_words
    inner join label_words
        on label_words.label_set = piece_words.label_set
        and label_words.label_words = piece_words.piece_words
        and label_words.word_no = piece_words.word_no
    group by 1, 2, 3, 4

),

fuzzy_ranked as (

    select
        *,
        max(similarity) over (partition by label_set, piece) as best_similarity,
        row_number() over (partition by label_set, piece order by similarity desc) as similarity_rank

    from fuzzy_scores
    where similarity >= {{ var('fuzzy_threshold') }}

),

fuzzy_ties as (

    select label_set, piece
    from fuzzy_ranked
    where similarity = best_similarity
    group by 1, 2
    having count(distinct canonical) > 1

),

fuzzy_matches as (

    select
        fuzzy_ranked.label_set,
        fuzzy_ranked.piece,
        1 as match_pos,
        fuzzy_ranked.canonical,
        cast(null as {{ dbt.type_int() }}) as story_number,
        'fuzzy' as match_method,
        length(fuzzy_ranked.label_norm) as matched_length,
        false as is_qualified

    from fuzzy_ranked
    left join piece_hit_lengths
        on piece_hit_lengths.label_set = fuzzy_ranked.label_set
        and piece_hit_lengths.piece = fuzzy_ranked.piece
    where fuzzy_ranked.similarity_rank = 1
        and (piece_hit_lengths.max_hit_length is null
            or length(fuzzy_ranked.label_norm) > piece_hit_lengths.max_hit_length)
        and not exists (
            select 1 from fuzzy_ties
            where fuzzy_ties.label_set = fuzzy_ranked.label_set
                and fuzzy_ties.piece = fuzzy_ranked.piece
        )

),

-- label hits, less those of pieces a fuzzy match took over ---------------------------------

label_matches as (

    select
        hit.label_set,
        hit.piece,
        hit.match_pos,
        hit.canonical,
        cast(null as {{ dbt.type_int() }}) as story_number,
        hit.match_method,
        hit.label_length as matched_length,
        qualified_hits.canonical is not null as is_qualified

    from label_hits_per_option as hit
    left join qualified_hits
        on qualified_hits.label_set = hit.label_set
        and qualified_hits.piece = hit.piece
        and qualified_hits.canonical = hit.canonical
    where hit.option_hit_rank = 1
        and not exists (
            select 1 from fuzzy_matches
            where fuzzy_matches.label_set = hit.label_set
                and fuzzy_matches.piece = hit.piece
        )

),

unioned as (

    select * from label_matches
    union all
    select * from number_matches
    union all
    select * from fuzzy_matches

),

final as (

    select
        -- ids
        label_set,
        piece,
        match_pos,

        -- the match
        canonical,
        story_number,
        match_method,
        is_qualified,
        matched_length

    from unioned

)

select * from final
