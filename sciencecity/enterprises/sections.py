"""Sections of the enterprise file's page that other apps contribute (its projects, applications, problems …).

The enterprise file is shared domain and knows no capability: each capability registers, in its
`AppConfig.ready`, a provider that takes the reader and the enterprise and returns a `Section` (or None when
the reader has no use for it). A provider reads a bounded page of rows through its own app's scope.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

SectionProvider = Callable[[object, object], "Section | None"]

_providers: list[tuple[int, SectionProvider]] = []


@dataclass(frozen=True)
class Row:
    text: str
    url: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # the section's anchor on the page
    title: str
    rows: list = field(default_factory=list)  # Row
    more_url: str = ""  # the full list, where there is one
    empty: str = ""  # what to say when there are no rows
    action_url: str = ""  # what the reader may start from here (an enterprise raising a demand …)
    action: str = ""


def section(order: int):
    """Decorator: register a section provider at `order` (smaller first)."""

    def register(provider: SectionProvider) -> SectionProvider:
        if all(existing is not provider for _order, existing in _providers):
            _providers.append((order, provider))
            _providers.sort(key=lambda pair: pair[0])
        return provider

    return register


def sections_for(user, enterprise) -> list[Section]:
    return [found for _order, provider in _providers if (found := provider(user, enterprise))]
