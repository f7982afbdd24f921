"""Draw samzoo's house: the packages and who imports whom (a Mermaid graph), and imports per module.

    python scripts/draw_layout.py            # Markdown on stdout (docs/architecture.md is made from it)
    python scripts/draw_layout.py --stats    # one line: modules, imports, the most importing module

Reads the import graph with grimp (import-linter's engine) from the ``samzoo`` on ``sys.path``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import grimp

#: the boxes of the picture: each module belongs to the first group its name starts with
GROUPS = ("samzoo.cli", "samzoo.pipeline", "samzoo.builder", "samzoo.validate", "samzoo.resolver", "samzoo.publisher", "samzoo.compare",
          "samzoo.website", "samzoo.catalog",
          "samzoo.plumbing", "samzoo.architectures")


def group_of(module: str) -> str:
    return next((g for g in GROUPS if module == g or module.startswith(g + ".")), "samzoo")


def imports_per_module(graph: grimp.ImportGraph) -> dict[str, int]:
    """How many samzoo modules each samzoo module imports directly."""
    return {m: len(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}


def group_edges(graph: grimp.ImportGraph) -> Counter:
    """(importer group, imported group) -> number of module imports between them."""
    edges: Counter = Counter()
    for m in graph.modules:
        for n in graph.find_modules_directly_imported_by(m):
            a, b = group_of(m), group_of(n)
            if a != b:
                edges[a, b] += 1
    return edges


def _label(group: str, size: int) -> str:
    name = group.split(".")[-1]
    return f"{name}.py" if size == 1 else f"{name}/ ({size} modules)"


def mermaid(graph: grimp.ImportGraph) -> str:
    sizes = Counter(group_of(m) for m in graph.modules)
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'    {g.split(".")[-1]}["{_label(g, sizes[g])}"]' for g in GROUPS if sizes[g]]
    for (a, b), n in sorted(group_edges(graph).items()):
        if a != "samzoo" and b != "samzoo":
            lines.append(f"    {a.split('.')[-1]} -->|{n}| {b.split('.')[-1]}")
    lines.append("```")
    return "\n".join(lines)


def stats(graph: grimp.ImportGraph) -> str:
    per = imports_per_module(graph)
    worst = max(per, key=per.get)
    return (f"{len(per)} modules, {sum(per.values())} imports between them, "
            f"at most {per[worst]} per module ({worst})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stats", action="store_true", help="print one line of figures instead of the picture")
    args = ap.parse_args()
    graph = grimp.build_graph("samzoo")
    if args.stats:
        print(stats(graph))
        return 0
    print(mermaid(graph))
    print()
    print(stats(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
