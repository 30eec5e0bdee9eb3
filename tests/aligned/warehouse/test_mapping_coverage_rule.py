"""The mapping-coverage rule (data-tests/assert_mapping_coverage.sql), run as written on DuckDB
over a grid of (answers, invalid answers) and checked against scipy's exact binomial tail:
it never fails a group by chance more often than coverage_alpha, and still catches a real excess."""
from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pytest
from scipy.stats import binom

SQL = Path(__file__).resolve().parents[3] / "data-tests" / "assert_mapping_coverage.sql"
N_MAX = 400


def failing_rows(thresholds: dict[str, tuple[float | None, float | None]], n_max: int = N_MAX,
                 defaults: tuple[float, float] = (0.05, 0.001)) -> list[tuple]:
    """(study, n answers, x invalid) of every group the test's own SQL fails, for n in 1..n_max,
    with the same grid of groups in each study and each study's (max_invalid_share, coverage_alpha)
    given as int_study_checks holds them (None: not declared, the dbt vars ``defaults`` apply)."""
    con = duckdb.connect()
    def num(v: float | None) -> str:
        return "cast(null as double)" if v is None else repr(v)

    studies = " union all ".join(f"select '{s}' as study, {num(p0)} as max_invalid_share, "
                                 f"{num(alpha)} as coverage_alpha" for s, (p0, alpha) in thresholds.items())
    con.execute(f"create table int_study_checks as {studies}")
    con.execute(f"""create table response_status as
        select study, 'm' || n || '-' || x as model, 't' as task, n as n_ok, x as n_invalid,
               x / n as invalid_share
        from int_study_checks, range(1, {n_max + 1}) a(n), range(0, {n_max + 1}) b(x) where x <= n""")
    con.execute("""create table unmapped_answers as
        select study, model, task, 'no option matched' as invalid_reason, 'It depends.' as raw_text,
               model as response_id
        from response_status where n_invalid > 0""")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    sql = env.from_string(SQL.read_text()).render(
        config=lambda **_: "", ref=lambda name: name,
        var=lambda name: dict(zip(("max_invalid_share", "coverage_alpha"), defaults))[name])
    return con.execute(f"select distinct study, n_answers, n_invalid from ({sql})").fetchall()


def failing_groups(p0: float, alpha: float, n_max: int = N_MAX) -> set[tuple[int, int]]:
    """(n answers, x invalid) of every group the test's own SQL fails, for n in 1..n_max."""
    return {(int(n), int(x)) for _, n, x in failing_rows({"s": (p0, alpha)}, n_max)}


@pytest.mark.parametrize("p0, alpha", [(0.05, 0.001), (0.05, 0.05), (0.2, 0.01), (0.01, 0.001)])
def test_never_fails_where_the_exact_binomial_tail_is_not_below_alpha(p0, alpha):
    failing = failing_groups(p0, alpha)
    assert failing, "the rule must fail some groups"
    n, x = np.array(sorted(failing)).T
    # P(X >= x) for X ~ Binomial(n, p0): the chance of this many invalid answers or more if the
    # true invalid share were exactly the maximum allowed
    tail = binom.sf(x - 1, n, p0)
    assert (tail < alpha).all(), [(a, b) for a, b, t in zip(n, x, tail) if t >= alpha][:5]


def test_the_shipped_setting_passes_small_counts_and_catches_a_real_excess():
    failing = failing_groups(0.05, 0.001)
    assert not any(x <= 2 for _, x in failing)  # one or two odd answers never fail, whatever n
    assert (12, 1) not in failing and (8, 1) not in failing  # release 0.1.0 fixture, demo --replicates 2
    assert {(3, 3), (28, 8), (200, 24)} <= failing  # the examples in the SQL's comment
    assert (28, 7) not in failing and (200, 23) not in failing
    # a group whose invalid share is twice the limit is caught once there are a few hundred answers
    assert (400, 40) in failing
    # power close to the exact test: the first failing count is at most a few above the exact one
    for n in (28, 100, 200, 400):
        exact = next(x for x in range(n + 1) if binom.sf(x - 1, n, 0.05) < 0.001)
        ours = min(x for m, x in failing if m == n)
        assert exact <= ours <= exact + max(2, n // 100), (n, exact, ours)


def test_no_invalid_answer_allowed_and_no_limit():
    assert failing_groups(0.0, 0.001, n_max=20) == {(n, x) for n in range(1, 21) for x in range(1, n + 1)}
    assert failing_groups(1.0, 0.001, n_max=20) == set()


def test_each_study_is_judged_by_its_own_thresholds():
    """Two studies with the same answers: the one whose experiment file allows more invalid answers
    (checks: max_invalid_share) passes groups the other fails, and each study's failures are
    exactly those of the rule run on that study alone."""
    # "strict" declares nothing: the dbt vars (the defaults) hold; "sure" declares only coverage_alpha
    rows = failing_rows({"strict": (None, None), "loose": (0.2, 0.001), "sure": (None, 1e-9)}, n_max=60)
    by_study = {s: {(int(n), int(x)) for t, n, x in rows if t == s} for s in ("strict", "loose", "sure")}
    assert by_study["strict"] == failing_groups(0.05, 0.001, n_max=60)
    assert by_study["loose"] == failing_groups(0.2, 0.001, n_max=60)
    assert by_study["sure"] == failing_groups(0.05, 1e-9, n_max=60)
    assert by_study["loose"] < by_study["strict"] and by_study["sure"] < by_study["strict"]
    assert (28, 8) in by_study["strict"] and (28, 8) not in by_study["loose"]
