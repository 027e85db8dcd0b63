"""Hardening: HTML and formula injection, upload limits, SQL parameters, secrets, team config.

Each test names the attack it guards against. Static checks read the source with ``ast``
so that new pages and modules are held to the same rules as soon as they are added.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import sqlite3
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit import config as st_config

from geo import users
from geo.audit import read_log, record
from geo.errors import InputError, StoreError
from geo.export import to_csv_bytes
from geo.maps import build_overview_map
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.geo.builders import centres

REPO = Path(__file__).resolve().parents[2]
ROOT = Viewer("root", "admin")
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
)
FORMULAS = (
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
)
SQL_QUOTES = "x'); DROP TABLE layer_versions; --"


def python_files(*parts: str) -> list[Path]:
    files: list[Path] = []
    for part in parts:
        path = REPO / part
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


# -- HTML injection --------------------------------------------------------------------------


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Names bound at module level to a plain string literal."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            found |= {
                target.id: node.value.value
                for target in node.targets
                if isinstance(target, ast.Name) and isinstance(node.value.value, str)
            }
    return found


def html_sinks(path: Path) -> Iterator[tuple[int, ast.expr | None]]:
    """Calls that render raw HTML: ``unsafe_allow_html=True``, ``st.html``, ``components.html``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in calls(tree):
        unsafe = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in call.keywords
        )
        func = call.func
        raw = isinstance(func, ast.Attribute) and func.attr == "html"
        if unsafe or raw:
            yield call.lineno, call.args[0] if call.args else None


def test_every_raw_html_the_app_renders_is_a_static_string():
    """Only literal text (no data, no f-string) may reach unsafe_allow_html or st.html."""
    problems = []
    for path in python_files("app.py", "views", "ui"):
        constants = module_constants(ast.parse(path.read_text(encoding="utf-8")))
        for line, argument in html_sinks(path):
            static = (isinstance(argument, ast.Constant) and isinstance(argument.value, str)) or (
                isinstance(argument, ast.Name) and argument.id in constants
            )
            if not static:
                problems.append(f"{path.relative_to(REPO)}:{line}")
    assert problems == [], f"raw HTML built from variables (escape it or use text): {problems}"


# -- Markdown injection --------------------------------------------------------------------------

#: Streamlit calls whose first argument (the body) is rendered as Markdown.
MARKDOWN_BODIES = frozenset(
    {"markdown", "caption", "write", "warning", "info", "error", "success", "toast"}
    | {"title", "header", "subheader", "badge"}
)
#: Streamlit calls whose label (first argument or ``label=``) is rendered as Markdown.
MARKDOWN_LABELS = frozenset(
    {"metric", "expander", "popover", "button", "download_button", "link_button", "page_link"}
    | {"checkbox", "toggle", "radio", "selectbox", "multiselect", "slider", "select_slider"}
    | {"text_input", "text_area", "number_input", "date_input", "time_input", "file_uploader"}
    | {"color_picker", "form_submit_button", "camera_input", "pills", "segmented_control"}
)
#: Receivers of ``.info``, ``.warning``, … that are loggers, not Streamlit.
NOT_STREAMLIT = frozenset({"log", "logger", "logging", "warnings"})
#: What makes a value plain text for Markdown, and what translates literal text.
ESCAPE_HELPERS = frozenset({"md_escape"})
TRANSLATORS = frozenset({"t", "translate"})
#: Calls that return a number, or a number as text ("12%", "–"): safe in Markdown.
NUMERIC_CALLS = frozenset(
    {"len", "int", "float", "round", "sum", "abs", "format_share", "_share"}
    # geo.i18n.NumberFormat (page.num): digits, separators and the units' symbols only
    | {"integer", "decimal", "percent", "km", "minutes"}
)
#: Operators whose result is a number (``%`` is left out: it also formats strings).
NUMERIC_OPERATORS = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow)


def _name_of(node: ast.expr) -> str:
    """The last name of a call's function: ``ui.md_escape`` → ``md_escape``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Scope:
    """Where an expression stands: names bound to literals, and the enclosing function."""

    literal_names: frozenset[str] = frozenset()
    function: ast.FunctionDef | None = None


@dataclass
class MarkdownCheck:
    """Decides whether an expression can only be text of the code, escaped text or a number.

    Plain are: literal strings, ``t("literal")`` and ``t`` of constant tables
    (``t(LEVEL_LABELS[level])``), names bound by a loop over a literal or an upper-case
    constant, ``md_escape(...)``, numbers, and f-strings, ``+``, ``x if c else y`` and
    ``" · ".join(...)`` made of them; in an f-string also a value with a format spec
    (``{n:,}``) or a number (``{len(x)}``, ``{i + 1}``). A parameter of a function is plain
    when every call of that function in the app passes a plain value for it. Anything
    else (a variable, an exception, ``t(variable)``) may hold data.
    """

    #: Calls by the name of the function called (and of its ``partial`` aliases).
    calls: dict[str, list[tuple[ast.Call, Scope]]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    _busy: set[tuple[int, int]] = field(default_factory=set)

    def index(self, tree: ast.Module) -> list[tuple[ast.Call, Scope]]:
        """Record every call of ``tree`` with its scope; return them."""
        found: list[tuple[ast.Call, Scope]] = []

        def visit(node: ast.AST, scope: Scope) -> None:
            if isinstance(node, ast.FunctionDef):
                scope = Scope(scope.literal_names, node)
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and _name_of(node.value.func) == "partial"
                and node.value.args
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.aliases[target.id] = _name_of(node.value.args[0])
            if isinstance(node, ast.For):
                visit(node.iter, scope)
                inner = Scope(scope.literal_names | self._loop_names(node), scope.function)
                for child in (*node.body, *node.orelse):
                    visit(child, inner)
                return
            if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                names = scope.literal_names
                for generator in node.generators:
                    visit(generator.iter, Scope(names, scope.function))
                    names |= self._loop_names(generator)
                inner = Scope(names, scope.function)
                for child in ast.iter_child_nodes(node):
                    if not isinstance(child, ast.comprehension):
                        visit(child, inner)
                return
            if isinstance(node, ast.Call):
                found.append((node, scope))
                name = _name_of(node.func)
                self.calls.setdefault(self.aliases.get(name, name), []).append((node, scope))
            for child in ast.iter_child_nodes(node):
                visit(child, scope)

        visit(tree, Scope())
        return found

    def _loop_names(self, loop: ast.For | ast.comprehension) -> frozenset[str]:
        """Names a loop binds to literal text (``for i, (name, label) in enumerate(...)``)."""
        source, target = loop.iter, loop.target
        if isinstance(source, ast.Call) and _name_of(source.func) == "enumerate":
            source = source.args[0]  # the counter is a number
        if isinstance(source, ast.Call) and _name_of(source.func) in ("items", "keys", "values"):
            source = source.func.value  # type: ignore[attr-defined]
        if _is_literal(source) or (isinstance(source, ast.Name) and source.id.isupper()):
            return frozenset(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        # A literal table holding some variables: ((a, "xlsx", "Excel"), (b, "pdf", "PDF"))
        rows = source.elts if isinstance(source, ast.Tuple | ast.List) else []
        if not rows or not isinstance(target, ast.Tuple):
            return frozenset()
        names = set()
        for position, name in enumerate(target.elts):
            if isinstance(name, ast.Name) and all(
                isinstance(row, ast.Tuple)
                and len(row.elts) == len(target.elts)
                and _is_literal(row.elts[position])
                for row in rows
            ):
                names.add(name.id)
        return frozenset(names)

    def is_constant(self, node: ast.expr | None, scope: Scope) -> bool:
        """Text chosen by the code: literals, constant tables, loops over literals."""
        if node is None or isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return (
                node.id.isupper()
                or node.id in scope.literal_names
                or self._parameter_is(node.id, scope, self.is_constant)
            )
        if isinstance(node, ast.Attribute | ast.Subscript):
            root = _root(node)
            return root.isupper() or root in scope.literal_names
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if _name_of(node.func) in TRANSLATORS:
                return False
            return not node.args and self.is_constant(node.func.value, scope)  # kind.upper()
        if isinstance(node, ast.IfExp):
            return self.is_constant(node.body, scope) and self.is_constant(node.orelse, scope)
        if isinstance(node, ast.Call) and _name_of(node.func) in TRANSLATORS:
            return bool(node.args) and self.is_constant(node.args[0], scope)
        return False

    def is_plain(self, node: ast.expr | None, scope: Scope) -> bool:
        """Whether ``node`` can only be text of the code, escaped text or a number."""
        if self.is_constant(node, scope):
            return True
        if isinstance(node, ast.Name):
            return self._parameter_is(node.id, scope, self.is_plain)
        if isinstance(node, ast.JoinedStr):
            return all(
                isinstance(part, ast.Constant)
                or (isinstance(part, ast.FormattedValue) and self._plain_formatted(part, scope))
                for part in node.values
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.is_plain(node.left, scope) and self.is_plain(node.right, scope)
        if isinstance(node, ast.IfExp):
            return self.is_plain(node.body, scope) and self.is_plain(node.orelse, scope)
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name in ESCAPE_HELPERS or name in NUMERIC_CALLS:
                return True
            if name == "with_digits" and node.args:  # changes digits only: as safe as its text
                return self.is_plain(node.args[0], scope)
            if name in TRANSLATORS:
                return bool(node.args) and self.is_constant(node.args[0], scope)
            if name == "join" and isinstance(node.func, ast.Attribute) and node.args:
                items = node.args[0]
                return (
                    isinstance(node.func.value, ast.Constant)
                    and isinstance(items, ast.GeneratorExp | ast.ListComp)
                    and self.is_plain(items.elt, scope)
                )
        return False

    def _plain_formatted(self, part: ast.FormattedValue, scope: Scope) -> bool:
        value = part.value
        if part.format_spec is not None or self.is_plain(value, scope):
            return True
        if isinstance(value, ast.Call) and _name_of(value.func) in NUMERIC_CALLS:
            return True
        if isinstance(value, ast.BinOp):
            return isinstance(value.op, NUMERIC_OPERATORS) or any(
                isinstance(side, ast.Constant) and isinstance(side.value, int | float)
                for side in (value.left, value.right)
            )
        return False

    def _parameter_is(self, name: str, scope: Scope, predicate) -> bool:
        """Whether every call of the enclosing function passes ``predicate`` for ``name``."""
        function = scope.function
        if function is None:
            return False
        positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        keyword_only = [a.arg for a in function.args.kwonlyargs]
        if name not in positional and name not in keyword_only:
            return False
        guard = (id(function), hash(name))
        if guard in self._busy:
            return False
        sites = self.calls.get(function.name, [])
        self._busy.add(guard)
        try:
            for call, call_scope in sites:
                passed = {k.arg: k.value for k in call.keywords}.get(name)
                if passed is None and name in positional:
                    at = positional.index(name) - (1 if positional[:1] == ["self"] else 0)
                    passed = call.args[at] if at < len(call.args) else None
                if passed is not None and not predicate(passed, call_scope):
                    return False
        finally:
            self._busy.discard(guard)
        return bool(sites)


def markdown_arguments(call: ast.Call) -> Iterator[ast.expr | None]:
    """The arguments of ``call`` that Streamlit renders as Markdown (none if not Streamlit)."""
    func = call.func
    if isinstance(func, ast.IfExp):  # (st.error if bad else st.info)(text)
        names = {_name_of(func.body), _name_of(func.orelse)}
        if names <= MARKDOWN_BODIES and call.args:
            yield call.args[0]
        return
    if not isinstance(func, ast.Attribute) or _root(func) in NOT_STREAMLIT:
        return
    keywords = {k.arg: k.value for k in call.keywords}
    if func.attr == "tabs" and call.args and isinstance(call.args[0], ast.List | ast.Tuple):
        yield from call.args[0].elts
    elif func.attr in MARKDOWN_BODIES and (call.args or "body" in keywords):
        yield call.args[0] if call.args else keywords["body"]
    elif func.attr in MARKDOWN_LABELS and (call.args or "label" in keywords):
        if func.attr == "page_link":
            yield keywords.get("label")
        else:
            yield keywords.get("label", call.args[0] if call.args else None)
        if func.attr == "metric":
            yield call.args[1] if len(call.args) > 1 else keywords.get("value")
    if func.attr in MARKDOWN_BODIES | MARKDOWN_LABELS and "help" in keywords:
        yield keywords["help"]


def markdown_problems(sources: dict[str, str]) -> list[str]:
    """``file:line`` of every Markdown text built from data without ``md_escape``."""
    check = MarkdownCheck()
    indexed = {name: check.index(ast.parse(text)) for name, text in sources.items()}
    return [
        f"{name}:{call.lineno}"
        for name, found in indexed.items()
        for call, scope in found
        for argument in markdown_arguments(call)
        if not check.is_plain(argument, scope)
    ]


def test_every_markdown_text_of_the_app_is_literal_or_escaped():
    """Data shown by Streamlit's Markdown elements goes through ``ui.md_escape``.

    A name like ``[x](http://host/)`` in an alert, caption, heading, label or tooltip
    would otherwise be a live link, and ``![x](…)`` an image the browser fetches.
    """
    sources = {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
        for path in python_files("app.py", "views", "ui")
    }
    problems = markdown_problems(sources)
    assert problems == [], f"Markdown built from data without ui.md_escape: {problems}"


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("st.warning(problem)", [False]),
        ("st.error(str(exc))", [False]),
        ("cols[0].metric(t(label), value)", [False, False]),
        ("st.caption(f\"{t('Note')}: {warning}\")", [False]),
        ("st.selectbox(name, options, help=text)", [False, False]),
        ("(st.error if bad else st.info)(text)", [False]),
        ("st.tabs([t('A'), name])", [True, False]),
        ("st.subheader(f\"{t('Area')}: {ui.md_escape(area)}\")", [True]),
        ("st.metric(t('Centres'), f'{n:,}', help=f\"{len(x)} {t('men')} · {i + 1}\")", [True] * 3),
        ("st.info(t('Literal text') + ' ' + md_escape(name))", [True]),
        ("st.page_link('views/map.py', label=t('Map'))", [True]),
        ("logger.warning('cannot read %s', path)", []),
        ("name.title()", []),
    ],
)
def test_the_markdown_check_catches_data_and_accepts_escaped_text(source, plain):
    check = MarkdownCheck()
    ((call, scope), *_) = check.index(ast.parse(source))
    assert [check.is_plain(a, scope) for a in markdown_arguments(call)] == plain


@pytest.mark.parametrize("payload", PAYLOADS)
def test_map_tooltips_escape_names_from_data(demo_layers, payload):
    frames = {k: demo_layers[k].head(40).copy() for k in ("municipalities", "centres")}
    for frame in frames.values():
        frame["name_en"] = payload
        frame["name_ar"] = payload
    districts = demo_layers["districts"].head(3).copy()
    districts["name_en"] = payload
    m = build_overview_map(
        demo_layers["regions"], districts, frames["municipalities"], frames["centres"]
    )
    page = m.get_root().render()
    assert payload not in page
    assert "&lt;" in page or "\\u0026lt;" in page


def test_planning_map_escapes_every_label_for_every_role(demo_layers):
    mapview = pytest.importorskip("geo.mapview")
    filters = pytest.importorskip("geo.filters")
    payload = PAYLOADS[1]
    layers = {k: v.copy() for k, v in demo_layers.items()}
    for name in ("centres", "municipalities", "districts"):
        layers[name]["name_en"] = payload
        layers[name]["name_ar"] = payload
    layers["incidents"]["description"] = payload
    from geo.coverage import analyse_coverage

    coverage = analyse_coverage(
        layers["centres"],
        layers["units"],
        layers["incidents"],
        layers["access_audits"],
        layers["municipalities"],
    ).centres
    filtered = filters.apply_filters(layers, filters.MapFilters())
    for role in ("planner", "briefer"):
        m = mapview.build_planning_map(filtered, viewer=Viewer("x", role), coverage=coverage)
        assert payload not in m.get_root().render()


# -- CSV and Excel formula injection ---------------------------------------------------------


def test_csv_exports_never_start_a_cell_with_a_formula():
    frame = pd.DataFrame({"name": list(FORMULAS), "note": ["fine"] * len(FORMULAS)})
    text = to_csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows[1:]] == ["'" + f for f in FORMULAS]


def test_a_line_break_inside_a_cell_cannot_start_a_row_with_a_formula():
    frame = pd.DataFrame({"name": ['Centre\r=HYPERLINK("http://evil.example")', "a\nb"]})
    text = to_csv_bytes(frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["name"], ['Centre\r=HYPERLINK("http://evil.example")'], ["a\nb"]]
    assert not re.search(r"(^|[\r\n])=", text.replace('"Centre\r=', ""))


def test_csv_exports_neutralise_formulas_in_every_text_column_type():
    frame = pd.DataFrame(
        {
            "object": pd.Series(["=1+1"], dtype=object),
            "string": pd.Series(["=1+1"], dtype="string"),
            "category": pd.Categorical(["=1+1"]),
        }
    )
    text = to_csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines()[1] == "'=1+1,'=1+1,'=1+1"


def test_excel_report_writes_formula_text_as_inert_strings(demo_layers):
    reports = pytest.importorskip("geo.reports")
    from geo.workspace import Workspace

    layers = {k: v.copy() for k, v in demo_layers.items()}
    layers["centres"]["name_en"] = FORMULAS[0]
    layers["municipalities"]["name_en"] = FORMULAS[1]
    workspace = Workspace(path="memory", layers=layers, versions=pd.DataFrame(), info={})
    data = reports.prepare_report(workspace, reports.ReportOptions(viewer=ROOT))
    book = openpyxl.load_workbook(io.BytesIO(reports.excel_report(data)))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell holds a formula"
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "@"))]


# -- uploads -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["config.toml", "config.team.toml"])
def test_upload_size_is_limited(name):
    server = tomllib.loads((REPO / ".streamlit" / name).read_text())["server"]
    assert 0 < server["maxUploadSize"] <= 200


def test_every_file_uploader_restricts_the_file_types():
    problems = []
    for path in python_files("app.py", "views", "ui"):
        for call in calls(ast.parse(path.read_text(encoding="utf-8"))):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "file_uploader":
                has_type = len(call.args) >= 2 or any(k.arg == "type" for k in call.keywords)
                if not has_type:
                    problems.append(f"{path.relative_to(REPO)}:{call.lineno}")
    assert problems == [], f"file_uploader without type=[...]: {problems}"


# -- SQL built only with parameters -------------------------------------------------------------

SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WHERE)\b")
# Local names that hold only SQL text built from constants or "?" placeholders.
VETTED_NAMES = frozenset({"placeholders", "where", "self", "cls", "len"})
SQL_METHODS = frozenset({"join"})


def is_constant_expression(node: ast.expr, aliases: frozenset[str] = frozenset()) -> bool:
    """True when every name in ``node`` is a constant, a vetted helper or a constant alias."""
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and not (
            part.id.isupper() or part.id in VETTED_NAMES or part.id in aliases
        ):
            return False
        if isinstance(part, ast.Attribute) and not (
            part.attr.isupper() or part.attr in SQL_METHODS
        ):
            return False
    return True


def constant_aliases(tree: ast.AST) -> frozenset[str]:
    """Local names assigned only from constants, e.g. ``columns = self.SCENARIO_COLUMNS``."""
    assigned: dict[str, bool] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    ok = is_constant_expression(node.value)
                    assigned[target.id] = assigned.get(target.id, True) and ok
    return frozenset(name for name, ok in assigned.items() if ok)


def sql_problems(path: Path) -> list[str]:
    problems = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = constant_aliases(tree)
    for node in ast.walk(tree):
        where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.JoinedStr):
            literal = "".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            if SQL_WORDS.search(literal):
                for value in node.values:
                    if isinstance(value, ast.FormattedValue) and not is_constant_expression(
                        value.value, aliases
                    ):
                        problems.append(f"{where} interpolates {ast.unparse(value.value)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
            and SQL_WORDS.search(str(node.func.value.value))
        ):
            problems.append(f"{where} formats SQL with .format()")
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod)
            and isinstance(node.left, ast.Constant)
            and SQL_WORDS.search(str(node.left.value))
        ):
            problems.append(f"{where} formats SQL with %")
    return problems


def test_sql_text_interpolates_only_constants():
    """Values reach SQL as ``?`` parameters; only table and column constants are spliced in."""
    problems = [
        p for path in python_files("geo", "ui", "views", "app.py") for p in sql_problems(path)
    ]
    assert problems == [], "SQL built from variables:\n" + "\n".join(problems)


def test_the_sql_check_catches_an_injectable_query(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(con, name):\n    con.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n")
    assert sql_problems_of(bad) == ["interpolates name"]


def sql_problems_of(path: Path) -> list[str]:
    global REPO  # noqa: PLW0603 - the helper prints paths relative to the repository
    saved, REPO = REPO, path.parent
    try:
        return [p.split(" ", 1)[1] for p in sql_problems(path)]
    finally:
        REPO = saved


@pytest.fixture
def traced_sql(monkeypatch) -> list[str]:
    """Every statement run through Python's sqlite3, with bound values expanded."""
    statements: list[str] = []
    connect = sqlite3.connect

    def tracing(*args, **kwargs):
        con = connect(*args, **kwargs)
        con.set_trace_callback(statements.append)
        return con

    monkeypatch.setattr(sqlite3, "connect", tracing)
    return statements


@pytest.fixture
def workspace(tmp_path) -> Path:
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layer("centres", centres({"centre_id": "00001"}), author="t")
    return path


def test_quotes_in_layer_names_are_refused_before_any_sql(workspace, traced_sql):
    store = GeoPackageStore(workspace)
    for call in (store.read_layer, store.versions, store.has_layer):
        with pytest.raises(StoreError, match="unknown layer"):
            call(SQL_QUOTES)
    assert not [s for s in traced_sql if "DROP TABLE" in s]
    assert store.current_version("centres") == 1


def test_quotes_in_audit_values_travel_as_parameters(workspace, traced_sql):
    record(
        workspace,
        actor=SQL_QUOTES,
        action="export",
        target=SQL_QUOTES,
        details={SQL_QUOTES: SQL_QUOTES},
    )
    assert read_log(workspace, viewer=ROOT, actor="x' OR '1'='1").empty
    log = read_log(workspace, viewer=ROOT, actor=SQL_QUOTES)
    assert list(log["target"]) == [SQL_QUOTES]
    # Expanded by SQLite, a bound value appears with its quote doubled: never raw.
    assert not [s for s in traced_sql if "x'); DROP" in s]
    assert GeoPackageStore(workspace).current_version("centres") == 1


def test_quotes_in_usernames_are_refused(tmp_path):
    path = tmp_path / "users.yaml"
    with pytest.raises(InputError, match="is not allowed"):
        users.create_first_admin(path, SQL_QUOTES, name="X", password="a long passphrase")


# -- secrets -------------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "bcrypt hash": re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"),
    "private key": re.compile("-----BEGIN " + r"(?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "users file": re.compile(r"^credentials:\s*\n\s+usernames:", re.MULTILINE),
}
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".ini", ".cfg", ".env", ".json", ".conf")
CONFIG_SECRET = re.compile(
    r"""(?imx)^\s*["']?[\w.-]*(password|passwd|secret|cookie_key|api_key|token|client_secret)
    [\w.-]*["']?\s*[:=]\s*["']?(?!\s*$|null|none|""|'')[^\s"'#]{6,}"""
)
MAX_SCANNED_BYTES = 2_000_000


def repository_files() -> list[Path]:
    """Tracked files plus new files git would add (ignored files are not scanned)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        pytest.fail("git is needed to list the repository's files")
    return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]


def secrets_in(path: Path) -> list[str]:
    data = path.read_bytes()[:MAX_SCANNED_BYTES]
    if b"\0" in data[:8192]:
        return []
    text = data.decode("utf-8", errors="replace")
    found = [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]
    if path.suffix in CONFIG_SUFFIXES or path.name.startswith(".env"):
        found += [f"'{m.group(0).strip()[:40]}'" for m in CONFIG_SECRET.finditer(text)]
    return found


def test_no_secret_is_in_the_repository():
    problems = {
        str(path.relative_to(REPO)): found
        for path in repository_files()
        if (found := secrets_in(path))
    }
    assert problems == {}, f"secrets in the repository: {problems}"


def test_streamlit_secrets_and_users_files_are_not_tracked():
    names = {p.name for p in repository_files()}
    assert "secrets.toml" not in names
    assert users.COOKIE_KEY_FILE not in names


def test_the_secret_scanner_finds_hashes_keys_and_config_passwords(tmp_path):
    users_file = tmp_path / "users.yaml"
    users.create_first_admin(
        users_file, "root", name="Root", password="a long passphrase", rounds=4
    )
    assert "bcrypt hash" in secrets_in(users_file)
    assert "users file" in secrets_in(users_file)
    config = tmp_path / "secrets.toml"
    config.write_text('[auth]\ncookie_secret = "s3cr3t-value-123"\nclient_id = "app"\n')
    assert secrets_in(config) == ["'cookie_secret = \"s3cr3t-value-123'"]
    key = tmp_path / "id.pem"
    key.write_text("-----BEGIN " + "OPENSSH PRIVATE KEY-----\nabc\n")
    assert secrets_in(key) == ["private key"]


def test_failed_sign_ins_leave_the_password_in_no_log_file_or_audit(tmp_path, workspace, caplog):
    path = tmp_path / "users.yaml"
    users.create_first_admin(path, "root", name="Root", password="a long passphrase", rounds=4)
    secret = "Tr0ub4dor&3-correct-horse"
    caplog.set_level("DEBUG")
    attempt = users.authenticate(path, "root", secret, policy=users.LoginPolicy(failure_delay_s=0))
    record(workspace, actor="root", action="login_failed", details={"outcome": attempt.outcome})
    assert secret not in caplog.text
    assert secret.encode() not in path.read_bytes()
    assert secret.encode() not in workspace.read_bytes()
    assert secret not in repr(attempt)


# -- the team configuration ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def team_config() -> dict:
    return tomllib.loads((REPO / ".streamlit" / "config.team.toml").read_text())


def test_team_config_hides_error_details(team_config):
    assert team_config["client"]["showErrorDetails"] == "none"
    assert team_config["client"]["showErrorLinks"] is False
    assert team_config["client"]["toolbarMode"] == "viewer"


def test_team_config_uses_only_real_streamlit_options(team_config):
    known = set(st_config._config_options_template)
    used = {f"{section}.{key}" for section, options in team_config.items() for key in options}
    assert used - known == set(), "misspelt options are silently ignored by Streamlit"


def test_team_config_listens_locally_behind_a_proxy_and_sends_no_analytics(team_config):
    server = team_config["server"]
    assert server["address"] in ("127.0.0.1", "localhost")
    assert server["enableXsrfProtection"] is True
    assert server["enableAgentApi"] is False
    assert server["allowRunOnSave"] is False
    assert team_config["browser"]["gatherUsageStats"] is False
    assert team_config["client"]["disableDataExport"] is True


@pytest.mark.parametrize("name", ["config.toml", "config.team.toml"])
def test_both_configs_accept_only_this_machines_host_names(name, monkeypatch):
    """DNS rebinding: a web page that points its own name at 127.0.0.1 sends that name.

    Streamlit's own WebSocket check (``server.allowedHosts``) must refuse it in both
    configurations, and accept this machine's names with any port.
    """
    from streamlit.web.server.starlette import starlette_websocket

    config = tomllib.loads((REPO / ".streamlit" / name).read_text())
    known = set(st_config._config_options_template)
    assert {f"server.{key}" for key in config["server"]} <= known
    allowed = config["server"]["allowedHosts"]
    monkeypatch.setattr(
        starlette_websocket.config,
        "get_option",
        lambda key: allowed if key == "server.allowedHosts" else st_config.get_option(key),
    )
    for host in ("localhost:8501", "127.0.0.1:8501", "[::1]:8501", "LOCALHOST"):
        assert starlette_websocket.is_host_allowed(host), host
    for host in ("rebind.test:8501", "127.0.0.1.nip.io:8501", "10.0.0.5:8501", None):
        assert not starlette_websocket.is_host_allowed(host), host


# -- brute force --------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account(tmp_path):
    path = tmp_path / "users.yaml"
    users.create_first_admin(path, "root", name="Root", password="a long passphrase", rounds=4)
    policy = users.LoginPolicy(failure_delay_s=0)
    t0 = datetime(2025, 5, 16, tzinfo=UTC)
    outcomes = [
        users.authenticate(path, "root", f"guess {i}", policy=policy, now=t0).outcome
        for i in range(6)
    ]
    assert outcomes == ["bad_password"] * 4 + ["locked", "locked"]
    right = users.authenticate(path, "root", "a long passphrase", policy=policy, now=t0)
    assert right.outcome == "locked"
    later = t0 + timedelta(minutes=15, seconds=1)
    assert users.authenticate(path, "root", "a long passphrase", policy=policy, now=later).ok


def test_failures_are_slowed_before_the_lock():
    delays = [users.LoginPolicy().failure_delay(n) for n in range(1, 6)]
    assert delays == sorted(delays)
    assert delays[0] >= 1.0


# An offline server often has no emoji font: emoji show as empty boxes. Icons are
# Streamlit's Material icons (its own bundled font); plain symbols such as ✓ are in DejaVu.
EMOJI = re.compile("[\U0001f000-\U0001faff\ufe0f]")


def test_no_emoji_reaches_the_pages():
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in python_files("app.py", "views", "ui", "geo")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI.search(line)
    ]
    assert found == []
