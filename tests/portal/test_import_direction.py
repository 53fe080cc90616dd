"""The apps depend one way: dashboard -> governance -> usecases -> vendors -> portal.

A lower app never imports a higher one (not even inside a function: the import still ties
the lower app to the higher one); a higher app extends a lower one through the registries
the lower one declares (portal.registry). And no two first-party modules import each other,
directly or round a longer circle: an import moved into a function only hides the circle
from the interpreter, the modules still need each other.

Read from the source with ``ast`` only, so the checks need neither Django nor the database.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lowest first: each app may import the ones before it, never the ones after it.
LAYERS = ("portal", "vendors", "usecases", "governance", "imports", "dashboard")


def python_files(root, apps=LAYERS):
    """Every .py file of the apps, migrations included, tests and caches left out."""
    for app in apps:
        for path in sorted((Path(root) / app).rglob("*.py")):
            parts = path.relative_to(root).parts
            if "tests" not in parts and "__pycache__" not in parts:
                yield path


def module_name(root, path):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(root, path, *, known=frozenset()):
    """``(line, dotted name)`` of each first-party module or name a file imports. ``from a import
    b`` names ``a.b`` when that is a module in ``known``, else ``a`` (``b`` is an attribute)."""
    module = module_name(root, path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):  # module level and inside functions alike
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
            continue
        base = node.module or ""
        if node.level:  # relative: from the package, one level up per extra dot
            parent = package
            for _ in range(node.level - 1):
                parent = parent.rpartition(".")[0]
            base = f"{parent}.{base}" if base else parent
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            yield node.lineno, candidate if candidate in known else base


def direction_problems(root, layers=LAYERS):
    """``file:line imports X against the direction`` for every import of a higher app."""
    rank = {app: position for position, app in enumerate(layers)}
    known = frozenset(module_name(root, path) for path in python_files(root, layers))
    problems = []
    for path in python_files(root, layers):
        own = path.relative_to(root).parts[0]
        for line, name in imported_names(root, path, known=known):
            target = name.split(".")[0]
            if target in rank and rank[target] > rank[own]:
                problems.append(
                    f"{path.relative_to(root).as_posix()}:{line} imports {name} against the direction "
                    f"({own} is below {target})"
                )
    return problems


def import_graph(root, layers=LAYERS):
    """Imports between first-party modules: ``{module: {imported module: (first file, line)}}``."""
    paths = {module_name(root, path): path for path in python_files(root, layers)}
    known = frozenset(paths)
    graph = {module: {} for module in paths}
    for module, path in paths.items():
        for line, name in imported_names(root, path, known=known):
            # The deepest first-party module the name lies in (``a.b.C`` -> ``a.b``).
            target = name
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                graph[module].setdefault(target, (path.relative_to(root).as_posix(), line))
    return graph


def strongly_connected_components(graph):
    """Tarjan's algorithm, iterative (no recursion limit on long import chains)."""
    index, lowlink, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = lowlink[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph.get(successor, ()))))
                    advanced = True
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def import_circles(root, layers=LAYERS):
    """Each circle (modules importing each other), with the imports that make it."""
    graph = import_graph(root, layers)
    circles = []
    for component in strongly_connected_components(graph):
        if len(component) < 2:
            continue
        members = sorted(component)
        edges = sorted(
            (where, line, target)
            for module in members
            for target, (where, line) in graph[module].items()
            if target in component
        )
        lines = [f"    {where}:{line} imports {target}" for where, line, target in edges]
        circles.append("circle: " + " <-> ".join(members) + "\n" + "\n".join(lines))
    return sorted(circles)


def test_no_app_imports_a_higher_one():
    problems = direction_problems(ROOT)
    order = " < ".join(LAYERS)
    assert not problems, f"Imports against the direction ({order}):\n" + "\n".join(problems)


def test_no_circular_imports_between_first_party_modules():
    circles = import_circles(ROOT)
    assert not circles, "Import circles between modules:\n" + "\n".join(circles)


# --- The checker itself, on a planted tree ---------------------------------------------------


def _plant(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checker_catches_planted_imports_against_the_direction(tmp_path):
    _plant(
        tmp_path,
        {
            "portal/__init__.py": "",
            "portal/views.py": "import os\n\n\ndef home():\n    from governance import models\n",
            "portal/migrations/0002_x.py": "from usecases.models import UseCase\n",
            "portal/tests/test_x.py": "import dashboard\n",  # tests are not part of the app
            "vendors/__init__.py": "",
            "vendors/models.py": "from portal.models import User\nfrom . import services\n",
            "governance/__init__.py": "",
            "governance/models.py": "from . import choices\n",
            "dashboard/__init__.py": "",
            "dashboard/views.py": "from governance.models import X\nimport portal.views\n",
        },
    )
    assert direction_problems(tmp_path) == [
        "portal/migrations/0002_x.py:1 imports usecases.models against the direction (portal is below usecases)",
        "portal/views.py:5 imports governance.models against the direction (portal is below governance)",
    ]


def test_the_checker_catches_planted_circles(tmp_path):
    _plant(
        tmp_path,
        {
            "vendors/__init__.py": "",
            "vendors/services.py": "from vendors import tasks\n",
            # Inside a function, still a circle.
            "vendors/tasks.py": "def run():\n    import vendors.services as services\n",
            # One way only, however deep: no circle.
            "vendors/a.py": "def f():\n    from vendors import b\n",
            "vendors/b.py": "from vendors.models import X\n",
            "vendors/models.py": "X = 1\n",
            "governance/__init__.py": "",
            "governance/x.py": "from governance.y import Y\n",
            "governance/y.py": "from .z import Z\n",
            "governance/z.py": "class Z:\n    from governance import x\n",
        },
    )
    circles = import_circles(tmp_path)
    assert [circle.splitlines()[0] for circle in circles] == [
        "circle: governance.x <-> governance.y <-> governance.z",
        "circle: vendors.services <-> vendors.tasks",
    ]
    assert "    vendors/services.py:1 imports vendors.tasks" in circles[1]
    assert "    vendors/tasks.py:2 imports vendors.services" in circles[1]
