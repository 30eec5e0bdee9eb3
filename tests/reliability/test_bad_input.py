"""Bad input: every user mistake prints one line (no traceback), exits 2 (3 for a locked
database, 1 when a model had to be stopped), and writes nothing partial.

Each row of CASES is one mistake. ``sub=True`` rows run as a real ``python -m
aligned.cli`` process; the others call ``aligned.cli.main(argv)`` in this process
(same code path, a second less each). The table in docs/reliability.md lists what
every row prints; ``ALIGNED_RELIABILITY_TABLE=path pytest tests/reliability`` writes
those lines (paths, ports and pids replaced by placeholders) to regenerate it.
"""
from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb
import pytest
import yaml

from collector.config import parse_experiment
from collector.importer import import_file
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import serve_in_thread

from .support import ROOT, free_port, lock_holder, run_cli, sha256, small_study, snapshot, write_yaml

SIM_MODEL = {"name": "sim-us-public", "provider": "simulated", "model": "sim-us-public"}
OK_STUDY = small_study([SIM_MODEL])  # study "small": t1 (4 settings) x 1 replicate
GOOD_RECORDS = "".join(
    json.dumps({"model": "survey", "item": "t1", "setting": s, "replicate": 1,
                "response": "Safety, Privacy, Fairness, Dignity, Transparency"}) + "\n"
    for s in ("original", "fixed", "reversed", "synonyms"))


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]  # {tmp} {db} {exp} {ok} and the setup's placeholders are filled in
    expect: str  # a stable substring of the one line printed
    code: int = 2
    db: str = "absent"  # absent | same_bytes | same_rows | no_ok_rows | none
    setup: str | None = None  # base | locked | unreachable | fake401 | fake404 | notduckdb | sqlitedb | emptydb | dbfolder
    exp: Callable[[dict[str, Any], dict[str, str]], Any] | None = None  # mutates the small study -> {exp}
    files: dict[str, str] = field(default_factory=dict)  # extra files under {tmp}
    env: dict[str, str] = field(default_factory=dict)
    sub: bool = False
    needs: str | None = None  # a module that may not exist yet


def _set(**kw: Any) -> Callable[[dict[str, Any], dict[str, str]], Any]:
    return lambda d, fmt: d.update(kw)


def _model(**kw: Any) -> Callable[[dict[str, Any], dict[str, str]], Any]:
    return lambda d, fmt: d["models"][0].update({k: (v.format(**fmt) if isinstance(v, str) else v)
                                                  for k, v in kw.items()})


COLLECT = ("collect", "{exp}", "--db", "{db}", "--no-progress")
IMPORT = ("import", "{tmp}/{name}", "--db", "{db}", "--experiment", "{ok}")

CASES: list[Case] = [
    # ---- the experiment file
    Case("yaml-malformed", COLLECT, "exp.yaml:2: invalid YAML: mapping values are not allowed here",
         files={"exp.yaml": "study: x\n  replicates: [1\n"}, sub=True),
    Case("yaml-not-a-mapping", COLLECT, "exp.yaml: expected a mapping with study:, values:, tasks: and models:",
         files={"exp.yaml": "- a list\n- not a study\n"}),
    Case("yaml-unknown-key", COLLECT, "exp.yaml: colour: unknown key (check the spelling; see docs/experiment-file.md",
         exp=_set(colour="red")),
    Case("yaml-mistyped-key", COLLECT, "exp.yaml: models[0].api_key_enf: unknown key (check the spelling",
         exp=_model(api_key_enf="OPENAI_API_KEY")),
    Case("yaml-wrong-type", COLLECT, "exp.yaml: replicates: Input should be a valid integer", exp=_set(replicates="five")),
    Case("yaml-negative-replicates", COLLECT, "exp.yaml: replicates: Input should be greater than or equal to 1",
         exp=_set(replicates=-1)),
    Case("yaml-duplicate-model-names", COLLECT, "exp.yaml: models (name): 'sim-us-public' appears twice",
         exp=lambda d, fmt: d["models"].append(dict(d["models"][0]))),
    Case("yaml-unknown-provider", COLLECT,
         "exp.yaml: models[0].provider: Input should be 'openai', 'anthropic', 'gemini' or 'simulated'",
         exp=_model(provider="openia")),
    Case("yaml-unknown-task-kind", COLLECT, "exp.yaml: tasks.t1: kind must be one of select, rate, tradeoff, rank",
         exp=lambda d, fmt: d["tasks"]["t1"].update(kind="choose")),
    Case("yaml-unknown-value", COLLECT, "exp.yaml: tasks.t1.values: unknown value 'Honesty'; declare it under values:",
         exp=lambda d, fmt: d["tasks"]["t1"]["values"].append("Honesty")),
    Case("yaml-bad-base-url", COLLECT, "exp.yaml: models[0].base_url: must start with http:// or https://",
         exp=_model(provider="openai", base_url="127.0.0.1:8000/v1")),
    Case("experiment-missing", ("collect", "{tmp}/nope.yaml", "--db", "{db}"),
         "nope.yaml: experiment file not found (the shipped study is"),
    Case("experiment-is-a-directory", ("collect", "{tmp}", "--db", "{db}"),
         "cannot read the experiment file (IsADirectoryError)"),
    # ---- models, keys and servers
    Case("api-key-variable-missing", COLLECT,
         "exp.yaml: models[gpt].api_key_env: the environment variable ALIGNED_REL_MISSING_KEY is not set; export it",
         exp=lambda d, fmt: d.update(models=[{"name": "gpt", "provider": "openai", "model": "gpt-4o",
                                              "api_key_env": "ALIGNED_REL_MISSING_KEY"}]), sub=True),
    Case("api-key-env-holds-a-key", COLLECT,
         "exp.yaml: models[0].api_key_env: this looks like an API key itself, not the name of a variable "
         "(value not shown)", exp=_model(provider="gemini", model="gemini-2.5-flash",
                                         api_key_env="AIza" + "SyD4x9kQ2mN7pL0vR3tY6uW8zB1cE5fG7hJ")),
    Case("models-unknown", COLLECT + ("--models", "sim-nope"),
         "--models: unknown model 'sim-nope'; models in {exp}: sim-us-public"),
    Case("base-url-unreachable", COLLECT,
         "stopped model local: cannot reach http://127.0.0.1:{port}/v1 (Connect call failed", code=1,
         db="no_ok_rows", setup="unreachable", sub=True,
         exp=lambda d, fmt: d.update(models=[{"name": "local", "provider": "openai", "model": "llama",
                                              "base_url": "http://127.0.0.1:{port}/v1".format(**fmt),
                                              "concurrency": 1}])),
    Case("api-key-rejected-401", COLLECT,
         "stopped model gpt-test: HTTP 401 invalid_api_key: Incorrect API key provided: sk-******6789. ", code=1,
         db="no_ok_rows", setup="fake401", env={"ALIGNED_REL_KEY": "sk-wrong-key-0123456789"}, sub=True,
         exp=lambda d, fmt: d.update(models=[{"name": "gpt-test", "provider": "openai", "model": "gpt-test",
                                              "base_url": fmt["url"], "api_key_env": "ALIGNED_REL_KEY",
                                              "concurrency": 1}])),
    Case("model-not-served-404", COLLECT,
         "stopped model gpt-test: HTTP 404 model_not_found: The model does not exist or you do not have access to "
         "it. from {url}: check model: 'gpt-test' and base_url in the experiment file", code=1,
         db="no_ok_rows", setup="fake404",
         exp=lambda d, fmt: d.update(models=[{"name": "gpt-test", "provider": "openai", "model": "gpt-test",
                                              "base_url": fmt["url"], "concurrency": 1}])),
    Case("simulator-url-not-a-url", COLLECT + ("--simulator-url", "localhost:8765"),
         "--simulator-url: 'localhost:8765' is not a URL; give one like http://127.0.0.1:8765/v1"),
    # ---- command-line values
    Case("replicates-flag-negative", COLLECT + ("--replicates", "-1"),
         "argument --replicates: --replicates must be at least 1, got -1", sub=True),
    Case("replicates-flag-not-a-number", ("plan", "{ok}", "--replicates", "many"),
         "argument --replicates: --replicates must be a whole number, got 'many'"),
    Case("concurrency-not-an-integer", COLLECT + ("--concurrency", "2.5"),
         "argument --concurrency: --concurrency must be a whole number, got '2.5'"),
    Case("fault-rate-above-1", ("simulate", "--fault-rate", "2"),
         "argument --fault-rate: must be between 0 and 1, got 2.0", db="none", sub=True),
    Case("demo-fault-rate-above-1", ("demo", "--db", "{db}", "--fault-rate", "1.5"),
         "argument --fault-rate: must be between 0 and 1, got 1.5"),
    Case("no-command", (), "the following arguments are required: COMMAND", db="none"),
    # ---- the database file
    Case("db-folder-missing", ("collect", "{ok}", "--db", "{tmp}/missing/aligned.duckdb"),
         "the folder {tmp}/missing does not exist; create it or choose another --db path", sub=True),
    Case("db-is-a-folder", ("collect", "{ok}", "--db", "{db}"),
         "cannot open the database: IO Error: Could not read from file", setup="dbfolder", db="none"),
    Case("db-not-a-duckdb-file", ("status", "--db", "{db}"),
         "{db}: this file is not a DuckDB database; pass the .duckdb file aligned wrote",
         setup="notduckdb", db="same_bytes"),
    Case("db-not-an-aligned-db", ("status", "--db", "{db}"),
         "not an aligned database (no raw.responses); run `aligned collect` first", setup="emptydb", db="none"),
    Case("design-changed-same-study", COLLECT,
         "study 'small' is already in the database with a different design (items, options, settings or generation "
         "parameters); one study never mixes two designs: name a new study (study: or --study) instead",
         setup="base", db="same_rows", sub=True,
         exp=lambda d, fmt: d["generation"].update(temperature=0.5)),
    Case("status-missing-db", ("status", "--db", "{db}"),
         "no such database; run `aligned collect` or `aligned demo` first, or pass --db", sub=True),
    Case("sql-write-statement", ("sql", "delete from raw.responses", "--db", "{db}"),
         "refused: DELETE is not a read-only query", setup="base", db="same_bytes", sub=True),
    Case("sql-missing-db", ("sql", "select 1", "--db", "{db}"), "no such database"),
    # ---- a locked database (another process holds a write connection)
    Case("locked-collect", ("collect", "{ok}", "--db", "{db}", "--no-progress"),
         "the database is locked by process {pid} (", code=3, setup="locked", db="same_rows", sub=True),
    Case("locked-import", IMPORT, "the database is locked by process {pid} (", code=3, setup="locked",
         db="same_rows", files={"answers.jsonl": GOOD_RECORDS}),
    Case("locked-status", ("status", "--db", "{db}"), "the database is locked by process {pid} (", code=3,
         setup="locked", db="same_rows"),
    Case("locked-sql", ("sql", "select count(*) from raw.responses", "--db", "{db}"),
         "the database is locked by process {pid} (", code=3, setup="locked", db="same_rows"),
    Case("locked-build", ("build", "--db", "{db}"), "the database is locked", code=3, setup="locked",
         db="same_rows", sub=True, needs="aligned.warehouse"),
    # ---- import files
    Case("import-bad-json", IMPORT, "1 bad record(s), nothing imported: line 2: invalid JSON", setup="base",
         db="same_bytes", files={"answers.jsonl": GOOD_RECORDS[: GOOD_RECORDS.index("\n") + 1] + '{"model": "m",\n'},
         sub=True),
    Case("import-missing-field", IMPORT, "1 bad record(s), nothing imported: line 1: missing field: response",
         setup="base", db="same_bytes", files={"answers.jsonl": '{"model": "m", "item": "t1", "replicate": 1}\n'}),
    Case("import-unknown-item", IMPORT, "nothing imported: line 1: unknown item t9/nowhere", setup="base",
         db="same_bytes",
         files={"answers.jsonl": '{"model": "m", "item": "t9/nowhere", "replicate": 1, "response": "x"}\n'}),
    Case("import-unknown-field", IMPORT, "nothing imported: line 1: unknown field(s): answer", setup="base",
         db="same_bytes",
         files={"answers.jsonl": '{"model": "m", "item": "t1", "replicate": 1, "response": "x", "answer": 1}\n'}),
    Case("import-negative-replicate", IMPORT, "nothing imported: line 1: replicate -1 is outside 1..1", setup="base",
         db="same_bytes",
         files={"answers.jsonl": '{"model": "m", "item": "t1", "replicate": -1, "response": "x"}\n'}),
    Case("import-csv-wrong-header", IMPORT,
         "wrong CSV header: missing column(s) replicate, response; unknown column(s) rep, answer", setup="base",
         db="same_bytes", files={"answers.csv": "model,item,rep,answer\nm,t1,1,Safety\n"}),
    Case("import-empty-file", IMPORT, "answers.jsonl: the file is empty; nothing imported", setup="base",
         db="same_bytes", files={"answers.jsonl": ""}),
    Case("import-empty-csv", IMPORT, "answers.csv: the file is empty; nothing imported", setup="base",
         db="same_bytes", files={"answers.csv": "\n"}),
    Case("import-missing-file", ("import", "{tmp}/nope.jsonl", "--db", "{db}"), "nope.jsonl: no such file"),
    Case("import-a-directory", ("import", "{tmp}/folder.jsonl", "--db", "{db}"),
         "folder.jsonl: is a folder; pass a .jsonl or .csv file", files={"folder.jsonl/": ""}),
    Case("import-unknown-file-type", IMPORT, "unknown file type '.txt'; use .jsonl", files={"answers.txt": "x\n"}),
    # ---- issue 18: bounds on every input (docs/reliability.md, "Limits")
    Case("yaml-alias-bomb", COLLECT, "exp.yaml:2: invalid YAML: aliases (*a) are not allowed in an experiment file",
         files={"exp.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"}, sub=True),
    Case("yaml-duplicate-key", COLLECT, "invalid YAML: duplicate key 'replicates' (first on line",
         files={"exp.yaml": yaml.safe_dump(OK_STUDY, sort_keys=False) + "replicates: 2\n"}),
    Case("yaml-too-deep", COLLECT, "exp.yaml:1: invalid YAML: nested more than 32 levels deep",
         files={"exp.yaml": "study: " + "[" * 20_000 + "]" * 20_000 + "\n"}, sub=True),
    Case("generation-date", COLLECT, "exp.yaml: generation: when: a date is not a JSON value",
         exp=lambda d, fmt: d["generation"].update(when=datetime.date(2024, 1, 1)), sub=True),
    Case("generation-set", COLLECT, "exp.yaml: generation: stop: a set (!!set) is not a JSON value",
         exp=lambda d, fmt: d["generation"].update(stop={"a", "b"})),
    Case("generation-nan", COLLECT, "exp.yaml: generation: temperature: nan is not a finite number",
         exp=lambda d, fmt: d["generation"].update(temperature=float("nan"))),
    Case("params-not-json", COLLECT, "exp.yaml: models[0].params: seed: a date is not a JSON value",
         exp=_model(params={"seed": datetime.date(2024, 1, 1)})),
    Case("value-id-collision", COLLECT,
         "exp.yaml: values: 'Human Autonomy' and 'Human-Autonomy' both have the id 'human_autonomy'; rename one",
         exp=lambda d, fmt: d["values"].append({"name": "Human-Autonomy"})),
    Case("model-name-case-collision", COLLECT,
         "exp.yaml: models (name): 'sim-us-public' and 'SIM-US-PUBLIC' differ only in case; rename one",
         exp=lambda d, fmt: d["models"].append({**d["models"][0], "name": "SIM-US-PUBLIC"})),
    Case("prompt-unknown-placeholder", COLLECT,
         "exp.yaml: tasks.t1.prompt: unknown placeholder {{contxt}}; a select task offers {{k}}, {{n}}, {{options}}",
         exp=lambda d, fmt: d["tasks"]["t1"].update(prompt=d["tasks"]["t1"]["prompt"] + "\n{contxt}")),
    Case("plan-too-large", COLLECT,
         "exp.yaml: this run would plan 3,200,000 requests (8 model(s) x 4 prompts x 100,000 replicates), more "
         "than the limit of 1,000,000 per run", sub=True,
         exp=lambda d, fmt: d.update(replicates=100_000, models=[{**SIM_MODEL, "name": f"sim-{i}"} for i in range(8)])),
    Case("replicates-flag-too-large", COLLECT + ("--replicates", "3000000000"),
         "argument --replicates: --replicates must be at most 100,000, got 3,000,000,000", sub=True),
    Case("concurrency-flag-too-large", COLLECT + ("--concurrency", "100000"),
         "argument --concurrency: --concurrency must be at most 4,096, got 100,000"),
    Case("study-flag-not-an-id", COLLECT + ("--study", "My Study"),
         "argument --study: --study must be lower snake case (a-z, 0-9, _; starting with a letter), got 'My Study'"),
    Case("db-sqlite-file", ("status", "--db", "{db}"),
         "{db}: this file is a SQLite database, not a DuckDB database; pass the .duckdb file aligned wrote",
         setup="sqlitedb", db="same_bytes", sub=True),
    Case("sql-sqlite-file", ("sql", "select 1", "--db", "{db}"),
         "{db}: this file is a SQLite database, not a DuckDB database", setup="sqlitedb", db="same_bytes"),
    Case("import-glob-name", ("import", "{tmp}/ans*.jsonl", "--db", "{db}", "--experiment", "{ok}"),
         "ans*.jsonl: no such file", setup="base", db="same_bytes",
         files={"ans1.jsonl": GOOD_RECORDS, "ans2.jsonl": GOOD_RECORDS}),
    Case("import-bad-model-name", IMPORT,
         "nothing imported: line 1: model name \"bad model!\" is not allowed (letters, digits and . _ : / -",
         setup="base", db="same_bytes",
         files={"answers.jsonl": '{"model": "bad model!", "item": "t1", "replicate": 1, "response": "x"}\n'}),
    Case("sql-nested-too-deep", ("sql", "select " + "(" * 45 + "1" + ")" * 45, "--db", "{db}"),
         "the query is nested more than 32 levels deep", setup="base", db="same_bytes", sub=True),
    Case("sql-time-limit", ("sql", "with recursive r(n) as (select 1 union all select n + 1 from r) "
                                   "select count(*) from r", "--db", "{db}", "--timeout", "1"),
         "the query ran longer than 1 s, the time limit of aligned sql", setup="base", db="same_bytes", sub=True),
    Case("sql-memory-limit", ("sql", "select list(range) from range(300000000)", "--db", "{db}",
                              "--memory-limit", "100MB"),
         "the query needs more than 100MB of memory, the limit of aligned sql", setup="base", db="same_bytes",
         sub=True),
    Case("sql-control-characters-in-error", ("sql", 'select "\x1b[2Jcol" from raw.responses', "--db", "{db}"),
         '"\\x1b[2Jcol" not found', setup="base", db="same_bytes"),
    Case("report-out-is-a-file", ("report", "--db", "{db}", "--out", "{tmp}/out.txt"),
         "--out {tmp}/out.txt: is a file, not a folder; give a folder to write into", setup="base", db="same_bytes",
         files={"out.txt": "not a folder\n"}),
    Case("report-out-cannot-be-created", ("report", "--db", "{db}", "--out", "{tmp}/out.txt/report"),
         "--out {tmp}/out.txt/report: cannot create the folder (", setup="base", db="same_bytes",
         files={"out.txt": "not a folder\n"}, sub=True),
]


#: what each row gets wrong, for the table in docs/reliability.md
WHAT = {
    "yaml-malformed": "experiment file that is not valid YAML",
    "yaml-not-a-mapping": "experiment file whose top level is a list",
    "yaml-unknown-key": "unknown top-level key `colour:`",
    "yaml-mistyped-key": "misspelt model key `api_key_enf:`",
    "yaml-wrong-type": "`replicates: five`",
    "yaml-negative-replicates": "`replicates: -1` in the file",
    "yaml-duplicate-model-names": "two models with the same name",
    "yaml-unknown-provider": "`provider: openia`",
    "yaml-unknown-task-kind": "`kind: choose`",
    "yaml-unknown-value": "a task lists a value not declared under `values:`",
    "yaml-bad-base-url": "`base_url` without http(s)://",
    "experiment-missing": "experiment path that does not exist",
    "experiment-is-a-directory": "experiment path that is a folder",
    "api-key-variable-missing": "`api_key_env` names an unset variable",
    "api-key-env-holds-a-key": "the key itself pasted into `api_key_env:`",
    "models-unknown": "`--models` names a model not in the file",
    "base-url-unreachable": "`base_url` on a port nothing listens on",
    "api-key-rejected-401": "the server answers 401 to the key",
    "model-not-served-404": "`model:` the server does not serve (404)",
    "simulator-url-not-a-url": "`--simulator-url localhost:8765` (no scheme)",
    "replicates-flag-negative": "`--replicates -1`",
    "replicates-flag-not-a-number": "`--replicates many`",
    "concurrency-not-an-integer": "`--concurrency 2.5`",
    "fault-rate-above-1": "`aligned simulate --fault-rate 2`",
    "demo-fault-rate-above-1": "`aligned demo --fault-rate 1.5`",
    "no-command": "`aligned` without a command",
    "db-folder-missing": "`--db` in a folder that does not exist",
    "db-is-a-folder": "`--db` that is a folder",
    "db-not-a-duckdb-file": "`--db` that is a text file",
    "db-not-an-aligned-db": "`--db` that is an empty DuckDB file",
    "design-changed-same-study": "changed design (temperature) under the same study name",
    "status-missing-db": "`aligned status` on a missing file",
    "sql-write-statement": "`aligned sql 'delete from raw.responses'`",
    "sql-missing-db": "`aligned sql` on a missing file",
    "locked-collect": "`collect` while another process holds a write connection",
    "locked-import": "`import` while another process holds the file",
    "locked-status": "`status` while another process holds the file",
    "locked-sql": "`sql` while another process holds the file",
    "locked-build": "`build` while another process holds the file",
    "import-bad-json": "JSONL with a broken second line",
    "import-missing-field": "record without `response`",
    "import-unknown-item": "record for item `t9/nowhere`",
    "import-unknown-field": "record with an extra field `answer`",
    "import-negative-replicate": "record with `replicate: -1`",
    "import-csv-wrong-header": "CSV with header `model,item,rep,answer`",
    "import-empty-file": "empty JSONL file",
    "import-empty-csv": "CSV file with nothing but a newline",
    "import-missing-file": "import of a file that does not exist",
    "import-a-directory": "import of a folder named `folder.jsonl`",
    "import-unknown-file-type": "import of `answers.txt`",
    "yaml-alias-bomb": "a 150-byte YAML alias bomb (`*a` nine times, three levels)",
    "yaml-duplicate-key": "`replicates:` twice in the file",
    "yaml-too-deep": "20,000 nested `[` in the file",
    "generation-date": "a date under `generation:`",
    "generation-set": "a `!!set` under `generation:`",
    "generation-nan": "`temperature: .nan` under `generation:`",
    "params-not-json": "a date in a model's `params:`",
    "value-id-collision": "values `Human Autonomy` and `Human-Autonomy` (same id)",
    "model-name-case-collision": "models `sim-us-public` and `SIM-US-PUBLIC`",
    "prompt-unknown-placeholder": "`{contxt}` in a select task's prompt",
    "plan-too-large": "`replicates: 100000` with 8 models (3.2M requests)",
    "replicates-flag-too-large": "`--replicates 3000000000`",
    "concurrency-flag-too-large": "`--concurrency 100000`",
    "study-flag-not-an-id": "`--study 'My Study'`",
    "db-sqlite-file": "`--db` that is a SQLite file",
    "sql-sqlite-file": "`aligned sql` on a SQLite file",
    "import-glob-name": "`aligned import 'ans*.jsonl'` beside ans1.jsonl and ans2.jsonl",
    "import-bad-model-name": "record with model `bad model!`",
    "sql-nested-too-deep": "a query 45 parentheses deep",
    "sql-time-limit": "an endless recursive CTE with `--timeout 1`",
    "sql-memory-limit": "a 300M-element list with `--memory-limit 100MB`",
    "sql-control-characters-in-error": "a query holding a terminal escape code (ESC [2J)",
    "report-out-is-a-file": "`report --out` naming a file",
    "report-out-cannot-be-created": "`report --out` inside a file (cannot be created)",
}
assert set(WHAT) == {c.id for c in CASES}
DB_AFTER = {"absent": "not created", "same_bytes": "byte-identical", "same_rows": "same rows in every raw table",
            "no_ok_rows": "no answer stored; requests stay pending", "none": "-"}

def _argv(case: Case, fmt: dict[str, str]) -> list[str]:
    # IMPORT's {name}: the case's one import file
    name = next((n for n in case.files if not n.endswith("/")), "answers.jsonl")
    return [a.format(name=name, **fmt) for a in case.argv]


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """A database holding study 'small' (imported answers; no network)."""
    d = tmp_path_factory.mktemp("base")
    exp = parse_experiment(write_yaml(d / "ok.yaml", OK_STUDY).read_text(), str(d / "ok.yaml"))
    (d / "answers.jsonl").write_text(GOOD_RECORDS)
    added, _ = import_file(d / "answers.jsonl", d / "base.duckdb", exp)
    assert added == 4
    return d / "base.duckdb"


def _prepare_db(case: Case, db: Path, base_db: Path) -> None:
    if case.setup in ("base", "locked"):
        shutil.copy(base_db, db)
    elif case.setup == "notduckdb":
        db.write_text("these are my notes, not a database\n")
    elif case.setup == "sqlitedb":
        import sqlite3
        with contextlib.closing(sqlite3.connect(db)) as sq:
            sq.execute("create table notes (text)")
            sq.commit()
    elif case.setup == "emptydb":
        duckdb.connect(str(db)).close()
    elif case.setup == "dbfolder":
        db.mkdir()


@contextlib.contextmanager
def _serve(case: Case, db: Path) -> Iterator[dict[str, str]]:
    """Start what the case needs (a lock holder, a server); yields its placeholders."""
    if case.setup == "locked":
        with lock_holder(db) as holder:
            yield {"pid": str(holder.pid)}
    elif case.setup == "unreachable":
        yield {"port": str(free_port())}
    elif case.setup == "fake401":
        api = OpenAIFake(api_key="sk-the-right-key-0123456789", models=("gpt-test",))
        with serve_in_thread(api) as root:
            yield {"url": root + "/v1"}
        assert len(api.generation_requests()) == 1, "a rejected key stops the model after one request"
    elif case.setup == "fake404":
        api = OpenAIFake(api_key=None, models=("gpt-test",))
        api.respond_next(404, times=4)  # the fake serves any model name; a real server says 404 model_not_found
        with serve_in_thread(api) as root:
            yield {"url": root + "/v1"}
        assert len(api.generation_requests()) == 1, "an unknown model stops the model after one request"
    else:
        yield {}


def _dump_for_docs(case: Case, argv: list[str], line: str, code: int, fmt: dict[str, str], tmp: Path) -> None:
    out = os.environ.get("ALIGNED_RELIABILITY_TABLE")
    if not out:
        return

    def norm(text: str) -> str:
        text = text.replace(str(tmp), "<tmp>").replace(str(ROOT), "<repo>")
        for k, v in fmt.items():
            if v:
                text = text.replace(v, f"<{k}>")
        text = text.encode("unicode_escape").decode("ascii") if any(ord(c) < 32 for c in text) else text
        return re.sub(r"\(python[^)]*\)|\([^()]*/python3?[.\d]* -c [^)]*\)", "(<holder>)", text)

    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps({"id": case.id, "what": WHAT[case.id], "argv": norm(shlex.join(["aligned", *argv])),
                            "line": norm(line), "code": code, "db": DB_AFTER[case.db],
                            "process": "subprocess" if case.sub else "main()"}) + "\n")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_prints_one_line_and_writes_nothing(case: Case, tmp_path: Path, base_db: Path):
    if case.needs:
        pytest.importorskip(case.needs, reason=f"{case.needs} does not exist yet")
    db = tmp_path / "db.duckdb"
    ok = write_yaml(tmp_path / "ok.yaml", OK_STUDY)
    for name, text in case.files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(text)
    _prepare_db(case, db, base_db)
    before = sha256(db) if case.db == "same_bytes" else snapshot(db) if case.db == "same_rows" else None
    with _serve(case, db) as extra:
        fmt = {"tmp": str(tmp_path), "db": str(db), "exp": str(tmp_path / "exp.yaml"), "ok": str(ok), **extra}
        if case.exp is not None or "exp.yaml" not in case.files:
            write_yaml(tmp_path / "exp.yaml", OK_STUDY, lambda d: case.exp and case.exp(d, fmt))
        argv = _argv(case, fmt)
        env = {**({"ALIGNED_LOCK_WAIT_S": "0.5"} if case.setup == "locked" else {}), **(case.env or {})}
        result = run_cli(argv, cwd=tmp_path, env=env, subprocess_=case.sub)

    assert "Traceback" not in result.err + result.out, result.err
    assert result.code == case.code, (result.code, result.err)
    expect = case.expect.format(**fmt)
    command = argv[0] if argv else ""
    if case.code == 1:  # the run went ahead; the model that could not be used was stopped with one line
        lines = [line for line in result.err_lines if line.startswith("stopped ")]
        assert len(lines) == 1, result.err
    else:
        lines = result.err_lines
        assert len(lines) == 1, f"expected one line on stderr, got:\n{result.err}"
        assert lines[0].startswith(f"aligned {command}: error: ".replace("aligned : ", "aligned: ")), lines[0]
    assert expect in lines[0], f"{expect!r} not in {lines[0]!r}"
    _dump_for_docs(case, argv, lines[0], result.code, fmt, tmp_path)

    # nothing partial was written
    if case.db == "absent":
        assert not db.exists(), "a database was created for a command that failed"
    elif case.db == "same_bytes":
        assert sha256(db) == before
    elif case.db == "same_rows":
        assert snapshot(db) == before
    elif case.db == "no_ok_rows":
        con = duckdb.connect(str(db), read_only=True)
        ok_rows, failed = con.execute("select count(*) filter (where status = 'ok'), "
                                      "count(*) filter (where status = 'failed') from raw.responses").fetchone()
        planned = con.execute("select count(*) from raw.planned_requests").fetchone()[0]
        con.close()
        assert ok_rows == 0 and failed <= 1 and planned == 4  # the requests stay pending for the next run
    assert not (tmp_path / "data").exists(), "nothing is written to the default database location"


def test_the_table_is_documented():
    doc = (ROOT / "docs" / "reliability.md").read_text()
    missing = [c.id for c in CASES if f"`{c.id}`" not in doc]
    assert not missing, f"docs/reliability.md lacks rows for {missing}"
