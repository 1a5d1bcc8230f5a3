"""What the hard text-PDF layouts print: long-form dates, money with currency symbols, and label wordings.

Why a module of its own: the hard family (`_hard`) exists to test the text reader on what real-world layouts
print and the standard templates never do ("3. März 2014", "August 3, 2014", "£1,234.56", "1 234,50 kr",
"CHF 1'234.50", "Rechnung vom", "Lieferanschrift"). Every wording comes in two sets: the one the layouts the
reader was tuned on draw from, and a held-back one that only the held-out layouts use (every round of them),
so a figure measured on the held-out layouts says how the reader does on wordings no one tuned it for; no
held-back wording was added to the reader's label tables.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Final

from ._i18n import LANG_INDEX, fmt_amount

# en | de | fr | it | es | nl, full month names as invoices print them
_MONTHS: Final = (
    "January February March April May June July August September October November December",
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "januari februari maart april mei juni juli augustus september oktober november december",
)


def long_date(value: date, lang: str, rng: random.Random) -> str:
    """A date written out: "3 August 2014" or "August 3, 2014", "3. März 2014", "1er août 2014", "3 de agosto
    de 2014"."""
    month = _MONTHS[LANG_INDEX[lang]].split()[value.month - 1]
    if lang == "en":
        return f"{month} {value.day}, {value.year}" if rng.random() < 0.5 else f"{value.day} {month} {value.year}"
    if lang == "de":
        return f"{value.day}. {month} {value.year}"
    if lang == "fr":
        return f"{'1er' if value.day == 1 else value.day} {month} {value.year}"
    if lang == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"


# How each currency is written beside an amount: symbol, before or after, and its own grouping if it has one.
_SYMBOL: Final = {"EUR": "€", "GBP": "£", "USD": "$", "INR": "₹", "CHF": "CHF", "SEK": "kr", "PLN": "zł"}
_AFTER: Final = frozenset({"SEK", "PLN"})


def money(value: Decimal, currency: str, lang: str, style: str) -> str:
    """An amount as a hard layout prints it: ``symbol`` ("€ 1.234,56", "£1,234.56", "1 234,56 kr"),
    ``code`` ("EUR 1.234,56") or ``plain`` (no currency at all).

    Francs are grouped with apostrophes and kronor and zloty with spaces, whatever the document's language.
    """
    number = number_text(value, currency, lang)
    if style == "plain":
        return number
    if style == "code" or currency not in _SYMBOL:
        return f"{currency} {number}" if lang == "en" else f"{number} {currency}"
    symbol = _SYMBOL[currency]
    if currency in _AFTER or (currency == "EUR" and lang in ("de", "fr", "es")):
        return f"{number} {symbol}"
    return f"{symbol}{number}" if len(symbol) == 1 and currency != "EUR" else f"{symbol} {number}"


def number_text(value: Decimal, currency: str, lang: str) -> str:
    """The digits of an amount in the currency's own habit where it has one, else the language's."""
    if currency == "CHF":
        return fmt_amount(value, "en").replace(",", "'")
    if currency in ("SEK", "PLN"):
        return fmt_amount(value, "fr")
    return fmt_amount(value, lang)


# key -> per language (en, de, fr, it, es, nl): "tuned alternatives / held-back alternatives", each "|"-separated
_WORDINGS: Final[dict[str, tuple[str, ...]]] = {
    "number": (
        "Invoice No.|Invoice #/Invoice no:|Invoice Number",
        "Rechnung Nr.|Rechnungs-Nr./Beleg-Nr.|Rechnungsnr.",
        "Facture n°|N° facture/Numéro de facture|Facture no",
        "Fattura n.|N. fattura/Numero documento|Fattura nr",
        "Factura nº|Nº factura/Número factura|Factura no.",
        "Factuurnr.|Factuurnummer/Factuur nr|Documentnummer",
    ),
    "date": (
        "Invoice date|Date|Issued on/Invoice dated|Date issued",
        "Rechnungsdatum|Datum|Ausgestellt am/Datum der Rechnung|Rechnung vom",
        "Date de facture|Date|Facture du/Date d'émission|Émise le",
        "Data fattura|Data|Emessa il/Data emissione|Data documento",
        "Fecha de factura|Fecha|Expedida el/Fecha emisión|Fecha de expedición",
        "Factuurdatum|Datum|Uitgiftedatum/Datum factuur|Factuur datum",
    ),
    "due": (
        "Due date|Payment due/Pay by|Due on",
        "Fällig am|Zahlbar bis/Fälligkeit|Zahlungsziel",
        "Échéance|Date d'échéance/À payer avant le|Payable le",
        "Scadenza|Data scadenza/Pagamento entro|Scadenza pagamento",
        "Vencimiento|Fecha de vencimiento/Pagar antes de|Fecha límite de pago",
        "Vervaldatum|Te betalen voor/Vervaldag|Uiterste betaaldatum",
    ),
    "bill_to": (
        "Bill to|Invoice to/Billed to|Sold to",
        "Rechnungsempfänger|Rechnungsadresse/Auftraggeber|Kunde",
        "Facturé à|Adresse de facturation/Client|Facturer à",
        "Fatturare a|Cliente/Committente|Destinatario",
        "Facturar a|Cliente/Facturado a|Adquirente",
        "Factuuradres|Factuur aan/Klant|Gefactureerd aan",
    ),
    "ship_to": (
        "Ship to|Deliver to/Delivery address|Ship-to address",
        "Lieferadresse|Lieferanschrift/Warenempfänger|Versandadresse",
        "Livré à|Adresse de livraison/Lieu de livraison|Expédier à",
        "Consegnare a|Destinazione merce/Luogo di consegna|Spedire a",
        "Enviar a|Dirección de entrega/Entregar en|Lugar de entrega",
        "Afleveradres|Leveradres/Bezorgadres|Leveren aan",
    ),
    "remit": (
        "Please remit payment to:|Make payment to:/Payable to:|Send payment to:",
        "Bitte überweisen Sie an:|Zahlungsempfänger:/Zahlung an:|Überweisung an:",
        "Veuillez régler à :|Bénéficiaire :/Paiement à l'ordre de :|Règlement à :",
        "Effettuare il bonifico a:|Beneficiario:/Pagamento a favore di:|Intestato a:",
        "Por favor, pague a:|Beneficiario:/Pago a favor de:|Titular de la cuenta:",
        "Gelieve te betalen aan:|Begunstigde:/Betaling aan:|Ten gunste van:",
    ),
    "vat_amount": (
        "VAT|Tax/VAT amt|Tax amt",
        "MwSt.|USt./Steuer|MwSt.-Betrag",
        "TVA|Mt TVA/Montant TVA|Taxe",
        "IVA|Imposta/Importo IVA|Imp. IVA",
        "IVA|Cuota IVA/Cuota|Impuesto",
        "Btw|Btw-bedrag/Btw bedrag|Belasting",
    ),
    "customer_no": (
        "Customer no.|Account no./Customer ID|Client ref.",
        "Kundennr.|Kunden-Nr./Debitor|Kundennummer",
        "N° client|Réf. client/Code client|Client n°",
        "Cod. cliente|Codice cliente/Cliente n.|Rif. cliente",
        "Nº cliente|Cód. cliente/Número de cliente|Cliente nº",
        "Klantnr.|Klantnummer/Debiteurnr.|Klant nr",
    ),
    "net": (
        "Net total|Subtotal/Total before VAT|Net amount",
        "Nettobetrag|Summe netto/Warenwert netto|Nettosumme",
        "Total HT|Montant HT/Total hors taxes|Base HT",
        "Imponibile|Totale imponibile/Totale netto|Imponibile totale",
        "Base imponible|Total neto/Importe neto|Base",
        "Totaal excl. btw|Subtotaal/Netto bedrag|Totaal exclusief btw",
    ),
    "vat_row": (
        "VAT {r}|{r} VAT/VAT @ {r}|Tax {r}",
        "USt. {r}|MwSt. {r}/zzgl. {r} MwSt.|{r} USt.",
        "TVA {r}|Montant TVA {r}/TVA à {r}|T.V.A. {r}",
        "IVA {r}|Imposta {r}/IVA al {r}|Totale IVA {r}",
        "IVA {r}|Cuota IVA {r}/IVA al {r}|I.V.A. {r}",
        "Btw {r}|{r} btw/Btw-bedrag {r}|Btw {r} over",
    ),
    "total": (
        "Total|Invoice total/Total amount|Grand total",
        "Gesamtbetrag|Rechnungsbetrag/Endbetrag|Bruttobetrag",
        "Total TTC|Montant TTC/Net à payer|Total toutes taxes comprises",
        "Totale|Totale fattura/Totale documento|Totale da pagare",
        "Total|Total factura/Importe total|Total a pagar",
        "Totaal incl. btw|Totaal/Totaalbedrag|Te betalen",
    ),
}


def wording(key: str, lang: str, rng: random.Random, held_out: bool) -> str:
    """One wording of a label: drawn from the tuned set, or from the held-back one for a held-out layout."""
    tuned, held = _WORDINGS[key][LANG_INDEX[lang]].split("/")
    return rng.choice((held if held_out else tuned).split("|"))


# A site of the buyer's, for a ship-to block that names a place rather than the company again.
SITES: Final = ("Warehouse|Lager|Entrepôt|Magazzino|Almacén|Magazijn", "Site office|Werk 2|Site de production"
                "|Stabilimento|Planta|Vestiging")


def site_word(lang: str, rng: random.Random) -> str:
    """A site name ("Lager", "Entrepôt") that a ship-to block may print under the buyer's name."""
    return rng.choice(SITES).split("|")[LANG_INDEX[lang]]
