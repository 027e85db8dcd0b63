"""The translation catalogue: which English texts the code shows, read from the code itself.

The catalogue is standard gettext: ``locale/messages.pot`` (the template, every English
text) and ``locale/ar/LC_MESSAGES/messages.po`` (the Arabic) with its compiled ``.mo``,
which :func:`geo.i18n.translate` reads. ``make po`` re-extracts the template with Babel
(``pybabel extract -F babel.cfg``) and updates and compiles the ``.po``.

Babel calls :func:`extract_python` for every ``.py`` file (see ``babel.cfg``). It reads
the file's syntax tree and finds the first argument of every call of ``t``,
``translate``, ``N_`` or ``….t``:

* a literal (``t("Polling centres")``), also inside an f-string and in both branches of
  ``t("a" if x else "b")``;
* a name bound by a ``for`` loop or a comprehension (also through ``enumerate``) over
  literal tuples, or over a dictionary or tuple assigned at the top of the same file
  (``for label, km in (("Patrol reach", …), …): t(label)``;
  ``{k: t(v[1]) for k, v in INCIDENT_STYLES.items()}``), or assigned in the same function;
* the options of ``st.selectbox(…, options, format_func=t)`` (and radios alike);
* a top-level name or an item of a top-level dictionary or tuple of the same file
  (``t(LAYER_CENTRES)``, ``t(SHEET_TITLES[table])``, ``t(UNIT_SHAPES[k][1])``).

Labels that reach ``t`` from another module (``t(STATE_LABELS[s])`` with ``STATE_LABELS``
imported from :mod:`geo.ops`) or that are computed (``t(action.replace("_", " "))``) are
listed in :func:`label_messages`, which imports the label maps themselves, so that the
files defining them need no marker; Babel reads them through :func:`extract_labels`. A new
text written straight into ``t(...)`` needs nothing; a new label map passed to ``t`` from
another module goes into :func:`label_messages` (or its values into ``N_(...)``).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

from geo.i18n import DOMAIN, LOCALE_DIR

#: Names whose first argument is a text to translate (functions, or methods like ``page.t``).
KEYWORDS: frozenset[str] = frozenset({"t", "translate", "N_"})
ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
PROJECT = "Polling Security Planner"

_Extracted = tuple[int, str, str, list[str]]
# Calls that wrap a literal without changing what it holds: MappingProxyType({...}), ...
_WRAPPERS = frozenset({"MappingProxyType", "tuple", "dict", "frozenset", "list"})


def po_path(lang: str) -> Path:
    """Return the ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    """Return the compiled ``.mo`` file of ``lang``."""
    return po_path(lang).with_suffix(".mo")


# --- reading the syntax tree -----------------------------------------------------------


class _Resolver:
    """What an expression of one file may evaluate to, as far as literals tell."""

    def __init__(self, tree: ast.Module) -> None:
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.top: dict[str, ast.expr] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if isinstance(target, ast.Name):
                self.top[target.id] = value

    def leaves(self, node: ast.AST, depth: int = 0) -> list[ast.expr]:
        """Return the literal nodes ``node`` may be (containers stay whole); [] if unknown."""
        if depth > 8:
            return []
        if isinstance(node, ast.Constant | ast.Tuple | ast.List | ast.Dict):
            return [node]
        if isinstance(node, ast.IfExp):
            return self.leaves(node.body, depth + 1) + self.leaves(node.orelse, depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _WRAPPERS
            and len(node.args) == 1
        ):
            return self.leaves(node.args[0], depth + 1)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            found = self._items(self.leaves(node.func.value, depth + 1))
            if len(node.args) > 1:
                found += self.leaves(node.args[1], depth + 1)
            return found
        if isinstance(node, ast.Subscript):
            containers = self.leaves(node.value, depth + 1)
            index = node.slice
            if isinstance(index, ast.Constant) and isinstance(index.value, int):
                picked: list[ast.expr] = []
                for c in containers:
                    if isinstance(c, ast.Tuple | ast.List) and index.value in range(
                        -len(c.elts), len(c.elts)
                    ):
                        picked += self.leaves(c.elts[index.value], depth + 1)
                    elif isinstance(c, ast.Dict):
                        picked += self._items([c])
                return picked
            items = self._items(containers)
            return [leaf for item in items for leaf in self.leaves(item, depth + 1)]
        if isinstance(node, ast.Name):
            bound = self._loop_binding(node)
            if bound is not None:
                return [leaf for b in bound for leaf in self.leaves(b, depth + 1)]
            local = self._local_values(node)
            if local:
                return [leaf for value in local for leaf in self.leaves(value, depth + 1)]
            if node.id in self.top:
                return self.leaves(self.top[node.id], depth + 1)
        return []

    def _local_values(self, name: ast.Name) -> list[ast.expr]:
        """Values assigned to ``name`` in the function around it (``x = …``, ``x += …``)."""
        node: ast.AST = name
        while node in self.parents and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node = self.parents[node]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return []
        values: list[ast.expr] = []
        for statement in ast.walk(node):
            if isinstance(statement, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name.id for t in statement.targets):
                    values.append(statement.value)
            elif isinstance(statement, ast.AugAssign | ast.AnnAssign):
                target = statement.target
                if isinstance(target, ast.Name) and target.id == name.id and statement.value:
                    values.append(statement.value)
        return values

    @staticmethod
    def _items(containers: Iterable[ast.expr]) -> list[ast.expr]:
        """Values of dictionaries, elements of tuples and lists."""
        out: list[ast.expr] = []
        for c in containers:
            if isinstance(c, ast.Dict):
                out += c.values
            elif isinstance(c, ast.Tuple | ast.List):
                out += c.elts
        return out

    def _loop_binding(self, name: ast.Name) -> list[ast.expr] | None:
        """Return what a loop variable takes when the loop runs over literals (None: no loop)."""
        node: ast.AST = name
        while node in self.parents:
            node = self.parents[node]
            loops: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.For):
                loops = [(node.target, node.iter)]
            elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
                loops = [(g.target, g.iter) for g in node.generators]
            for target, iterable in loops:
                if _binds(target, name.id):
                    return [
                        value
                        for element in self._elements(iterable)
                        for value in _pick(target, element, name.id)
                    ]
        return None

    def _elements(self, iterable: ast.expr) -> list[ast.expr]:
        """Elements a loop over ``iterable`` takes (``(key, value)`` tuples for ``.items()``)."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate"
            and iterable.args
        ):
            count = ast.Constant(value=0)
            return [
                ast.Tuple(elts=[count, e], ctx=ast.Load()) for e in self._elements(iterable.args[0])
            ]
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute):
            method = iterable.func.attr
            dicts = [d for d in self.leaves(iterable.func.value) if isinstance(d, ast.Dict)]
            if method == "items":
                return [
                    ast.Tuple(elts=[k, v], ctx=ast.Load())
                    for d in dicts
                    for k, v in zip(d.keys, d.values, strict=True)
                    if k is not None
                ]
            if method == "values":
                return [v for d in dicts for v in d.values]
            if method == "keys":
                return [k for d in dicts for k in d.keys if k is not None]
            return []
        elements: list[ast.expr] = []
        for container in self.leaves(iterable):
            if isinstance(container, ast.Tuple | ast.List):
                elements += container.elts
            elif isinstance(container, ast.Dict):
                elements += [k for k in container.keys if k is not None]
        return elements


def _binds(target: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def _pick(target: ast.expr, element: ast.expr, name: str) -> list[ast.expr]:
    """Return the part of ``element`` that ``name`` in the loop target ``target`` takes."""
    if isinstance(target, ast.Name):
        return [element] if target.id == name else []
    if isinstance(target, ast.Tuple | ast.List) and isinstance(element, ast.Tuple | ast.List):
        # Positions after a starred element (``label, *rest`` or ``("a", *b)``) are not known.
        starred = [
            next((i for i, e in enumerate(elts) if isinstance(e, ast.Starred)), None)
            for elts in (target.elts, element.elts)
        ]
        if starred == [None, None] and len(target.elts) != len(element.elts):
            return []
        known = min(len(target.elts), len(element.elts), *(i for i in starred if i is not None))
        return [
            found
            for sub_target, sub_element in zip(
                target.elts[:known], element.elts[:known], strict=True
            )
            for found in _pick(sub_target, sub_element, name)
        ]
    return []


def _keyword_of(func: ast.expr) -> str | None:
    """Return the keyword ``func`` names (``t``, ``translate``, ``N_``, ``page.t``), or None."""
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name if name in KEYWORDS else None


def messages_in_source(source: str) -> Iterator[tuple[int, str, str]]:
    """Yield ``(line, keyword, English text)`` for every text the code passes to ``t``."""
    tree = ast.parse(source)
    resolver = _Resolver(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        # st.selectbox(label, options, format_func=t): every option is a text.
        for kw in node.keywords:
            if kw.arg == "format_func" and _keyword_of(kw.value) is not None:
                given = [k.value for k in node.keywords if k.arg == "options"]
                options = given[0] if given else node.args[1] if len(node.args) > 1 else None
                for leaf in resolver.leaves(options) if options is not None else []:
                    for element in resolver._items([leaf]) or [leaf]:
                        for value in resolver.leaves(element):
                            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                                yield node.lineno, "format_func", value.value
        if not node.args:
            continue
        keyword = _keyword_of(node.func)
        if keyword is None:
            continue
        for leaf in resolver.leaves(node.args[0]):
            if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and leaf.value:
                yield node.lineno, keyword, leaf.value


def extract_python(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Any
) -> Iterator[_Extracted]:
    """Babel extraction method for Python files (``[geo.catalogue.extract_python: …]``)."""
    del keywords, comment_tags, options
    source = fileobj.read().decode("utf-8")
    for line, _keyword, text in messages_in_source(source):
        yield line, "", text, []


# --- labels passed to t() from another module ------------------------------------------


def _values(mapping: Mapping[Any, str]) -> list[str]:
    return [str(v) for v in mapping.values()]


def _second(mapping: Mapping[Any, tuple[Any, ...]]) -> list[str]:
    return [str(v[1]) for v in mapping.values()]


def label_messages() -> list[tuple[str, list[str]]]:
    """Return ``(where, texts)`` for the labels that reach ``t`` from another module.

    These are shown through ``t(label_map[code])`` in a module other than the one that
    defines the map, or are computed from codes; each entry names where they are used.
    """
    from typing import get_args

    from geo import (
        coverage,
        filters,
        maps,
        mapview,
        ops,
        opsmap,
        optimise,
        reports,
        risk,
        scenario,
        users,
    )

    schemes = [
        text
        for scheme in mapview.COLOUR_SCHEMES.values()
        for text in (scheme.label, *(label for _, _, label in scheme.categories))
    ]
    return [
        ("geo.ops (views/operations.py, geo/opsmap.py, geo/pdf.py)", _values(ops.STATE_LABELS)),
        ("geo.ops (views/operations.py, geo/opsmap.py, geo/pdf.py)", _values(ops.KIND_LABELS)),
        ("geo.ops (views/operations.py, geo/pdf.py)", _values(ops.OVERDUE_LABELS)),
        ("geo.ops (views/operations.py, geo/pdf.py)", _values(ops.BASIS_LABELS)),
        ("geo.ops (views/operations.py, geo/opsmap.py)", _values(ops.CENTRE_STATUS_LABELS)),
        ("geo.opsmap (views/operations.py)", _second(opsmap.CENTRE_COLOURS)),
        ("geo.mapview (ui/map.py, geo/opsmap.py)", _second(mapview.INCIDENT_STYLES)),
        ("geo.mapview (ui/map.py, geo/opsmap.py)", _second(mapview.UNIT_SHAPES)),
        ("geo.mapview (ui/map.py)", schemes),
        (
            "geo.mapview (geo/mapview.py measures)",
            [text for m in mapview.MEASURES.values() for text in (m.label, m.unit)],
        ),
        ("geo.maps (tooltips)", _values(maps.BOUNDARY_NOTES)),
        ("geo.coverage (views/coverage.py, geo/pdf.py)", _values(coverage.NEED_LIST_TITLES)),
        ("geo.risk (views/coverage.py)", _values(risk.COMPONENT_LABELS)),
        ("geo.reports (views/reports.py, geo/pdf.py)", _values(reports.SHEET_TITLES)),
        ("geo.reports (views/reports.py, geo/pdf.py)", _values(reports.LEVEL_LABELS)),
        ("geo.reports (geo/pdf.py, geo/staticmap.py)", _values(reports.STATUS_LABELS)),
        ("geo.reports (geo/pdf.py)", _values(reports.CATEGORY_LABELS)),
        ("geo.reports (tables)", _values(reports.ACCESS_LABELS)),
        ("geo.reports (tables)", _values(reports.TIER_LABELS)),
        ("geo.reports (tables)", _values(reports.UNIT_TYPE_LABELS)),
        ("geo.reports (tables)", [reports.ACLED_ATTRIBUTION]),
        (
            "geo.filters (filter lines of reports and maps)",
            [f.name.replace("_", " ") for f in dataclasses.fields(filters.MapFilters)],
        ),
        (
            "geo.users (views/admin.py: user actions)",
            [a.replace("_", " ") for a in users.USER_ACTIONS],
        ),
        ("geo.risk (ui/map.py: a centre's risk tier)", list(risk.TIERS)),
        (
            "geo.optimise (ui/plan.py: solver status and candidate sites; staffing's are a subset)",
            [
                *get_args(optimise.SolveStatus),
                *optimise.CANDIDATE_SOURCES,
            ],
        ),
        ("geo.scenario (views/plan.py: the current deployment)", [scenario.CURRENT_DEPLOYMENT]),
    ]


def extract_labels(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: Any
) -> Iterator[_Extracted]:
    """Babel extraction method that yields :func:`label_messages` (run on this file)."""
    del fileobj, keywords, comment_tags, options
    for where, texts in label_messages():
        for text in texts:
            if text:
                yield 0, "", text, [where]


# --- the same extraction as ``make po`` -------------------------------------------------


class Found(NamedTuple):
    """Where one English text was found: its files and the notes on it (label maps)."""

    files: list[str]
    notes: list[str]


def extract_messages(root: Path = ROOT) -> dict[str, Found]:
    """Return every English text to translate and where it is, as ``make po`` finds them.

    Runs Babel's extraction with ``babel.cfg``, exactly as ``pybabel extract -F babel.cfg``.
    """
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / BABEL_CFG.name).open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, Found] = {}
    for filename, _line, message, comments, _context in extract_from_dir(
        str(root), method_map, options_map
    ):
        text = message if isinstance(message, str) else message[0]
        here = found.setdefault(text, Found([], []))
        if filename not in here.files:
            here.files.append(filename)
        here.notes.extend(c for c in comments if c not in here.notes)
    return found


def _template(root: Path = ROOT) -> Any:
    """Return the template catalogue (every English text, untranslated) from the code."""
    from babel.messages.catalog import Catalog

    template = Catalog(project=PROJECT, version="1", fuzzy=False, header_comment=_POT_HEADER)
    for text, found in extract_messages(root).items():
        template.add(text, locations=[(f, 0) for f in found.files], auto_comments=found.notes)
    # Every text goes through str.format ({name}), never through %: "% of registered
    # voters" is not a printf format, whatever Babel guesses from the percent sign.
    for message in template:
        message.flags.discard("python-format")
    return template


_POT_HEADER = """\
# Every English text of the Polling Security Planner (gettext template).
# Made by 'make po' from the code (geo/catalogue.py, babel.cfg): do not edit by hand.
#"""


def _entries(catalogue: Any) -> list[tuple[str, list[str], list[str]]]:
    return [(m.id, sorted(f for f, _ in m.locations), m.auto_comments) for m in catalogue if m.id]


def update(lang: str = "ar", root: Path = ROOT) -> tuple[int, int]:
    """Re-extract the template, update the ``lang`` catalogue from it and compile it.

    Returns ``(texts, untranslated)``: the number of texts and of those without a
    translation (new, or fuzzy: matched to a similar old text, to be checked).
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    template = _template(root)
    pot_file = root / TEMPLATE.relative_to(ROOT)
    if pot_file.exists():
        # Same texts in the same places: keep the date, so that the files stay unchanged.
        with pot_file.open("rb") as file:
            old = read_po(file)
        if _entries(old) == _entries(template):
            template.creation_date = old.creation_date
    po_file = root / po_path(lang).relative_to(ROOT)
    with po_file.open("rb") as file:
        catalogue = read_po(file, locale=lang)
    catalogue.update(template, update_header_comment=False)
    for message in catalogue:
        message.flags.discard("python-format")
    with pot_file.open("wb") as file:
        write_po(file, template, width=100, include_lineno=False)
    with po_file.open("wb") as file:
        write_po(file, catalogue, width=100, include_lineno=False, include_previous=True)
    with po_file.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalogue)
    missing = sum(1 for m in catalogue if m.id and (not m.string or m.fuzzy))
    return len(template), missing


def read_dict(path: Path, name: str = "ARABIC") -> dict[str, str]:
    """Return the ``name = {English: translation}`` dictionary literal of a Python file.

    For porting entries written in the old ``geo.i18n.ARABIC`` dictionary (on another
    branch) into the ``.po``: ``python -m geo.catalogue merge-dict FILE``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for statement in tree.body:
        target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        value = getattr(statement, "value", None)
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            found = ast.literal_eval(value)
            if isinstance(found, dict):
                return {str(k): str(v) for k, v in found.items()}
    raise ValueError(f"{path}: no dictionary literal named {name} at the top of the file")


def merge(
    translations: Mapping[str, str], lang: str = "ar", root: Path = ROOT, *, overwrite: bool = False
) -> list[str]:
    """Put ``translations`` into the ``lang`` catalogue and compile it; say what was done.

    New texts are added and untranslated or fuzzy ones filled in. A text the catalogue
    already translates otherwise is kept (reported as ``kept``) unless ``overwrite``: an
    old dictionary from another branch holds every old translation, and the catalogue's
    may be the newer (the glossary's). A text the code does not show yet is added too;
    the next ``make po`` keeps it if the code shows it by then.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    po_file = root / po_path(lang).relative_to(ROOT)
    with po_file.open("rb") as file:
        catalogue = read_po(file, locale=lang)
    done: list[str] = []
    for english, translated in translations.items():
        message = catalogue.get(english)
        gone = catalogue.obsolete.get(english)
        if message is None and gone is not None and gone.string == translated:
            continue  # the code no longer shows it; make po keeps it as obsolete (#~)
        if message is None:
            catalogue.add(english, translated)
            done.append(f"added: {english}")
        elif message.string == translated and not message.fuzzy:
            continue
        elif message.string and not message.fuzzy and not overwrite:
            done.append(f"kept: {english} ({message.string}; the file has {translated})")
        else:
            old = message.string
            message.string = translated
            message.flags.discard("fuzzy")
            done.append(f"changed: {english} ({old or 'untranslated'} → {translated})")
    with po_file.open("wb") as file:
        write_po(file, catalogue, width=100, include_lineno=False, include_previous=True)
    with po_file.with_suffix(".mo").open("wb") as file:
        write_mo(file, catalogue)
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m geo.catalogue update`` (what ``make po`` runs) or ``merge-dict FILE``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m geo.catalogue", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="re-extract the template, update and compile the .po")
    merge_dict = commands.add_parser(
        "merge-dict", help="add the entries of an ARABIC = {...} dictionary to the .po"
    )
    merge_dict.add_argument("file", type=Path, help="a Python file, e.g. an old geo/i18n.py")
    merge_dict.add_argument("--name", default="ARABIC", help="the dictionary's name")
    merge_dict.add_argument(
        "--overwrite", action="store_true", help="replace translations the .po already has"
    )
    args = parser.parse_args(argv)
    if args.command == "update":
        texts, missing = update()
        print(
            f"{TEMPLATE.relative_to(ROOT)}: {texts} texts; {po_path('ar').relative_to(ROOT)}: "
            f"{missing} without a checked Arabic translation (new or fuzzy)"
        )
        return 0
    for line in merge(read_dict(args.file, args.name), overwrite=args.overwrite):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
