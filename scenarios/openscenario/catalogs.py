"""Entity catalog references: ``<CatalogReference catalogName=".." entryName="..">``
resolved from the directories under ``CatalogLocations`` (VehicleCatalog,
PedestrianCatalog, MiscObjectCatalog), relative to the .xosc file.

A catalog file is an OpenSCENARIO document whose ``<Catalog name="..">`` holds entries;
the entry's own ``ParameterDeclarations`` give defaults that the reference's
``ParameterAssignments`` override.
"""

from __future__ import annotations

import copy
from pathlib import Path

from scenarios.openscenario._params import resolve_parameters
from scenarios.openscenario._xml import Node, parse_file

ENTITY_CATALOGS = ("VehicleCatalog", "PedestrianCatalog", "MiscObjectCatalog")
ENTRY_TAGS = ("Vehicle", "Pedestrian", "MiscObject")


class Catalogs:
    """The entity catalog directories of one scenario file; catalog files parsed lazily."""

    def __init__(self, locations: Node | None, base: Path):
        self.dirs: list[tuple[str, Path]] = []
        if locations is not None:
            for loc in locations.all_elements():
                d = loc.one("Directory")
                if loc.tag in ENTITY_CATALOGS:
                    self.dirs.append((loc.tag, (base / d.text("path")).resolve()))
        self._files: dict[Path, Node] = {}

    def _file(self, path: Path) -> Node:
        if path not in self._files:
            self._files[path] = Node(parse_file(path, path.name), "", path.name)
        return self._files[path]

    def entry(self, ref: Node) -> Node:
        """The catalog entry ``ref`` (a CatalogReference) names, its parameters resolved;
        ScenarioFileError naming the catalog and entry when it cannot be found."""
        catalog, entry = ref.text("catalogName"), ref.text("entryName")
        what = f"catalog {catalog!r} entry {entry!r}"
        if not self.dirs:
            raise ref.fail(f"{what}: no {'/'.join(ENTITY_CATALOGS)} directory in "
                           "CatalogLocations")
        searched = []
        for kind, directory in self.dirs:
            searched.append(f"{kind} {directory}")
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.xosc")):
                root = self._file(path)
                for cat in root.all("Catalog"):
                    if cat.text("name", "") != catalog:
                        continue
                    found = [e for e in cat.all_elements() if e.text("name", "") == entry]
                    if not found:
                        names = [e.text("name", "?") for e in cat.all_elements()]
                        raise ref.fail(f"{what}: {path} has no entry {entry!r} (entries: "
                                       f"{', '.join(names)})")
                    # a copy: each reference resolves the entry's parameters its own way
                    node = Node(copy.deepcopy(found[0].el), found[0].path, found[0].source)
                    if node.tag not in ENTRY_TAGS:
                        raise ref.fail(f"{what} is a <{node.tag}>, not a vehicle, pedestrian "
                                       "or misc object")
                    self._resolve(node, ref)
                    return node
        raise ref.fail(f"{what}: catalog not found (searched: {'; '.join(searched)})")

    @staticmethod
    def _resolve(node: Node, ref: Node) -> None:
        overrides = {}
        pa = ref.opt("ParameterAssignments")
        ref.children({"ParameterAssignments"})
        declared = set()
        decls = node.opt("ParameterDeclarations")
        if decls is not None:
            declared = {d.text("name") for d in decls.all("ParameterDeclaration")}
        for a in (pa.children({"ParameterAssignment"}) if pa is not None else []):
            name = a.text("parameterRef")
            if name not in declared:
                raise a.fail(f"entry {ref.text('entryName')!r} declares no parameter "
                             f"{name!r} (declared: {', '.join(sorted(declared)) or 'none'})",
                             "parameterRef")
            overrides[name] = a.text("value")
        resolve_parameters(node, {}, overrides)
