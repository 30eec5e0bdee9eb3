"""A study's human reference: the ``reference:`` block and its long-format CSV files.

:func:`load_reference` reads the files an experiment's ``reference:`` block lists (paths
relative to the experiment file), checks every row against the study's design and returns
a :class:`LoadedReference`, or raises :class:`~collector.errors.UserError` with one line
naming the file, the line, the column and the fix. :func:`record_reference` appends it to
``raw.reference_groups``, ``raw.reference_figures`` and ``raw.reference_published`` as one
load, unless its content equals the study's latest load (then it writes nothing). Rows are
never updated or deleted: the latest load per study (highest ``recorded_at``) is current.

The reference is not part of the design: changing it changes no prompt, so it is recorded
again, never refused. Figures belong to their study; nothing is matched across studies.
See docs/experiment-file.md (`reference:`) for the format.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import astuple, dataclass
from pathlib import Path

import duckdb

from collector import store
from collector.config import MAX_FILE_BYTES, Experiment
from collector.design import Design, TaskVocabulary
from collector.errors import UserError

#: the long format's columns; the first four are required in the header, the others may be left out
COLUMNS = ("group", "task", "context", "value", "value_b", "options", "share", "n")
REQUIRED_COLUMNS = ("group", "task", "value", "share")
#: how option keys are joined in the `options` column (a set of options: a top-two box)
OPTION_SEPARATOR = "+"


@dataclass(frozen=True)
class Figure:
    """One row of ``raw.reference_figures`` (without study and recorded_at)."""

    human_group: str
    task: str
    context: str | None  # None: pooled over contexts, or a task without contexts
    value: str
    value_b: str | None  # trade-offs only: the conflict's other value
    options: str | None  # option keys sorted by the scale's ordinal, joined by '+'; None: select / rank
    share: float
    n_respondents: int
    source_file: str
    source_sha256: str


@dataclass(frozen=True)
class LoadedReference:
    study: str
    citation: str
    caveats: str
    groups: tuple[tuple[str, str, int], ...]  # (id, label, n) in file order
    figures: tuple[Figure, ...]
    published: tuple[tuple[str, str, float, int | None, str], ...]  # (task, statistic, value, n, text)

    @property
    def content_hash(self) -> str:
        """sha256 of everything a load records but its time: equal hashes, nothing to write."""
        return _content_hash(self.citation, self.caveats, self.groups, [astuple(f) for f in self.figures],
                             self.published)

    def summary(self) -> str:
        return f"{_count(len(self.figures), 'figure')} for {_count(len(self.groups), 'group')}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _content_hash(citation: str, caveats: str, groups, figures, published) -> str:
    payload = {
        "citation": citation, "caveats": caveats or "",
        "groups": sorted([list(g) for g in groups]),
        "figures": sorted([list(f) for f in figures], key=lambda r: json.dumps(r, default=str)),
        "published": sorted([list(p) for p in published], key=lambda r: json.dumps(r, default=str)),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def reference_dir(exp: Experiment) -> Path:
    """The folder reference files are relative to: the experiment file's."""
    return Path(exp.source_path).parent if exp.source_path else Path.cwd()


def load_reference(exp: Experiment, design: Design | None = None) -> LoadedReference | None:
    """Read and check the study's reference files; None if the file declares no ``reference:``."""
    spec = exp.reference
    if spec is None:
        return None
    design = design or Design(exp)
    vocab = design.vocabulary
    base = reference_dir(exp)
    where_yaml = exp.source_path or "<experiment>"
    groups = {gid: g for gid, g in spec.groups.items()}
    figures: list[Figure] = []
    seen: dict[tuple, str] = {}
    for name in spec.files:
        path = base / name
        try:
            if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
                raise UserError(f"{path}: the reference file is larger than {MAX_FILE_BYTES:,} bytes; "
                                "is this the right file?")
            data = path.read_bytes()
        except FileNotFoundError:
            raise UserError(f"{where_yaml}: reference.files: {name!r} not found (looked for {path}); put the CSV "
                            f"beside the experiment file or fix the name") from None
        except (IsADirectoryError, PermissionError, OSError) as exc:
            raise UserError(f"{where_yaml}: reference.files: cannot read {path} ({type(exc).__name__}); "
                            "list a readable CSV file") from None
        figures.extend(_read_figures(path, name, data, groups, vocab, seen))
    published = tuple((p.task, p.statistic, float(p.value), p.n, p.text) for p in spec.published)
    return LoadedReference(exp.study, spec.citation, spec.caveats,
                           tuple((gid, g.label, g.n) for gid, g in groups.items()), tuple(figures), published)


def _read_figures(path: Path, name: str, data: bytes, groups: dict, vocab: dict[str, TaskVocabulary],
                  seen: dict[tuple, str]) -> list[Figure]:
    sha = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise UserError(f"{path}: line 1: not a CSV header ({exc}); the first line names the columns "
                        f"{', '.join(COLUMNS)}") from None
    if not header or not any(h.strip() for h in header):
        raise UserError(f"{path}: empty file; the first line names the columns {', '.join(COLUMNS)}, "
                        "then one figure per line")
    cols = [h.strip() for h in header]
    for c in cols:
        if c not in COLUMNS:
            raise UserError(f"{path}: line 1: unknown column {c!r}; the columns are {', '.join(COLUMNS)}")
    if len(set(cols)) != len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise UserError(f"{path}: line 1: column {dup!r} appears twice; keep one")
    for c in REQUIRED_COLUMNS:
        if c not in cols:
            raise UserError(f"{path}: line 1: column {c!r} is missing; the header needs at least "
                            f"{', '.join(REQUIRED_COLUMNS)}")
    out: list[Figure] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not x.strip() for x in row):
                continue
            if len(row) != len(cols):
                raise UserError(f"{path}: line {line}: {len(row)} fields, but the header has {len(cols)}; "
                                "quote a field that holds a comma")
            fig = _figure(path, line, dict(zip(cols, (x.strip() for x in row))), name, sha, groups, vocab)
            key = (fig.human_group, fig.task, fig.context, fig.value, fig.value_b, fig.options)
            first = seen.setdefault(key, f"{path}: line {line}")
            if first != f"{path}: line {line}":
                raise UserError(f"{path}: line {line}: the same figure (group, task, context, value, value_b, "
                                f"options) as {first}; keep one")
            out.append(fig)
    except csv.Error as exc:
        raise UserError(f"{path}: line {reader.line_num}: not valid CSV ({exc}); check the quoting") from None
    if not out:
        raise UserError(f"{path}: no figures, only a header; add one figure per line or drop the file from "
                        "reference.files")
    return out


def _figure(path: Path, line: int, r: dict[str, str], name: str, sha: str, groups: dict,
            vocab: dict[str, TaskVocabulary]) -> Figure:
    def bad(column: str, problem: str, fix: str) -> UserError:
        return UserError(f"{path}: line {line}: {column} {r.get(column, '')!r}: {problem}; {fix}")

    group = r.get("group", "")
    if group not in groups:
        raise bad("group", "not a group of reference.groups", f"use one of {', '.join(groups)} or declare it")
    task = r.get("task", "")
    if task not in vocab:
        raise bad("task", "not a task of the study", f"use one of {', '.join(vocab)}")
    tv = vocab[task]
    context = r.get("context", "") or None
    if context is not None and context not in tv.contexts:
        known = ", ".join(sorted(tv.contexts))
        raise bad("context", f"not a context of task {task}",
                  (f"use one of {known}, or " if known else "") + "leave it empty for a figure pooled over contexts")
    value = tv.values.get(r.get("value", "").lower())
    if value is None:
        raise bad("value", f"not a value of task {task}", f"use one of {', '.join(sorted(tv.values.values()))}")
    value_b_raw = r.get("value_b", "")
    value_b = None
    if tv.kind == "tradeoff":
        value_b = tv.values.get(value_b_raw.lower())
        if value_b is None:
            raise bad("value_b", f"a trade-off figure needs the conflict's other value (task {task})",
                      f"use one of {', '.join(sorted(tv.values.values()))}")
        if frozenset((value, value_b)) not in tv.conflicts:
            pairs = "; ".join(" vs ".join(sorted(c)) for c in sorted(tv.conflicts, key=sorted))
            raise bad("value_b", f"{value} vs {value_b} is not a conflict of task {task}",
                      f"use a declared pair: {pairs}")
    elif value_b_raw:
        raise bad("value_b", f"only trade-off figures name a second value (task {task} is {tv.kind})", "leave it empty")
    options = _options(r.get("options", ""), tv, bad)
    share_raw = r.get("share", "")
    try:
        share = float(share_raw)
    except ValueError:
        raise bad("share", "not a number", "write the share of respondents as a number from 0 to 1") from None
    if not math.isfinite(share) or not 0 <= share <= 1:
        raise bad("share", "outside 0..1", "write a share from 0 to 1 (60% is 0.6)")
    n_raw = r.get("n", "")
    if n_raw:
        try:
            n = int(n_raw)
        except ValueError:
            raise bad("n", "not a whole number", "write the respondents behind the figure, or leave it empty "
                      "for the group's n") from None
        if n <= 0:
            raise bad("n", "must be more than 0", "write the respondents behind the figure, or leave it empty")
    else:
        n = groups[group].n
    return Figure(group, task, context, value, value_b, options, share, n, name, sha)


def _options(raw: str, tv: TaskVocabulary, bad) -> str | None:
    if tv.kind in ("select", "rank"):
        if raw:
            what = "the share that selected the value" if tv.kind == "select" else "the share that ranked it first"
            raise bad("options", f"a {tv.kind} figure names no options (it is {what})", "leave it empty")
        return None
    if not raw:
        raise bad("options", f"a {tv.kind} figure names the option(s) its share counts",
                  f"write keys of the scale joined by {OPTION_SEPARATOR!r}, e.g. "
                  f"{OPTION_SEPARATOR.join(list(tv.option_ordinals)[-2:])}")
    keys = [k.strip() for k in raw.split(OPTION_SEPARATOR)]
    for k in keys:
        if k not in tv.option_ordinals:
            raise bad("options", f"{k!r} is not an option key of task {tv.task}'s scale",
                      f"use keys among {', '.join(tv.option_ordinals)} joined by {OPTION_SEPARATOR!r}")
    if len(set(keys)) != len(keys):
        raise bad("options", "a key appears twice", "name each option once")
    return OPTION_SEPARATOR.join(sorted(keys, key=tv.option_ordinals.__getitem__))


# ---------------------------------------------------------------- the database
def _latest_hash(con: duckdb.DuckDBPyConnection, study: str) -> str | None:
    at = con.execute("select max(recorded_at) from raw.reference_groups where study = ?", [study]).fetchone()[0]
    if at is None:
        return None
    g = con.execute("select human_group, label, n_respondents, citation, caveats from raw.reference_groups "
                    "where study = ? and recorded_at = ?", [study, at]).fetchall()
    f = con.execute("select human_group, task, context, value, value_b, options, share, n_respondents, source_file, "
                    "source_sha256 from raw.reference_figures where study = ? and recorded_at = ?",
                    [study, at]).fetchall()
    p = con.execute("select task, statistic, value, n, text from raw.reference_published "
                    "where study = ? and recorded_at = ?", [study, at]).fetchall()
    return _content_hash(g[0][3], g[0][4], [r[:3] for r in g], f, p)


@dataclass(frozen=True)
class Recorded:
    study: str
    recorded: bool  # False: equal to the latest load, nothing written
    summary: str

    def line(self) -> str:
        if self.recorded:
            return f"reference: {self.summary} recorded for study {self.study}"
        return f"reference: unchanged ({self.summary} of study {self.study})"


def record_reference(con: duckdb.DuckDBPyConnection, ref: LoadedReference) -> Recorded:
    """Append ``ref`` as a new load of its study, unless it equals the latest load (one transaction)."""
    from collector.store import utcnow

    con.execute("begin")
    try:
        if _latest_hash(con, ref.study) == ref.content_hash:
            con.execute("commit")
            return Recorded(ref.study, False, ref.summary())
        now = utcnow()
        store.insert_rows(con, "insert into raw.reference_groups (study, human_group, label, n_respondents, "
                          "citation, caveats, recorded_at)",
                        [[ref.study, gid, label, n, ref.citation, ref.caveats, now] for gid, label, n in ref.groups])
        store.insert_rows(con, "insert into raw.reference_figures (study, human_group, task, context, value, "
                          "value_b, options, share, n_respondents, source_file, source_sha256, recorded_at)",
                        [[ref.study, *astuple(f), now] for f in ref.figures])
        if ref.published:
            store.insert_rows(con, "insert into raw.reference_published (study, task, statistic, value, n, text, "
                              "recorded_at)", [[ref.study, *p, now] for p in ref.published])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return Recorded(ref.study, True, ref.summary())


def record_for_database(exp: Experiment, db_path: str | Path) -> Recorded:
    """``aligned reference``: record the study's reference in an existing database that holds the study."""
    from collector import store

    ref = load_reference(exp)
    if ref is None:
        raise UserError(f"{exp.source_path}: no reference: block, so no human figures to record; declare one "
                        "(see docs/experiment-file.md, `reference:`)")
    con = store.connect(db_path, create=False)
    try:
        store.init_schema(con)
        found = con.execute("select count(*) from raw.studies where study = ?", [exp.study]).fetchone()[0]
        if not found:
            known = [r[0] for r in con.execute("select distinct study from raw.studies order by 1").fetchall()]
            raise UserError(f"{db_path}: study {exp.study!r} is not in this database (it holds "
                            f"{', '.join(known) or 'no study'}); collect or import it first, or pass --study")
        return record_reference(con, ref)
    finally:
        con.close()
