-- Each distinct answer text reduced to its choices (rank answers: story numbers are resolved
-- per response in int_answers_normalised). Which part of the answer counts:
--   select   per line, the first segment naming an option; one option per piece (the first:
--            "Safety ensures privacy" is Safety) unless the piece is only labels; negated
--            hits ("not Performance") dropped; distinct options in answer order, at most k;
--            none -> invalid
--   rate,    the answer's first segment naming an option; negated or hedged mentions ("not
--   tradeoff extremely important", "fairly important", "I don't think it is important") name
--            nothing; exactly one option left, and no other option listed alone anywhere in
--            the answer ("- Undecided\n- Definitely Performance") -> mapped; two -> invalid
--            (ambiguous); none (only "not important") -> invalid (qualified)
--   rank     per line, the first segment naming stories, lines read until every story is
--            placed; the hits in order (stories by text, or story numbers), checked per
--            response once numbers are resolved
-- An answer that maps to nothing and contains a refusal phrase (seed refusal_phrases) is a
-- refusal, even when it also holds option words ("As an AI language model, I don't have
-- opinions on how important this is"); one that maps to nothing else is invalid, never forced
-- onto the nearest option.
with

texts as (

    select * from {{ ref('int_answer_texts') }}

),

pieces as (

    select * from {{ ref('int_answer_pieces') }}

),

piece_matches as (

    select * from {{ ref('int_piece_matches') }}

),

refusal_phrases as (

    select {{ normalise_text('phrase') }} as phrase_norm
    from {{ ref('refusal_phrases') }}

),

commitment_phrases as (

    select {{ normalise_text('phrase') }} as phrase_norm
    from {{ ref('commitment_phrases') }}

),

matches as (

    select
        pieces.text_id,
        pieces.line_no,
        pieces.segment_no,
        pieces.piece_no,
        piece_matches.match_pos,
        piece_matches.canonical,
        piece_matches.story_number,
        piece_matches.match_method,
        piece_matches.is_qualified,
        piece_matches.matched_length,
        pieces.piece as matched_text

    from pieces
    inner join piece_matches
        on piece_matches.label_set = pieces.label_set
        and piece_matches.piece = pieces.piece

),

-- which segments count ---------------------------------------------------------------------

first_lines as (

    select text_id, min(line_no) as first_line_no
    from pieces
    group by 1

),

-- on a scale, an option word inside prose commits only on the answer's first line; on a later
-- line the option must stand alone ("Here's my answer:\n- Undecided") or follow a commitment
-- phrase in its piece (seed commitment_phrases: "The best answer would be "Undecided""), not
-- be mentioned in passing ("... by incorrectly attributing 'undecided' to ethics")
committing_matches as (

    select matches.*
    from matches
    inner join texts
        on texts.text_id = matches.text_id
    inner join first_lines
        on first_lines.text_id = matches.text_id
    where texts.task_kind in ('select', 'rank')
        or matches.line_no = first_lines.first_line_no
        or matches.match_method in ('exact', 'synonym', 'fuzzy')
        or exists (
            select 1 from commitment_phrases
            where instr(' ' || matches.matched_text || ' ', ' ' || commitment_phrases.phrase_norm || ' ')
                between 1 and matches.match_pos - 1
        )

),

segments_with_hits as (

    select text_id, line_no, min(segment_no) as segment_no
    from committing_matches
    group by 1, 2

),

chosen_segments as (

    select
        *,
        row_number() over (partition by text_id order by line_no) as line_order

    from segments_with_hits

),

chosen_matches as (

    select
        matches.*,
        texts.task_kind,
        texts.k,
        texts.n_options,
        row_number() over (
            partition by matches.text_id
            order by matches.line_no, matches.segment_no, matches.piece_no, matches.match_pos
        ) as hit_order

    from committing_matches as matches
    inner join chosen_segments
        on chosen_segments.text_id = matches.text_id
        and chosen_segments.line_no = matches.line_no
        and chosen_segments.segment_no = matches.segment_no
    inner join texts
        on texts.text_id = matches.text_id
    where texts.task_kind in ('select', 'rank')
        or chosen_segments.line_order = 1

),

-- select: distinct options in answer order, at most k --------------------------------------

-- one option per piece ("Safety ensures privacy": the rest is explanation), unless the piece
-- is nothing but option labels ("safety privacy fairness")
select_piece_hits as (

    select
        *,
        row_number() over (
            partition by text_id, line_no, segment_no, piece_no
            order by match_pos
        ) as piece_hit_order,
        sum(matched_length + 1) over (partition by text_id, line_no, segment_no, piece_no) - 1
            = length(matched_text) as piece_is_all_labels

    from chosen_matches
    where task_kind = 'select' and not is_qualified

),

select_hits as (

    select
        *,
        row_number() over (partition by text_id, canonical order by hit_order) as option_hit_order

    from select_piece_hits
    where piece_hit_order = 1 or piece_is_all_labels

),

select_choices as (

    select
        text_id,
        canonical as choice,
        match_method,
        matched_text,
        k,
        row_number() over (partition by text_id order by hit_order) as position

    from select_hits
    where option_hit_order = 1

),

select_mapped as (

    select
        text_id,
        position,
        choice,
        cast(null as {{ dbt.type_int() }}) as story_number,
        match_method,
        matched_text

    from select_choices
    where position <= k

),

-- rate and trade-off: exactly one option ----------------------------------------------------

-- a negated or hedged mention ("very important, not extremely important") names nothing;
-- an answer made only of such mentions ("not important") is invalid
scale_hits as (

    select
        *,
        row_number() over (partition by text_id order by hit_order) as plain_hit_order

    from chosen_matches
    where task_kind in ('rate', 'tradeoff') and not is_qualified

),

-- every option the answer lists elsewhere: another option standing alone as a piece (alone but
-- for a qualifier, if qualified), as in
-- "- Undecided\n- Definitely Performance" or "1) Probably Safety\n2) Definitely Human Autonomy";
-- an option word inside an explanation ("Privacy is important for patients", "probably
-- performance would come second") does not list it
scale_listed as (

    select distinct
        matches.text_id,
        matches.canonical

    from matches
    inner join texts
        on texts.text_id = matches.text_id
    where texts.task_kind in ('rate', 'tradeoff')
        and (
            (not matches.is_qualified and matches.match_method in ('exact', 'synonym', 'fuzzy'))
            -- a qualified level standing alone is listed as an alternative too
            -- ("- not at all important\n- highly important")
            -- on another line than the choice ("very important, not extremely important" commits)
            or (matches.is_qualified
                and length(matches.matched_text) - matches.matched_length <= {{ var('max_qualifier_chars') }}
                and not exists (
                    select 1 from chosen_matches
                    where chosen_matches.text_id = matches.text_id
                        and chosen_matches.line_no = matches.line_no
                ))
        )

),

scale_chosen as (

    select distinct text_id, canonical
    from scale_hits

),

-- options mentioned before the choice, even in passing, are alternatives it weighed ("The first
-- option is probably Human Autonomy and ...\n- Definitely Safety"); mentions after it explain it
scale_first_hit as (

    select text_id, line_no, segment_no, piece_no
    from scale_hits
    where plain_hit_order = 1

),

scale_prior as (

    select distinct matches.text_id, matches.canonical
    from matches
    inner join scale_first_hit
        on scale_first_hit.text_id = matches.text_id
    where not matches.is_qualified
        and (matches.line_no < scale_first_hit.line_no
            or (matches.line_no = scale_first_hit.line_no and matches.segment_no < scale_first_hit.segment_no)
            or (matches.line_no = scale_first_hit.line_no and matches.segment_no = scale_first_hit.segment_no
                and matches.piece_no < scale_first_hit.piece_no))

),

scale_named as (

    select text_id, canonical from scale_chosen
    union
    select text_id, canonical from scale_listed
    union
    select text_id, canonical from scale_prior

),

scale_checks as (

    select
        named.text_id,
        count(distinct chosen.canonical) as n_chosen,
        count(distinct named.canonical) as n_options_named

    from scale_named as named
    left join scale_chosen as chosen
        on chosen.text_id = named.text_id
        and chosen.canonical = named.canonical
    group by 1

),

-- answers whose chosen segment names options only negated or hedged
scale_qualified as (

    select distinct chosen_matches.text_id
    from chosen_matches
    where chosen_matches.task_kind in ('rate', 'tradeoff')
        and chosen_matches.is_qualified

),

scale_mapped as (

    select
        scale_hits.text_id,
        1 as position,
        scale_hits.canonical as choice,
        cast(null as {{ dbt.type_int() }}) as story_number,
        scale_hits.match_method,
        scale_hits.matched_text

    from scale_hits
    inner join scale_checks
        on scale_checks.text_id = scale_hits.text_id
    where scale_checks.n_chosen = 1
        and scale_checks.n_options_named = 1
        and scale_hits.plain_hit_order = 1

),

scale_invalid as (

    select text_id, 'ambiguous' as invalid_reason
    from scale_checks
    where n_options_named > 1

    union all

    select scale_qualified.text_id, 'qualified' as invalid_reason
    from scale_qualified
    where not exists (
        select 1 from scale_checks
        where scale_checks.text_id = scale_qualified.text_id
            and (scale_checks.n_options_named > 1 or scale_checks.n_chosen = 1)
    )

),

-- rank: stories in order, read until all are placed -----------------------------------------

rank_lines as (

    select
        text_id,
        line_no,
        n_options,
        count(*) as line_hits

    from chosen_matches
    where task_kind = 'rank'
    group by 1, 2, 3

),

rank_lines_read as (

    select
        text_id,
        line_no,
        coalesce(
            sum(line_hits) over (
                partition by text_id order by line_no
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) < n_options as is_read

    from rank_lines

),

rank_hits as (

    select
        chosen_matches.*,
        row_number() over (partition by chosen_matches.text_id order by chosen_matches.hit_order)
            as position

    from chosen_matches
    inner join rank_lines_read
        on rank_lines_read.text_id = chosen_matches.text_id
        and rank_lines_read.line_no = chosen_matches.line_no
    where chosen_matches.task_kind = 'rank'
        and rank_lines_read.is_read

),

rank_mapped as (

    select text_id, position, canonical as choice, story_number, match_method, matched_text
    from rank_hits

),

-- statuses ------------------------------------------------------------------------------

mapped as (

    select * from select_mapped
    union all
    select * from scale_mapped
    union all
    select * from rank_mapped

),

mapped_counts as (

    select text_id, count(*) as n_choices
    from mapped
    group by 1

),

known_invalid as (

    select * from scale_invalid

),

unmapped as (

    select
        texts.text_id,
        {{ normalise_text('texts.answer_text') }} as answer_norm,
        known_invalid.invalid_reason

    from texts
    left join known_invalid
        on known_invalid.text_id = texts.text_id
    where not exists (select 1 from mapped_counts where mapped_counts.text_id = texts.text_id)

),

refusals as (

    select distinct unmapped.text_id
    from unmapped
    inner join refusal_phrases
        on {{ contains_words('unmapped.answer_norm', 'refusal_phrases.phrase_norm') }}
    -- an answer naming several options is an attempt, not a decline
    where coalesce(unmapped.invalid_reason, '') <> 'ambiguous'

),

unmapped_rows as (

    select
        unmapped.text_id,
        cast(null as {{ dbt.type_int() }}) as position,
        cast(null as {{ dbt.type_string() }}) as choice,
        cast(null as {{ dbt.type_int() }}) as story_number,
        case when refusals.text_id is not null then 'refusal' else 'invalid' end as match_method,
        cast(null as {{ dbt.type_string() }}) as matched_text,
        case when refusals.text_id is not null then 'refusal' else 'invalid' end as status,
        case
            when refusals.text_id is not null then null
            when unmapped.invalid_reason is not null then unmapped.invalid_reason
            when coalesce(unmapped.answer_norm, '') = '' then 'empty'
            else 'no_match'
        end as invalid_reason,
        0 as n_choices

    from unmapped
    left join refusals
        on refusals.text_id = unmapped.text_id

),

mapped_rows as (

    select
        mapped.text_id,
        mapped.position,
        mapped.choice,
        mapped.story_number,
        mapped.match_method,
        mapped.matched_text,
        'mapped' as status,
        cast(null as {{ dbt.type_string() }}) as invalid_reason,
        mapped_counts.n_choices

    from mapped
    inner join mapped_counts
        on mapped_counts.text_id = mapped.text_id

),

final as (

    select * from mapped_rows
    union all
    select * from unmapped_rows

)

select * from final
