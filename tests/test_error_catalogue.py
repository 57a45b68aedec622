"""The error catalogue (``slideforge.error_catalogue``) against the code.

1. An AST scan of ``src/slideforge`` (the sandboxes aside: they speak the platforms' own
   codes) finds every error code the code writes literally — in ``ApiError(...)`` and the
   other constructors and helpers that take a code, positionally or by keyword, in the
   ``{"code": ...}`` error dicts of the publish path, and in literals a code argument is
   resolved to (a local assignment, a loop over tuples, a module-level table) — and fails,
   naming file:line, for a code the catalogue lacks. A code argument that cannot be resolved
   to literals must be a known pass-through site (below), so a new dynamic code is reviewed.
2. ``docs/errors.md`` is exactly what ``python -m slideforge.error_catalogue`` prints.
3. Every catalogue entry is used by the code (no dead entries), except the few codes built
   at run time, listed in ``DYNAMIC`` with where they come from.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from slideforge import error_catalogue
from slideforge.error_catalogue import CATALOGUE, explain, render_markdown

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "slideforge"
SKIP = (SRC / "sandbox",)

# Callables that take an error code: name -> (position in the call, keyword, default when the
# argument is left out). Matched by the called name (``ApiError(...)``, ``self._reject(...)``).
CODE_ARGS: dict[str, tuple[int | None, str, str | None]] = {
    "ApiError": (0, "error_code", None),  # kit/errors.py
    "TikTokFetchError": (0, "code", None),  # copy_tiktok/fetch.py, an ApiError
    "not_found": (1, "error_code", "not_found"),  # kit/errors.py
    "error_response": (0, "error_code", None),  # kit/envelope.py
    "_answer": (1, "error_code", None),  # kit/envelope.py: envelope or a registered shape
    "_reject": (3, "code", None),  # kit/envelope.py BodyGuard (self._reject(scope, send, …))
    "check_image_url": (3, "code", "invalid_payload"),  # slideshows/service.py
    "PlatformError": (1, "code", None),  # publishing/platforms/base.py: a target's code
    "_finish": (None, "error_code", None),  # publishing/service.py: writes target.error_code
}

# Sites whose code argument is not a literal on purpose: (file under src/slideforge, the
# enclosing function) -> why. A new unresolved site fails the scan until it is listed here.
PASS_THROUGH: dict[tuple[str, str], str] = {
    ("kit/errors.py", "not_found"): "the helper's own parameter (its callers are scanned)",
    ("kit/envelope.py", "_answer"): "the helper's own parameter",
    ("kit/envelope.py", "_api_error"): "answers an ApiError with its own code",
    ("mcp_server/http.py", "__call__"): "answers authenticate's ApiError with its own code",
    ("slideshows/service.py", "check_image_url"): "the helper's parameter (callers scanned)",
    ("compat/ugc.py", "_ugc_wording"): "re-raises an ApiError with its own code",
    ("templates/service.py", "_check_product"): "re-raises check_reference's ApiError code",
    ("compat/ayrshare/errors.py", "route"): "Ayrshare's numeric codes in Ayrshare's error shape",
    ("compat/ayrshare/errors.py", "_outside_routes"): "Ayrshare's numeric codes, Ayrshare's shape",
    (
        "publishing/platforms/tiktok/errors.py",
        "api_error",
    ): "TikTok's own error.code, passed through",
    (
        "publishing/platforms/tiktok/adapter.py",
        "_token_call",
    ): "TikTok's own OAuth error, passed on",
    ("publishing/platforms/tiktok/adapter.py", "continue_upload"): 'f"http_{status}" (DYNAMIC)',
    ("publishing/platforms/instagram/adapter.py", "send"): "re-raises a PlatformError's own code",
    (
        "publishing/platforms/tiktok/reads.py",
        "_read_errors",
    ): "TikTok's own 429 code, passed on with a retry delay",
    ("publishing/workflows.py", "_error"): "a PlatformError's code as a dict (scanned there)",
}

# Catalogue entries no literal in the code names: each is built at run time.
DYNAMIC: dict[str, str] = {
    # publishing/platforms/tiktok/adapter.py _call and continue_upload: f"http_{response.status_code}"
    "http_<status>": "an HTTP error from TikTok without TikTok's own code",
}


@dataclass(frozen=True)
class Found:
    code: str
    where: str  # file:line


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.rel = path.relative_to(SRC).as_posix()
        self.tables: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
                self.tables[target.id] = value
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.found: list[Found] = []
        self.unresolved: list[tuple[str, str, str]] = []  # (where, function, expression)

    # -- resolution of an expression to the literal codes it can be ---------------------------

    def _table_values(self, name: str, index: int | None) -> set[str] | None:
        table = self.tables.get(name)
        if not isinstance(table, ast.Dict):
            return None
        out: set[str] = set()
        for value in table.values:
            got = self._pick(value, index)
            if got is None:
                return None
            out |= got
        return out

    def _pick(self, node: ast.expr, index: int | None) -> set[str] | None:
        if index is not None:
            if isinstance(node, ast.Tuple) and index < len(node.elts):
                return self.resolve(node.elts[index])
            return None
        return self.resolve(node)

    def resolve(self, node: ast.expr, index: int | None = None) -> set[str] | None:
        """The literal strings ``node`` can evaluate to (its ``index`` element when it is a
        tuple), or None when it cannot be told from the source."""
        if index is not None and isinstance(node, ast.Tuple):
            return self._pick(node, index)
        if index is None and isinstance(node, ast.Constant):
            if node.value is None:  # ``error_code=None``: clears the code
                return set()
            return {node.value} if isinstance(node.value, str) else None
        if index is None and isinstance(node, ast.JoinedStr):  # f"pinterest_{action}_refused"
            out = {""}
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    if part.format_spec is not None or part.conversion != -1:
                        return None
                    got = self.resolve(part.value)
                else:
                    got = self.resolve(part)
                if not got:
                    return None
                out = {a + b for a in out for b in got}
            return out
        if isinstance(node, ast.IfExp):
            a, b = self.resolve(node.body, index), self.resolve(node.orelse, index)
            return a | b if a is not None and b is not None else None
        if isinstance(node, ast.BoolOp):  # ``x.get("code") or "failed"``: the literal part
            parts = [self.resolve(v, index) for v in node.values]
            known = [p for p in parts if p is not None]
            return set().union(*known) if known else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "str"
            and len(node.args) == 1
        ):
            return self.resolve(node.args[0], index)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return self._table_values(node.value.id, index)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
        ):
            values = self._table_values(node.func.value.id, index)
            if values is None:
                return None
            if len(node.args) > 1:
                default = self.resolve(node.args[1], index)
                if default is None:
                    return None
                values |= default
            return values
        if isinstance(node, ast.Name) and index is None:
            return self._resolve_name(node.id)
        return None

    def _resolve_name(self, name: str) -> set[str] | None:
        """Every binding of ``name`` in the enclosing function, each resolved to literals."""
        if not self.functions:
            return None
        func = self.functions[-1]
        out: set[str] = set()
        bound = False
        for node in ast.walk(func):
            bindings: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.Assign):
                bindings = [(t, node.value) for t in node.targets]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                bindings = [(node.target, node.value)]
            elif isinstance(node, ast.For):
                if isinstance(node.iter, ast.Tuple | ast.List):
                    bindings = [(node.target, elt) for elt in node.iter.elts]
                else:
                    bindings = [(node.target, node.iter)]  # unresolvable: marks it bound
            for target, value in bindings:
                if isinstance(target, ast.Name) and target.id == name:
                    got = self.resolve(value)
                elif isinstance(target, ast.Tuple) and any(
                    isinstance(e, ast.Name) and e.id == name for e in target.elts
                ):
                    index = next(
                        i
                        for i, e in enumerate(target.elts)
                        if isinstance(e, ast.Name) and e.id == name
                    )
                    got = self.resolve(value, index)
                else:
                    continue
                bound = True
                if got is None:
                    return None
                out |= got
        return out if bound else None

    # -- visiting --------------------------------------------------------------------------

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _record(self, node: ast.AST, expr: ast.expr | None, default: str | None) -> None:
        where = f"src/slideforge/{self.rel}:{getattr(node, 'lineno', 0)}"
        if expr is None:
            if default is not None:
                self.found.append(Found(default, where))
            return
        codes = self.resolve(expr)
        if codes is None:
            function = self.functions[-1].name if self.functions else "<module>"
            self.unresolved.append((where, function, ast.unparse(expr)))
            return
        self.found.extend(Found(code, where) for code in sorted(codes))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        if name in CODE_ARGS:
            position, keyword, default = CODE_ARGS[name]
            expr: ast.expr | None = None
            if position is not None and len(node.args) > position:
                expr = node.args[position]
            for kw in node.keywords:
                if kw.arg == keyword:
                    expr = kw.value
            if expr is not None or default is not None or position is None:
                self._record(node, expr, default)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        # The publish path's error dicts: {"kind": ..., "code": "staging_timeout", ...}.
        if self.rel.startswith("publishing/"):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if "code" in keys and "kind" in keys:
                value = node.values[keys.index("code")]
                self._record(node, value, None)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        # kit/envelope.py's status -> code table for framework HTTP errors.
        if self.rel == "kit/envelope.py" and any(
            isinstance(t, ast.Name) and t.id == "_HTTP_CODES" for t in node.targets
        ):
            assert isinstance(node.value, ast.Dict)
            for value in node.value.values:
                self._record(value, value, None)
        self.generic_visit(node)


def scan() -> tuple[list[Found], list[tuple[str, str, str]]]:
    found: list[Found] = []
    unresolved: list[tuple[str, str, str]] = []
    for path in sorted(SRC.rglob("*.py")):
        if any(path.is_relative_to(skip) for skip in SKIP):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        scanner = _Scanner(path, tree)
        scanner.visit(tree)
        found += scanner.found
        for where, function, expr in scanner.unresolved:
            unresolved.append((where, function, expr))
    return found, unresolved


def _site(where: str, function: str) -> tuple[str, str]:
    return where.removeprefix("src/slideforge/").rsplit(":", 1)[0], function


def test_every_code_in_the_code_is_catalogued() -> None:
    found, _ = scan()
    assert len({f.code for f in found}) > 50  # the scan sees the code base
    missing = [f for f in found if explain(f.code) is None]
    assert not missing, "error codes missing from src/slideforge/error_catalogue.py:\n" + "\n".join(
        f"  {f.where}: {f.code!r}" for f in missing
    )


def test_every_code_argument_is_resolved_or_a_known_pass_through() -> None:
    _, all_unresolved = scan()
    unresolved = [u for u in all_unresolved if _site(u[0], u[1]) not in PASS_THROUGH]
    assert not unresolved, (
        "error codes the scan cannot resolve to literals (write the code literally, or add the "
        "site to PASS_THROUGH in tests/test_error_catalogue.py with the reason):\n"
        + "\n".join(f"  {where} in {function}(): {expr}" for where, function, expr in unresolved)
    )


def test_no_stale_pass_through_sites() -> None:
    _, unresolved = scan()
    seen = {_site(where, function) for where, function, _ in unresolved}
    stale = sorted(set(PASS_THROUGH) - seen)
    assert not stale, f"PASS_THROUGH sites with no unresolved code left (remove them): {stale}"


def test_no_dead_entries() -> None:
    found, _ = scan()
    used = {f.code for f in found} | set(DYNAMIC)
    dead = sorted(e.code for e in CATALOGUE if e.code not in used)
    assert not dead, f"catalogue entries no code produces (remove them, or list in DYNAMIC): {dead}"
    assert set(DYNAMIC) <= {e.code for e in CATALOGUE}


def test_docs_errors_md_is_generated() -> None:
    path = ROOT / "docs" / "errors.md"
    assert path.read_text(encoding="utf-8") == render_markdown(), (
        "docs/errors.md is stale: run python -m slideforge.error_catalogue > docs/errors.md"
    )


def test_catalogue_is_well_formed() -> None:
    codes = [e.code for e in CATALOGUE]
    assert len(codes) == len(set(codes)), "a code is catalogued twice"
    for entry in CATALOGUE:
        assert entry.statuses or entry.on_target or entry.inside, entry.code
        assert entry.inside is None or explain(entry.inside) is not None, entry.code
        assert entry.meaning.strip() and entry.fix.strip(), entry.code
        assert "\n" not in entry.meaning and "\n" not in entry.fix, entry.code


@pytest.mark.parametrize(
    ("code", "status"),
    [("invalid_json", 400), ("rate_limited", 429), ("outcome_unknown_live", 409)],
)
def test_explain(code: str, status: int) -> None:
    entry = explain(code)
    assert entry is not None and status in entry.statuses
    assert explain("no_such_code_anywhere") is None


def test_explain_http_status_codes_of_targets() -> None:
    entry = explain("http_502")
    assert entry is not None and entry.code == "http_<status>" and entry.on_target


def test_main_prints_the_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    error_catalogue.main()
    assert capsys.readouterr().out == render_markdown()
