"""How a syntax states a party and its address: the shapes the structured readers build them with.

A party is the same four things in every syntax (name, VAT id, legal id, postal address) and an address the
same four (street lines, city, post code, country); what differs is where each sits and how a syntax tells
a name or a VAT id. A reader declares its `PartyShape` (its fields, named by the conventions below, and the
two functions only it knows) and the shape builds the party, so the rule "no node, no party" and the
contract's fields are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

from agents.readers._fields import Fields, Found
from schemas import Address, Party

__all__ = ["AddressShape", "PartyShape"]


@dataclass(frozen=True, slots=True)
class AddressShape:
    """Where a syntax states an address: `fields` reads ``city``, ``postcode`` and ``country`` (with whatever
    the street lines need), and `lines` gives the street lines from what it read (blank ones are dropped)."""

    fields: Fields
    lines: Callable[[Found], Iterable[str | None]]

    def read(self, node: etree._Element | None) -> Address | None:
        """The address stated under `node` (None without a node)."""
        if node is None:
            return None
        found = self.fields.read(node)
        return Address(
            lines=tuple(line for line in self.lines(found) if line),
            city=found.text("city"),
            postal_code=found.text("postcode"),
            country=found.text("country"),
        )


@dataclass(frozen=True, slots=True)
class PartyShape:
    """Where a syntax states a party: `fields` reads ``legal_id`` and the ``address`` node (read with
    `address`), and `name` and `vat_id` tell the party's name and VAT id from what it read."""

    fields: Fields
    address: AddressShape
    name: Callable[[Found], str | None]
    vat_id: Callable[[Found], str | None]

    def read(self, node: etree._Element | None) -> Party:
        """The party stated under `node` (an empty Party without a node)."""
        return self.read_found(node)[0]

    def read_found(self, node: etree._Element | None) -> tuple[Party, Found | None]:
        """The party stated under `node`, and what `fields` found there (None without a node), for a caller
        that needs more of the party than the contract keeps (the EN 16931 terms) without walking it again."""
        if node is None:
            return Party(), None
        found = self.fields.read(node)
        party = Party(
            name=self.name(found),
            vat_id=self.vat_id(found),
            legal_id=found.text("legal_id"),
            address=self.address.read(found.first("address")),
        )
        return party, found

    def parties(self, found: Found) -> dict[str, Party]:
        """The ``seller`` and the ``buyer``, from their nodes as `found` read them (fields of those names)."""
        return {role: self.read(found.first(role)) for role in ("seller", "buyer")}
