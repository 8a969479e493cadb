"""The mutants of a Python source file: small AST-level changes, one at a time.

``mutation_points(path, source)`` lists every place where one of these operators applies:

    arithmetic   a + b → a - b, a - b → a + b, * ↔ /, // → *, % → //, ** → *, @ → *
    drop-term    a + b → a,  a - b → a                    (a dropped term)
    sign         -a → a
    constant     integer n → n + 1 (and n - 1 for n ≥ 1); float c → c + 1.0;
                 a constant given as ``axis=``/``dim=``/``axes=`` is reported as ``axis``,
                 a constant subscript as ``index``
    slice        a[i:j] → a[i + 1:j] and a[i:j + 1]        (off by one)
    compare      < ↔ >=, > ↔ <=, == ↔ !=, is ↔ is not, in ↔ not in   (negated comparison)
    boundary     < → <=, > → >=
    boolean      and ↔ or, not a → a, True ↔ False
    swap-args    f(a, b, ...) → f(b, a, ...)              (the first two positional arguments)
    augmented    += ↔ -=, *= ↔ /=

Left alone: docstrings, f-strings, ``raise`` statements (the exception and its message),
annotations, assignment targets and ``if __name__ == "__main__"`` blocks. Each
``Mutant`` carries the byte span of the changed expression and its replacement (the
mutated expression unparsed, in parentheses so that operator precedence around it is
kept), so ``mutated_source`` changes that span only and leaves the rest of the file as it
is. ``Mutant.key`` (``path:line:col:operator:replacement``) names a mutant stably while the
file above it is unchanged.
"""
import ast
import copy
import dataclasses

ARITHMETIC = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
              ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult,
              ast.MatMult: ast.Mult}
NEGATED = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq,
           ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
           ast.NotIn: ast.In}
BOUNDARY = {ast.Lt: ast.LtE, ast.Gt: ast.GtE}
AUGMENTED = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
AXIS_KEYWORDS = {"axis", "axes", "dim"}


@dataclasses.dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    operator: str
    original: str
    replacement: str

    @property
    def key(self):
        return f"{self.path}:{self.line}:{self.col}:{self.operator}:{self.replacement}"


def _with(node, **fields):
    changed = copy.deepcopy(node)
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def _constant_changes(node, role):
    value = node.value
    if isinstance(value, bool):
        return [("boolean", ast.Constant(not value))]
    if isinstance(value, int):
        changes = [(role, ast.Constant(value + 1))]
        if value >= 1:
            changes.append((role, ast.Constant(value - 1)))
        return changes
    if isinstance(value, float):
        return [(role, ast.Constant(value + 1.0))]
    return []


def _plus_one(expression):
    return ast.BinOp(copy.deepcopy(expression), ast.Add(), ast.Constant(1))


def _changes(node, role):
    """``(operator, replacement node)`` pairs for ``node``; ``role`` names a constant's use."""
    if isinstance(node, ast.BinOp):
        changes = []
        if type(node.op) in ARITHMETIC:
            changes.append(("arithmetic", _with(node, op=ARITHMETIC[type(node.op)]())))
        if isinstance(node.op, (ast.Add, ast.Sub)):
            changes.append(("drop-term", copy.deepcopy(node.left)))
        return changes
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return [("sign", copy.deepcopy(node.operand))]
        if isinstance(node.op, ast.Not):
            return [("boolean", copy.deepcopy(node.operand))]
        return []
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        op = type(node.ops[0])
        changes = [("compare", _with(node, ops=[NEGATED[op]()]))] if op in NEGATED else []
        if op in BOUNDARY:
            changes.append(("boundary", _with(node, ops=[BOUNDARY[op]()])))
        return changes
    if isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return [("boolean", _with(node, op=other))]
    if isinstance(node, ast.Constant):
        return _constant_changes(node, role)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        piece = node.slice
        changes = []
        for bound in ("lower", "upper"):
            if getattr(piece, bound) is not None:
                changes.append(("slice", _with(node, slice=_with(
                    piece, **{bound: _plus_one(getattr(piece, bound))}))))
        return changes
    if isinstance(node, ast.Call):
        positional = node.args
        if len(positional) >= 2 and not any(isinstance(a, ast.Starred) for a in positional[:2]):
            swapped = [positional[1], positional[0]] + list(positional[2:])
            return [("swap-args", _with(node, args=swapped))]
    return []


def _is_docstring(node, parent):
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and isinstance(parent, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                    ast.AsyncFunctionDef)) and parent.body[0] is node)


def _is_main_block(node):
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name) and test.left.id == "__name__")


def _skipped(node, parent):
    return (isinstance(node, (ast.JoinedStr, ast.Raise)) or _is_docstring(node, parent)
            or _is_main_block(node)
            or isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)))


def _children(node):
    """``(child, role)``: the role says how a constant child is used (axis, index, constant)."""
    skip = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        skip = {id(node.returns)} | {id(a.annotation) for a in ast.walk(node.args)
                                     if isinstance(a, ast.arg)}
        skip |= {id(d) for d in node.decorator_list}
    if isinstance(node, ast.AnnAssign):
        skip = {id(node.annotation)}
    for child in ast.iter_child_nodes(node):
        if id(child) in skip:
            continue
        role = "constant"
        if isinstance(node, ast.keyword) and node.arg in AXIS_KEYWORDS:
            role = "axis"
        elif isinstance(node, ast.Subscript) and child is node.slice:
            role = "index"
        yield child, role


def mutation_points(path, source):
    """Every ``Mutant`` of ``source`` (the text of ``path``), in source order."""
    tree = ast.parse(source)
    mutants = []

    def visit(node, parent, role):
        if _skipped(node, parent):
            return
        if isinstance(node, ast.AugAssign) and type(node.op) in AUGMENTED:
            changed = _with(node, op=AUGMENTED[type(node.op)]())
            mutants.append(_mutant(path, source, node, "augmented", ast.unparse(changed)))
        if isinstance(node, ast.expr):
            for operator, changed in _changes(node, role):
                mutants.append(_mutant(path, source, node, operator,
                                       f"({ast.unparse(changed)})"))
        for child, child_role in _children(node):
            inherited = child_role if child_role != "constant" or not isinstance(
                node, ast.Tuple) else role
            visit(child, node, inherited)

    visit(tree, None, "constant")
    return sorted(mutants, key=lambda m: (m.line, m.col, m.operator, m.replacement))


def _mutant(path, source, node, operator, replacement):
    return Mutant(path, node.lineno, node.col_offset, node.end_lineno, node.end_col_offset,
                  operator, ast.get_source_segment(source, node), replacement)


def _byte_offset(encoded_lines, line, col):
    return sum(len(text) for text in encoded_lines[:line - 1]) + col


def mutated_source(source, mutant):
    """``source`` with the span of ``mutant`` replaced (positions are UTF-8 byte offsets)."""
    encoded = source.encode("utf-8")
    lines = encoded.splitlines(keepends=True)
    start = _byte_offset(lines, mutant.line, mutant.col)
    end = _byte_offset(lines, mutant.end_line, mutant.end_col)
    mutated = (encoded[:start] + mutant.replacement.encode("utf-8") + encoded[end:]).decode(
        "utf-8")
    ast.parse(mutated)
    return mutated
