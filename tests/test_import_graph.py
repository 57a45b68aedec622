"""No import cycle between the modules of slideforge, function-level imports included.

``lint-imports`` (pyproject.toml) checks the layers; a cycle inside one layer (two features,
or two modules of one feature) is caught here. Break one by moving the shared piece down a
layer, or by naming a background job in ``slideforge.jobs`` instead of importing its
workflow module."""

from __future__ import annotations

import grimp


def test_no_import_cycles() -> None:
    graph = grimp.build_graph("slideforge", cache_dir=None)
    cycles: set[tuple[str, ...]] = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycle = (importer, *back)
                first = cycle.index(min(cycle[:-1]))  # one spelling per cycle
                cycles.add((*cycle[first:-1], *cycle[:first], cycle[first]))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in sorted(cycles))
