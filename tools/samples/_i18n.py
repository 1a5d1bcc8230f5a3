"""Labels, number and date formats of the six invoice languages.

Why: the text-layer and OCR extractors must cope with what European invoices really print: "Rechnungsnummer"
next to "N° de facture", ``1.234,56`` next to ``1 234,56`` and ``1,234.56``, ``01.03.2026`` next to
``01/03/2026``. Keeping every language-dependent string here lets the layout code stay language-blind.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

LANGS: Final = ("en", "de", "fr", "it", "es", "nl")
LANG_INDEX: Final = {lang: i for i, lang in enumerate(LANGS)}

# key -> en | de | fr | it | es | nl
_LABELS: Final[dict[str, str]] = {
    "invoice": "Invoice|Rechnung|Facture|Fattura|Factura|Factuur",
    "credit_note": "Credit note|Gutschrift|Avoir|Nota di credito|Nota de crédito|Creditnota",
    "number": "Invoice number|Rechnungsnummer|N° de facture|Numero fattura|Número de factura|Factuurnummer",
    "cn_number": "Credit note number|Gutschriftsnummer|N° d'avoir|Numero nota di credito|Número de abono|"
                 "Creditnotanummer",
    "date": "Invoice date|Rechnungsdatum|Date de facture|Data fattura|Fecha de factura|Factuurdatum",
    "due": "Due date|Fälligkeitsdatum|Date d'échéance|Data di scadenza|Fecha de vencimiento|Vervaldatum",
    "delivery": "Delivery date|Lieferdatum|Date de livraison|Data di consegna|Fecha de entrega|Leverdatum",
    "order": "Order reference|Bestellnummer|Réf. commande|Rif. ordine|Ref. pedido|Ordernummer",
    "buyer_ref": "Your reference|Ihre Referenz|Votre référence|Vostro riferimento|Su referencia|Uw referentie",
    "bill_to": "Bill to|Rechnungsempfänger|Facturé à|Destinatario|Facturar a|Factuuradres",
    "pos": "No.|Pos.|Réf.|Pos.|Pos.|Nr.",
    "desc": "Description|Bezeichnung|Désignation|Descrizione|Descripción|Omschrijving",
    "qty": "Qty|Menge|Qté|Q.tà|Cant.|Aantal",
    "unit": "Unit|Einheit|Unité|U.M.|Unidad|Eenheid",
    "price": "Unit price|Einzelpreis|Prix unit.|Prezzo unit.|Precio unit.|Prijs",
    "vat_pct": "VAT %|USt. %|TVA %|IVA %|IVA %|Btw %",
    "amount": "Amount|Betrag|Montant HT|Importo|Importe|Bedrag",
    "subtotal": "Subtotal|Zwischensumme|Sous-total HT|Subtotale|Subtotal|Subtotaal",
    "allowance": "Discount|Rabatt|Remise|Sconto|Descuento|Korting",
    "charge": "Freight|Frachtkosten|Frais de port|Spese di trasporto|Portes|Verzendkosten",
    "net_total": "Net total|Nettobetrag|Total HT|Imponibile|Base imponible|Totaal excl. btw",
    "vat": "VAT|USt.|TVA|IVA|IVA|Btw",
    "total": "Total|Gesamtbetrag|Total TTC|Totale|Total|Totaal incl. btw",
    "prepaid": "Prepaid|Bereits gezahlt|Acompte versé|Acconto versato|Anticipo|Reeds betaald",
    "amount_due": "Amount due|Zahlbetrag|Net à payer|Importo dovuto|Importe a pagar|Te betalen",
    "bank": "Bank details|Bankverbindung|Coordonnées bancaires|Coordinate bancarie|Datos bancarios|Bankgegevens",
    "vat_id": "VAT ID|USt-IdNr.|N° TVA|P. IVA|NIF-IVA|Btw-nummer",
    "page": "Page|Seite|Page|Pagina|Página|Pagina",
    "of": "of|von|sur|di|de|van",
    "terms": "Payment terms|Zahlungsbedingungen|Conditions de paiement|Condizioni di pagamento|"
             "Condiciones de pago|Betalingsvoorwaarden",
    "reference": "Payment reference|Verwendungszweck|Référence de paiement|Causale|Referencia de pago|"
                 "Betalingskenmerk",
    "reverse": "Reverse charge: VAT to be accounted for by the recipient|Steuerschuldnerschaft des "
               "Leistungsempfängers|Autoliquidation - TVA due par le preneur|Inversione contabile - art. 7-ter|"
               "Inversión del sujeto pasivo|Btw verlegd",
    "credit_for": "Credit for invoice|Gutschrift zu Rechnung|Avoir sur facture|Nota di credito per fattura|"
                  "Abono de la factura|Creditnota voor factuur",
    "continued": "continued on next page|Fortsetzung auf der nächsten Seite|suite page suivante|"
                 "continua alla pagina successiva|continúa en la página siguiente|vervolg op volgende pagina",
    "carried": "Carried forward|Übertrag|Report|Riporto|Suma y sigue|Transport",
    "thanks": "Thank you for your business.|Vielen Dank für Ihren Auftrag.|Merci de votre confiance.|"
              "Grazie per la fiducia accordata.|Gracias por su confianza.|Hartelijk dank voor uw opdracht.",
    "gtc": "General terms and conditions|Allgemeine Geschäftsbedingungen|Conditions générales de vente|"
           "Condizioni generali di vendita|Condiciones generales de venta|Algemene voorwaarden",
}
LABELS: Final[dict[str, tuple[str, ...]]] = {k: tuple(v.split("|")) for k, v in _LABELS.items()}
assert all(len(v) == 6 for v in LABELS.values())

UNIT_LABELS: Final[dict[str, tuple[str, ...]]] = {
    "C62": ("pcs", "Stk.", "pce", "pz.", "ud.", "st."), "H87": ("pcs", "Stk.", "pce", "pz.", "ud.", "st."),
    "HUR": ("h", "Std.", "h", "ore", "h", "uur"), "DAY": ("days", "Tage", "jours", "gg.", "días", "dagen"),
    "MON": ("months", "Monate", "mois", "mesi", "meses", "mnd."), "KGM": ("kg",) * 6, "MTR": ("m",) * 6,
    "LTR": ("l",) * 6, "MTK": ("m²",) * 6, "KWH": ("kWh",) * 6, "SET": ("set", "Satz", "jeu", "set", "juego", "set"),
}

_TERMS: Final[dict[str, tuple[str, str, str]]] = {
    # due on receipt | net days | net days with early-payment discount
    "en": ("Payable on receipt without deduction", "Payment within {n} days net",
           "Payment within {n} days net, {d}% discount if paid within {m} days"),
    "de": ("Zahlbar sofort ohne Abzug", "Zahlbar innerhalb {n} Tagen ohne Abzug",
           "Zahlbar innerhalb {n} Tagen netto, {d}% Skonto bei Zahlung innerhalb {m} Tagen"),
    "fr": ("Paiement à réception de facture", "Paiement à {n} jours",
           "Paiement à {n} jours, escompte de {d}% pour paiement sous {m} jours"),
    "it": ("Rimessa diretta", "Pagamento a {n} giorni data fattura",
           "Pagamento a {n} giorni, sconto {d}% per pagamento entro {m} giorni"),
    "es": ("Pago al contado", "Pago a {n} días",
           "Pago a {n} días, descuento del {d}% por pronto pago en {m} días"),
    "nl": ("Direct te voldoen", "Betaling binnen {n} dagen",
           "Betaling binnen {n} dagen, {d}% korting bij betaling binnen {m} dagen"),
}


def label(key: str, lang: str) -> str:
    return LABELS[key][LANG_INDEX[lang]]


def unit_label(code: str, lang: str) -> str:
    return UNIT_LABELS[code][LANG_INDEX[lang]]


def payment_terms(lang: str, days: int, discount: tuple[int, int] | None) -> str:
    immediate, net, with_discount = _TERMS[lang]
    if days == 0:
        return immediate
    if discount:
        return with_discount.format(n=days, d=discount[0], m=discount[1])
    return net.format(n=days)


# thousands separator, decimal separator
_SEPARATORS: Final = {"en": (",", "."), "de": (".", ","), "fr": (" ", ","), "it": (".", ","),
                      "es": (".", ","), "nl": (".", ",")}


def fmt_amount(value: Decimal, lang: str, places: int = 2) -> str:
    """``1234.5`` -> ``1,234.50`` (en), ``1.234,50`` (de/it/es/nl), ``1 234,50`` (fr)."""
    thousands, decimal_sep = _SEPARATORS[lang]
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", decimal_sep).replace("\0", thousands)


def fmt_price(value: Decimal, lang: str) -> str:
    """Unit prices keep up to four decimals but at least two."""
    places = max(2, -int(value.normalize().as_tuple().exponent))
    return fmt_amount(value, lang, min(places, 4))


def fmt_qty(value: Decimal, lang: str) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", _SEPARATORS[lang][1])


def fmt_rate(value: Decimal, lang: str) -> str:
    text = format(value.normalize(), "f")
    return text.replace(".", _SEPARATORS[lang][1]) + (" %" if lang in ("de", "fr") else "%")


def fmt_date(value: date, lang: str) -> str:
    """ISO for English, ``01.03.2026`` German, ``01-03-2026`` Dutch, ``01/03/2026`` French/Italian/Spanish."""
    if lang == "en":
        return value.isoformat()
    sep = {"de": ".", "nl": "-"}.get(lang, "/")
    return f"{value.day:02d}{sep}{value.month:02d}{sep}{value.year}"


def fmt_money(value: Decimal, currency: str, lang: str) -> str:
    """Amount with its currency code, placed the way the language usually places it."""
    if lang == "en":
        return f"{currency} {fmt_amount(value, lang)}"
    return f"{fmt_amount(value, lang)} {currency}"
