{{ config(store_failures=true) }}

-- Mapping coverage: a (study, model, task) fails when its answers show, beyond reasonable doubt,
-- that more than max_invalid_share of them are invalid (neither mapped nor a refusal). Both
-- thresholds, max_invalid_share and coverage_alpha, are the study's own (int_study_checks: the
-- experiment file's `checks:`, else the dbt vars of the same names).
--
-- The rule is a test on counts, not a cut-off on the observed share, so a handful of answers
-- never fails by chance (one odd answer out of 8 is a 12% share, and says little). With n
-- answers, x of them invalid, and p0 = max_invalid_share, a group fails when x/n > p0 and
--
--     n * KL(x/n || p0) > ln(1 / coverage_alpha),
--     KL(q || p) = q ln(q / p) + (1 - q) ln((1 - q) / (1 - p))   (0 ln 0 = 0).
--
-- By the Chernoff-Hoeffding bound, P(X >= x) <= exp(-n KL(x/n || p0)) for a binomial X whose
-- invalid probability is p0 (or less), so a group whose true invalid share is at most p0 fails
-- with probability below coverage_alpha, whatever n. The bound is a little conservative
-- (tests/aligned/warehouse/test_mapping_coverage_rule.py checks it against the exact binomial
-- tail): with p0 = 0.05 and coverage_alpha = 0.001, one or two invalid answers never fail;
-- 3 of 3, 8 of 28 or 24 of 200 do. p0 = 0 fails on any invalid answer, p0 >= 1 never fails.
--
-- A failing group is returned with its most frequent invalid answers (up to five), so the
-- failure shows what the normaliser could not read. Reads leaf marts only, so a failure does
-- not stop the other marts from building.
with

response_status as (

    select * from {{ ref('response_status') }}

),

unmapped_answers as (

    select * from {{ ref('unmapped_answers') }}

),

study_checks as (

    select * from {{ ref('int_study_checks') }}

),

counted as (

    select
        response_status.study,
        response_status.model,
        response_status.task,
        response_status.n_ok as n_answers,
        response_status.n_invalid,
        response_status.invalid_share,
        cast(response_status.n_invalid as double) / response_status.n_ok as q,
        coalesce(study_checks.max_invalid_share, cast({{ var('max_invalid_share') }} as double)) as p0,
        coalesce(study_checks.coverage_alpha, cast({{ var('coverage_alpha') }} as double)) as coverage_alpha

    from response_status
    left join study_checks
        on study_checks.study = response_status.study
    where response_status.n_ok > 0

),

bounded as (

    select
        *,
        case
            when n_invalid = 0 or q <= p0 then null
            when p0 <= 0 then 0.0
            when p0 >= 1 then 1.0
            else exp(-n_answers * (
                q * ln(q / p0)
                + case when q < 1 then (1 - q) * ln((1 - q) / (1 - p0)) else 0 end
            ))
        end as chernoff_bound

    from counted

),

failing_groups as (

    select
        study,
        model,
        task,
        n_answers,
        n_invalid,
        invalid_share,
        p0 as max_invalid_share,
        coverage_alpha,
        chernoff_bound

    from bounded
    where chernoff_bound < coverage_alpha

),

invalid_texts as (

    select
        study,
        model,
        task,
        invalid_reason,
        raw_text,
        count(*) as n_same_answer,
        min(response_id) as example_response_id

    from unmapped_answers
    group by 1, 2, 3, 4, 5

),

ranked_texts as (

    select
        *,
        row_number() over (
            partition by study, model, task
            order by n_same_answer desc, example_response_id
        ) as example_rank

    from invalid_texts

),

offending as (

    select
        failing_groups.study,
        failing_groups.model,
        failing_groups.task,
        failing_groups.n_answers,
        failing_groups.n_invalid,
        failing_groups.invalid_share,
        failing_groups.max_invalid_share,
        failing_groups.coverage_alpha,
        failing_groups.chernoff_bound,
        ranked_texts.example_rank,
        ranked_texts.invalid_reason,
        ranked_texts.n_same_answer,
        ranked_texts.example_response_id,
        ranked_texts.raw_text

    from failing_groups
    inner join ranked_texts
        on ranked_texts.study = failing_groups.study
        and ranked_texts.model = failing_groups.model
        and ranked_texts.task = failing_groups.task
    where ranked_texts.example_rank <= 5

)

select * from offending
