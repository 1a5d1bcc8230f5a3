"""What invoices call their fields, in English, German, French, Italian, Spanish and Dutch.

The text reader finds a value by finding its label first ("Zahlbetrag", "Net à payer", "Te betalen").
Labels are matched on a normalised form of the text (lower case, accents dropped, punctuation between
words optional) so "USt.-Id.-Nr.", "USt-IdNr" and "ust id nr" are one label. Several labels overlap
("Total" and "Total HT"); the matcher returns the longest label at each position, so the more specific
one wins. The dictionaries are data: adding a phrasing is one line, and no label names a seller.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from agents.readers._label_words import LABEL_WORDS, Field

__all__ = ["TITLE_WORDS", "WEAK_LABELS", "Field", "LabelHit", "find_labels", "is_weak", "normalise", "phrases",
           "shared_fields"]

# Fields whose one-word labels ("total", "date", "net", "vat") count only at the start of a line segment.
WEAK_LABELS: frozenset[str] = frozenset(
    {"date", "datum", "data", "fecha", "total", "totale", "totaal", "net", "netto", "vat", "tax", "iva",
     "btw", "tva", "ust", "mwst", "steuer", "brutto", "gesamt", "summe", "betrag", "from", "due", "paid",
     "balance", "saldo", "solde", "nummer", "amount", "price", "charge", "client", "cliente", "kunde",
     "commande", "ordine", "pedido", "bestellung", "bestelling", "stand", "suma", "cuota", "periode",
     "periodo", "zeitraum", "bezahlt", "betaald", "pagado", "fallig", "a payer", "a pagar", "da pagare",
     "discount", "allowance", "allowances", "rebate", "reduction", "charges", "surcharge", "freight",
     "shipping", "handling", "postage", "carriage", "rabatt", "nachlass", "abschlag", "abschlage",
     "zuschlag", "zuschlage", "fracht", "versand", "porto", "remise", "remises", "rabais",
     "ristourne", "majoration", "supplement", "frais", "sconto", "sconti", "abbuono", "riduzione",
     "trasporto", "maggiorazione", "supplemento", "spese", "descuento", "descuentos", "bonificacion",
     "rebaja", "dto.", "portes", "recargo", "suplemento", "gastos", "korting", "kortingen",
     "reductie", "toeslag", "verzending"}  # normalised
)

# Words that head a document and, followed by "No." or "Nr.", announce its number.
TITLE_WORDS: tuple[str, ...] = (
    "invoice", "tax invoice", "credit note", "debit note", "bill", "rechnung", "gutschrift", "facture",
    "avoir", "fattura", "nota di credito", "factura", "factuur", "creditnota", "abono", "note de crédit",
    "rectificativa", "nota de crédito", "belastungsanzeige", "beitragsrechnung", "receipt", "quittung",
)


@dataclass(frozen=True, slots=True)
class LabelHit:
    """A label found in a normalised string: which field, where, and the phrase that matched."""

    field: Field
    start: int
    end: int
    phrase: str


def _fold(char: str) -> str:
    """One character, lower-cased and without accents, mapped to exactly one character."""
    if char == "ß":
        return "s"  # keeps the length; "strasse" and "straße" then differ by one letter only
    low = char.lower()
    if len(low) != 1:
        low = char
    kept = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
    single = kept[0] if kept else " "
    if single in "\u00a0\u202f\u2009\u2007\t":
        return " "
    if single in "\u2010\u2011\u2012\u2013\u2014\u2212":
        return "-"
    if single in "\u2019\u2018`´":
        return "'"
    return single


_FOLD_TABLE = {code: _fold(chr(code)) for code in range(0x250)} | {
    ord(c): _fold(c) for c in "\u202f\u2009\u2007\u2010\u2011\u2012\u2013\u2014\u2212\u2019\u2018"
}


def normalise(text: str) -> str:
    """Lower-case, strip accents, unify dashes and spaces, keeping one output char per input char.

    Args:
        text: Any text.

    Returns:
        A string of the same length, so offsets found in it are offsets in `text`.
    """
    return text.translate(_FOLD_TABLE)


_SEPARATORS = frozenset(" .-/:'()")
_END = ""  # trie key that holds the label ending at a node
_Trie = dict[str, "_Trie | tuple[Field, str]"]


def _key(phrase: str) -> str:
    return "".join(c for c in normalise(phrase) if c.isalnum() or c in "#°")


@cache
def _trie() -> _Trie:
    """A character trie of all label phrases, separators removed (so "ust-id-nr" matches "USt-IdNr")."""
    root: _Trie = {}
    for field, per_language in LABEL_WORDS.items():
        for line in per_language:
            for phrase in line.split("|"):
                key = _key(phrase)
                if not key:
                    continue
                node = root
                for char in key:
                    child = node.setdefault(char, {})
                    assert isinstance(child, dict)
                    node = child
                node.setdefault(_END, (field, phrase.strip()))
    return root


@lru_cache(maxsize=8192)
def find_labels(text: str) -> tuple[LabelHit, ...]:
    """Every label in a line, the longest at each word start, without overlaps.

    A label starts where a word starts, ends where a word ends, and may skip spaces and the
    punctuation ". - / : ' ( )" between its letters.

    Args:
        text: A line of text (raw; it is normalised here).

    Returns:
        The hits, left to right.
    """
    norm = normalise(text)
    root = _trie()
    hits: list[LabelHit] = []
    end = 0
    for start in _WORD_STARTS.finditer(norm):
        i = start.start()
        if i < end:
            continue  # inside the label just found
        best = _walk(root, norm, i)
        if best is not None:
            end, (field, phrase) = best
            hits.append(LabelHit(field, i, end, phrase))
    return tuple(hits)


# Where a label may start: a letter, digit, "#" or "°" not preceded by a letter or digit ([^\W_] is isalnum).
_WORD_STARTS = re.compile(r"(?<![^\W_])(?:[^\W_]|[#°])")


def _walk(root: _Trie, norm: str, start: int) -> tuple[int, tuple[Field, str]] | None:
    node = root
    best: tuple[int, tuple[Field, str]] | None = None
    j = start
    size = len(norm)
    while j < size:
        child = node.get(norm[j])
        if not isinstance(child, dict):
            if norm[j] in _SEPARATORS:
                j += 1
                continue
            break
        node = child
        j += 1
        found = node.get(_END)
        if isinstance(found, tuple) and (j >= size or not norm[j].isalnum()):
            best = (j, found)
    return best


def is_weak(hit: LabelHit) -> bool:
    """Whether a label is a single common word that counts only where a line segment begins."""
    return normalise(hit.phrase) in WEAK_LABELS


def phrases(field: Field) -> tuple[str, ...]:
    """All label phrases of one field, in every language (for tests and other readers)."""
    return tuple(p.strip() for line in LABEL_WORDS[field] for p in line.split("|") if p.strip())


@cache
def _shared() -> dict[str, tuple[Field, ...]]:
    fields: dict[str, list[Field]] = {}
    for field, per_language in LABEL_WORDS.items():
        for line in per_language:
            for phrase in line.split("|"):
                found = fields.setdefault(_key(phrase), [])
                if field not in found:
                    found.append(field)
    return {key: tuple(found) for key, found in fields.items() if len(found) > 1}


def shared_fields(hit: LabelHit) -> tuple[Field, ...]:
    """The other fields a label's phrase also names ("VAT" heads a VAT id and a VAT amount alike)."""
    return tuple(f for f in _shared().get(_key(hit.phrase), ()) if f is not hit.field)
