"""YAML from people's files, bounded: only plain data (the safe loader), at most YAML_DEPTH
levels of nesting, YAML_DOCUMENTS documents and YAML_VALUES values per file, where each use
of an alias counts as the whole value it names.

A first pass over the parser's events measures all three, so a "billion laughs" file, a file
nested thousands of levels deep or an alias that contains itself is refused with
`import.yaml_too_complex` (naming the file, the line and the limit) before a single node is
built, instead of running for minutes or ending in a RecursionError. Only then are the
documents composed and constructed, with libyaml where it is installed (several times faster).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from techalign.core import limits
from techalign.core.errors import Refused

# Errors a document can raise while being read that mean "not valid YAML" rather than a bug:
# the safe constructors raise ValueError for dates like 2024-13-45, for instance.
INVALID = (yaml.YAMLError, ValueError, TypeError, OverflowError)

_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _too_complex(file: str, where: Any, limit: int, what: Any, value: int | str) -> Refused:
    """The refusal, at the line of `where`: an event, or a mark."""
    mark = getattr(where, "start_mark", where)
    line = mark.line + 1 if mark is not None else 1
    return Refused(
        "import.yaml_too_complex", file=file, line=line, limit=limit, what=what, value=value
    )


class PyLoader(yaml.SafeLoader):
    """PyYAML's own safe loader, whose scanner refuses flow nesting ("[[[[…") past the
    limit as it meets it: its work grows with the square of that nesting."""

    file = "YAML"

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= limits.YAML_DEPTH:
            raise _too_complex(
                self.file,
                self.get_mark(),
                limits.YAML_DEPTH,
                _("levels of nesting"),
                self.flow_level + 1,
            )
        super().fetch_flow_collection_start(TokenClass)


Loader: Any = getattr(yaml, "CSafeLoader", PyLoader)


def check(text: str, *, file: str, loader: Any = None) -> None:
    """Refuse `text` when it passes a YAML limit; a syntax error is left to the loader."""
    loader = loader or Loader
    documents = values = 0
    sizes: dict[str, int] = {}  # anchor -> how many values it stands for
    # The collections being read, innermost last: [anchor, values so far].
    open_: list[list[Any]] = []

    def add(size: int, event: Any) -> None:
        nonlocal values
        if open_:
            open_[-1][1] += size
        else:
            values += size
        seen = max(values, open_[-1][1] if open_ else 0)
        if seen > limits.YAML_VALUES:
            what = _("values once its aliases are expanded")
            raise _too_complex(file, event, limits.YAML_VALUES, what, seen)

    try:
        for event in _events(loader, text, file=file):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > limits.YAML_DOCUMENTS:
                    what = _("YAML documents")
                    raise _too_complex(file, event, limits.YAML_DOCUMENTS, what, documents)
                sizes = {}
            elif isinstance(event, _OPEN):
                if len(open_) >= limits.YAML_DEPTH:
                    what = _("levels of nesting")
                    raise _too_complex(file, event, limits.YAML_DEPTH, what, len(open_) + 1)
                open_.append([event.anchor, 1])
            elif isinstance(event, _CLOSE):
                anchor, size = open_.pop()
                if anchor is not None:
                    sizes[anchor] = size
                add(size, event)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                add(1, event)
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _size in open_):
                    what = _("values once its aliases are expanded")
                    raise _too_complex(file, event, limits.YAML_VALUES, what, "∞")
                # An undefined alias counts as one; the loader then names the error.
                add(sizes.get(str(event.anchor), 1), event)
    except INVALID:
        # What libyaml cannot read, PyYAML may (an escaped surrogate, for one): measure the
        # rest of the file the way it will be read.
        if loader is not PyLoader:
            check(text, file=file, loader=PyLoader)


def _events(loader_class: Any, text: str, *, file: str) -> Iterator[yaml.Event]:
    loader = loader_class(text)
    loader.file = file
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def documents(text: str, *, file: str) -> Iterator[tuple[Any, yaml.Node]]:
    """Each document of `text` as (data, node), within the limits. Raises `Refused` for a
    limit passed, and one of INVALID for a file that is not YAML."""
    check(text, file=file)
    done = 0
    try:
        for found in _read(Loader, text, file=file):
            done += 1
            yield found
    except INVALID:
        if Loader is PyLoader:
            raise
        # libyaml words its errors differently and refuses a few things PyYAML reads: read
        # again with PyYAML's own loader, so a file reads (or fails, with the same message)
        # the same wherever techalign runs.
        for index, found in enumerate(_read(PyLoader, text, file=file)):
            if index >= done:
                yield found


def _read(loader_class: Any, text: str, *, file: str = "") -> Iterator[tuple[Any, yaml.Node]]:
    loader = loader_class(text)
    loader.file = file
    try:
        while loader.check_node():
            node = loader.get_node()
            yield loader.construct_document(node), node
    finally:
        loader.dispose()


def load(text: str, *, file: str) -> Any:
    """The one document in `text` (None when empty), within the limits."""
    found = [data for data, _node in documents(text, file=file)]
    if len(found) > 1:
        raise yaml.YAMLError("expected a single document")
    return found[0] if found else None
