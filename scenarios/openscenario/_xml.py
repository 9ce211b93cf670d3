"""XML helpers for the OpenSCENARIO import: element paths and strict child and attribute
access.

Every element the importer reads goes through :class:`Node`, which knows its path in the
file (``Storyboard/Story[@name='s']/Act[@name='a']/...``), so every rejection names the file,
the element and the reason (:class:`scenarios.schema.ScenarioFileError`). A node only hands
out the children its caller asks for by tag; :meth:`Node.children` rejects any other child,
so nothing in a file is silently skipped.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path

from scenarios.schema import ScenarioFileError

_MISSING = object()


class UnsupportedElement(ScenarioFileError):
    """A valid OpenSCENARIO element outside the subset kav imports."""


def strip_namespaces(root: ET.Element) -> ET.Element:
    """Drop ``{uri}`` prefixes in place: some tools write a default namespace."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    return root


def parse_file(path: Path, source: str) -> ET.Element:
    """The root element of the XML file ``path``; ScenarioFileError if unreadable."""
    try:
        root = ET.parse(path).getroot()
    except OSError as exc:
        raise ScenarioFileError(source, "", f"cannot read file ({exc.strerror or exc})") from None
    except ET.ParseError as exc:
        raise ScenarioFileError(source, "", f"not well-formed XML ({exc})") from None
    return strip_namespaces(root)


def step(parent: ET.Element | None, el: ET.Element) -> str:
    """One path step for ``el``: ``Tag[@name='x']`` when it has a name (``entityRef`` for
    ``Private``), ``Tag[i]`` (1-based) when it has same-tag siblings, else ``Tag``."""
    for key in ("name", "entityRef"):
        if key in el.attrib and (key == "name" or el.tag == "Private"):
            return f"{el.tag}[@{key}='{el.attrib[key]}']"
    if parent is not None:
        same = [c for c in parent if c.tag == el.tag]
        if len(same) > 1:
            return f"{el.tag}[{same.index(el) + 1}]"
    return el.tag


def join(path: str, part: str) -> str:
    return f"{path}/{part}" if path else part


class Node:
    """An element with its path and source file; strict accessors raising
    ScenarioFileError (:class:`UnsupportedElement` for elements outside the subset)."""

    def __init__(self, el: ET.Element, path: str, source: str):
        self.el, self.path, self.source = el, path, source

    @property
    def tag(self) -> str:
        return self.el.tag

    def fail(self, reason: str, attr: str | None = None) -> ScenarioFileError:
        return ScenarioFileError(self.source, self.path + (f"/@{attr}" if attr else ""), reason)

    def unsupported(self, supported: Iterable[str]) -> UnsupportedElement:
        return UnsupportedElement(
            self.source, self.path,
            f"not supported by kav's OpenSCENARIO import (supported here: "
            f"{', '.join(sorted(supported)) or 'nothing'})")

    def _wrap(self, child: ET.Element) -> Node:
        return Node(child, join(self.path, step(self.el, child)), self.source)

    def children(self, tags: Iterable[str], ignore: Iterable[str] = ()) -> list[Node]:
        """Children whose tag is in ``tags``, in file order; any child neither in ``tags``
        nor in ``ignore`` (handled elsewhere, e.g. ParameterDeclarations) is rejected."""
        tags, ignore = set(tags), set(ignore)
        out = []
        for child in self.el:
            if not isinstance(child.tag, str):
                continue  # comments, processing instructions
            node = self._wrap(child)
            if child.tag in tags:
                out.append(node)
            elif child.tag not in ignore:
                raise node.unsupported(tags)
        return out

    def all_elements(self) -> list[Node]:
        return [self._wrap(c) for c in self.el if isinstance(c.tag, str)]

    def all(self, tag: str) -> list[Node]:
        """Children with ``tag`` (no check on the others)."""
        return [self._wrap(c) for c in self.el if c.tag == tag]

    def opt(self, tag: str) -> Node | None:
        found = self.all(tag)
        if len(found) > 1:
            raise found[1].fail(f"more than one <{tag}> in <{self.tag}>")
        return found[0] if found else None

    def one(self, tag: str) -> Node:
        node = self.opt(tag)
        if node is None:
            raise self.fail(f"missing <{tag}>")
        return node

    def choice(self, tags: Iterable[str], ignore: Iterable[str] = ()) -> Node:
        """The single child (other than ``ignore``d tags); rejected if not in ``tags``."""
        kids = self.children(tags, ignore)
        if len(kids) != 1:
            raise self.fail(f"expected exactly one of <{'>, <'.join(sorted(tags))}>, "
                            f"found {len(kids)}")
        return kids[0]

    def has(self, name: str) -> bool:
        return name in self.el.attrib

    def text(self, name: str, default=_MISSING) -> str:
        if name not in self.el.attrib:
            if default is _MISSING:
                raise self.fail("missing attribute", name)
            return default
        return self.el.attrib[name]

    def num(self, name: str, default=_MISSING) -> float:
        text = self.text(name, None)
        if text is None:
            if default is _MISSING:
                raise self.fail("missing attribute", name)
            return default
        try:
            value = float(text)
        except ValueError:
            raise self.fail(f"{text!r} is not a number", name) from None
        if not math.isfinite(value):
            raise self.fail(f"{text!r} is not a finite number", name)
        return value

    def integer(self, name: str, default=_MISSING) -> int:
        if name not in self.el.attrib and default is not _MISSING:
            return default
        value = self.num(name)
        if value != int(value):
            raise self.fail(f"{self.text(name)!r} is not an integer", name)
        return int(value)

    def flag(self, name: str, default=_MISSING) -> bool:
        text = self.text(name, None)
        if text is None:
            if default is _MISSING:
                raise self.fail("missing attribute", name)
            return default
        if text not in ("true", "false", "1", "0"):
            raise self.fail(f"{text!r} is not a boolean", name)
        return text in ("true", "1")

    def enum(self, name: str, mapping: dict[str, object], known: Iterable[str] = (),
             default=_MISSING):
        """``mapping[value]``; a value in ``known`` but not ``mapping`` is valid
        OpenSCENARIO that kav does not support; anything else is invalid."""
        text = self.text(name, None)
        if text is None:
            if default is _MISSING:
                raise self.fail("missing attribute", name)
            return default
        if text in mapping:
            return mapping[text]
        what = "not supported by kav" if text in set(known) else "not a valid value"
        raise self.fail(f"{text!r} is {what} (supported: {', '.join(mapping)})", name)

    def build(self, factory: Callable, **kw):
        """``factory(**kw)``, turning the dataclasses' ``ValueError("field: reason")`` into
        a ScenarioFileError at this element."""
        try:
            return factory(**kw)
        except ScenarioFileError:
            raise
        except ValueError as exc:
            raise self.fail(str(exc)) from None
