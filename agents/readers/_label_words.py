"""The label phrases of `labels`, per field and language: data only, kept apart so the matcher stays short.

One string per language (EN, DE, FR, IT, ES, NL), phrases separated by "|", written as invoices print
them; `labels.normalise` folds case, accents and punctuation before matching.
"""

from __future__ import annotations

from enum import StrEnum


class Field(StrEnum):
    """The fields a label can announce."""

    INVOICE_NUMBER = "invoice_number"
    ISSUE_DATE = "issue_date"
    DUE_DATE = "due_date"
    CURRENCY = "currency"
    SELLER = "seller"
    BUYER = "buyer"
    VAT_ID = "vat_id"
    IBAN = "iban"
    BIC = "bic"
    ORDER_REFERENCE = "order_reference"
    NET_TOTAL = "total_net"
    TAX_TOTAL = "total_tax"
    GROSS_TOTAL = "total_incl_vat"
    PREPAID = "prepaid"
    AMOUNT_DUE = "amount_due"
    OTHER_DATE = "other_date"  # delivery, order, period dates: named so they are not taken for the issue date
    LINE_TOTAL = "line_net_total"  # BT-106, the sum of the lines: "Subtotal", "Zwischensumme", "Sous-total"
    ALLOWANCE = "allowance_total"  # BT-107, a document-level discount between the lines and the net
    CHARGE = "charge_total"  # BT-108, a document-level surcharge: freight, packing, handling
    OTHER_AMOUNT = "other_amount"  # prices, quantities, cash discounts: named so they are not taken for totals
    OTHER_ID = "other_id"  # customer numbers, tax numbers, references that are not the invoice number


# One line per language: EN, DE, FR, IT, ES, NL. Phrases are written naturally; matching normalises them.
LABEL_WORDS: dict[Field, tuple[str, ...]] = {
    Field.INVOICE_NUMBER: (
        "invoice number|invoice no|invoice nr|invoice #|invoice id|invoice ref|inv no|inv #|bill number"
        "|credit note number|credit note no|document number|document no|debit note number",
        "rechnungsnummer|rechnungs-nr|rechnung nr|rechnungsnr|re-nr|belegnummer|beleg-nr|gutschriftsnummer"
        "|gutschrift nr|gutschrift-nr|dokumentnummer|rechnungs-nummer",
        "numéro de facture|n° de facture|no de facture|n° facture|facture n°|facture no|facture numéro"
        "|numéro facture|numéro d'avoir|avoir n°|n° d'avoir|réf. facture",
        "numero fattura|fattura n|fattura nr|n. fattura|nr. fattura|numero documento|n. documento"
        "|numero nota di credito|fattura numero|documento n",
        "número de factura|nº de factura|n.º de factura|no. de factura|factura nº|factura n.º|factura no"
        "|número factura|num. factura|nº factura|factura número|número de documento|número de abono"
        "|nº de abono|abono nº|número de nota de crédito|número de la factura",
        "factuurnummer|factuur nr|factuurnr|factuur nummer|creditnotanummer|creditnota nr|documentnummer",
    ),
    Field.ISSUE_DATE: (
        "invoice date|date of invoice|issue date|date of issue|date issued|billing date|document date|date"
        "|issued on",
        "rechnungsdatum|belegdatum|beleg-datum|ausstellungsdatum|rechnungs-datum|gutschriftsdatum"
        "|dokumentdatum|datum|ausgestellt am",
        "date de facture|date de facturation|date d'émission|date facture|date de l'avoir|émise le|date"
        "|facture du",
        "data fattura|data documento|data di emissione|data emissione|data della fattura|data|emessa il",
        "fecha de factura|fecha de emisión|fecha factura|fecha de expedición|fecha emisión|fecha|expedida el",
        "factuurdatum|datum factuur|factuur datum|datum van uitgifte|datum|uitgiftedatum",
    ),
    Field.DUE_DATE: (
        "due date|payment due|due by|due on|payable by|pay by|payment due date|date due|due",
        "fälligkeitsdatum|fällig am|fälligkeit|zahlbar bis|zahlungsziel|fällig bis|fälligkeitstag|fällig",
        "date d'échéance|échéance|à payer avant le|payable avant le|date limite de paiement|payable le",
        "data scadenza|scadenza|data di scadenza|pagamento entro|scadenza pagamento",
        "fecha de vencimiento|vencimiento|fecha límite de pago|pagar antes de|fecha de pago",
        "vervaldatum|uiterste betaaldatum|te betalen voor|betalen voor|vervaldag",
    ),
    Field.CURRENCY: (
        "currency|invoice currency|amounts in|all amounts in",
        "währung|rechnungswährung|beträge in|alle beträge in",
        "devise|monnaie|montants en|devise de facturation",
        "valuta|divisa|importi in",
        "moneda|divisa|importes en",
        "munt|valuta|bedragen in",
    ),
    Field.SELLER: (
        "seller|supplier|vendor|sold by|bill from|invoice from|from|service provider|issued by",
        "verkäufer|lieferant|rechnungsersteller|leistungserbringer|auftragnehmer|absender|rechnungssteller",
        "vendeur|fournisseur|émetteur|prestataire|émis par",
        "venditore|fornitore|cedente|cedente/prestatore|prestatore|emittente",
        "vendedor|proveedor|emisor|expedidor",
        "verkoper|leverancier|afzender|dienstverlener",
    ),
    Field.BUYER: (
        "bill to|billed to|invoice to|buyer|customer|client|sold to|invoiced to|recipient|ship to|deliver to",
        "käufer|kunde|rechnungsempfänger|leistungsempfänger|auftraggeber|rechnungsadresse|empfänger"
        "|käufer/leistungsempfänger|warenempfänger|lieferadresse",
        "acheteur|client|facturé à|adresse de facturation|destinataire|facturer à|livré à",
        "acquirente|cliente|destinatario|committente|cessionario|cessionario/committente|fatturare a",
        "comprador|cliente|facturar a|destinatario|facturado a|adquirente",
        "koper|klant|factuuradres|afnemer|gefactureerd aan|ontvanger|factuur aan",
    ),
    Field.VAT_ID: (
        "vat|vat no|vat number|vat id|vat reg no|vat registration number|tax id|vat reg",
        "ust-idnr|ust-id-nr|ust-id|umsatzsteuer-id|ustid|ust-identnr|umsatzsteuer-identifikationsnummer"
        "|mwst-nr|uid|uid-nr",
        "n° tva|tva intracommunautaire|numéro de tva|n° tva intracom|numéro tva|tva intra",
        "p.iva|partita iva|p. iva|codice fiscale e p.iva|n. iva",
        "nif|cif|nif-iva|nif/cif|número de iva",
        "btw-nummer|btw nr|btw-id|btw-nr|btw nummer|btw-identificatienummer",
    ),
    Field.IBAN: ("iban", "iban", "iban", "iban", "iban", "iban"),
    Field.BIC: (
        "bic|swift|bic/swift|swift code|swift/bic",
        "bic|swift-code",
        "bic|code swift",
        "bic|codice swift",
        "bic|código swift",
        "bic|swift",
    ),
    Field.ORDER_REFERENCE: (
        "order number|order no|purchase order|po number|po no|your order|order ref|order reference|po #",
        "bestellnummer|bestell-nr|bestellung|ihre bestellung|auftragsnummer|auftrag-nr|bestellnr",
        "bon de commande|n° de commande|commande n°|numéro de commande|votre commande|commande",
        "ordine n|numero ordine|rif. ordine|vostro ordine|ordine d'acquisto|ordine",
        "número de pedido|pedido n|n.º de pedido|su pedido|orden de compra|pedido",
        "bestelnummer|uw bestelling|inkoopordernummer|ordernummer|bestelling|inkooporder",
    ),
    Field.NET_TOTAL: (
        "net total|total net|net amount|total excl. vat|total excluding vat"
        "|total before tax|total excl vat|amount excl. vat|total without vat|total net amount"
        "|total (excl. vat)|net value|total excl. tax|total excluding tax|net",
        "nettobetrag|netto|summe netto|nettosumme|gesamt netto|rechnungssumme netto|rechnungssumme ohne ust"
        "|gesamtbetrag netto|summe ohne mwst|betrag netto|netto gesamt|total netto"
        "|nettowert|gesamtsumme netto|rechnungsbetrag netto|nettorechnungsbetrag|summe nettobeträge"
        "|gesamtnettobetrag|rechnungssumme ohne umsatzsteuer|gesamtbeitrag|warenwert netto",
        "total ht|montant ht|total hors taxes|montant hors taxes|total hors tva|montant net ht"
        "|total net ht|base ht|net ht",
        "imponibile|totale imponibile|totale netto|importo netto|totale senza iva|imponibile totale",
        "base imponible|importe neto|total neto|total sin iva|base imponible total|suma",
        "totaal excl. btw|netto bedrag|totaal exclusief btw|bedrag excl. btw|totaal netto"
        "|totaal excl btw|nettobedrag",
    ),
    Field.LINE_TOTAL: (
        "subtotal|sub-total|sub total|line total|lines total|sum of lines|total of lines|items total"
        "|goods total|total goods",
        "zwischensumme|positionssumme|summe positionen|summe der positionen|warensumme|positionen gesamt"
        "|summe warenwert",
        "sous-total|sous total|sous-total ht|total des lignes|total articles|total marchandises",
        "subtotale|totale righe|totale merce|totale articoli|totale merci",
        "subtotal|suma de líneas|total líneas|importe bruto|total artículos",
        "subtotaal|totaal regels|totaal artikelen|subtotaal excl. btw",
    ),
    Field.ALLOWANCE: (
        "discount|allowance|allowances|total allowances|rebate|less discount|trade discount|volume discount"
        "|special discount|reduction|discount total",
        "rabatt|nachlass|abschlag|abschläge|gesamtbetrag der abschläge|summe abschläge|summe der abschläge"
        "|preisnachlass|sondernachlass|mengenrabatt|abzüglich rabatt|abzgl. rabatt|sonderrabatt",
        "remise|rabais|ristourne|total remises|remise globale|réduction|remises",
        "sconto|abbuono|totale sconti|riduzione|sconto incondizionato|sconti",
        "descuento|total descuentos|bonificación|rebaja|descuentos|dto.",
        "korting|totaal korting|kortingen|reductie",
    ),
    Field.CHARGE: (
        "charge|charges|total charges|surcharge|freight|shipping|shipping and handling|handling"
        "|delivery charge|postage|packaging costs|carriage|shipping costs",
        "zuschlag|zuschläge|gesamtbetrag der zuschläge|summe zuschläge|summe der zuschläge|fracht"
        "|frachtkosten|versandkosten|versand|verpackungskosten|porto|transportkosten"
        "|mindermengenzuschlag",
        "frais de port|frais d'envoi|frais de livraison|frais de transport|majoration|supplément|frais d'emballage"
        "|frais",
        "spese di trasporto|spese di spedizione|trasporto|maggiorazione|supplemento|spese di imballo|spese",
        "portes|gastos de envío|gastos de transporte|recargo|suplemento|gastos de embalaje|gastos",
        "verzendkosten|vrachtkosten|toeslag|transportkosten|verpakkingskosten|verzending",
    ),
    Field.TAX_TOTAL: (
        "vat|total vat|vat amount|tax|total tax|tax amount|sales tax|vat total|plus vat|tax total",
        "mwst|umsatzsteuer|ust|steuerbetrag|mehrwertsteuer|summe mwst|mwst-betrag|ust-betrag|gesamt mwst"
        "|zzgl. mwst|zzgl. ust|versicherungsteuer|umsatzsteuerbetrag|summe ust|steuer|mwst.-betrag"
        "|enthaltene mwst|enthaltene ust|in diesem beitrag enthaltene versicherungsteuer",
        "tva|total tva|montant tva|montant de la tva|montant t.v.a.",
        "iva|totale iva|importo iva|imposta|totale imposta|iva totale",
        "iva|total iva|cuota iva|importe iva|cuota|cuota de iva|impuestos",
        "btw|btw-bedrag|totaal btw|btw bedrag|btw totaal",
    ),
    Field.GROSS_TOTAL: (
        "total|total incl. vat|total including vat|grand total|invoice total|total amount|gross amount"
        "|total (incl. vat)|gross total|total incl vat|total inc. vat|total gross|amount incl. vat"
        "|total including tax|total incl. tax",
        "gesamtbetrag|bruttosumme|rechnungsbetrag|rechnungssumme brutto|gesamtsumme|summe brutto"
        "|bruttobetrag|endbetrag|gesamt brutto|rechnungssumme|brutto|gesamt|rechnungsbetrag brutto"
        "|gesamtbetrag brutto|rechnungssumme brutto (inkl. ust.)|rechnungsbeitrag|bruttorechnungsbetrag"
        "|summe|betrag",
        "total ttc|montant ttc|total toutes taxes comprises|montant total|total facture|total",
        "totale|totale fattura|totale documento|totale iva inclusa|importo totale|totale complessivo",
        "total|total factura|importe total|total con iva|total iva incluido|total factura con iva",
        "totaal|totaal incl. btw|totaalbedrag|factuurbedrag|totaal inclusief btw|totaal incl btw",
    ),
    Field.PREPAID: (
        "prepaid|paid|amount paid|deposit|less deposit|payments received|already paid|advance payment"
        "|paid to date|prepaid amount|less paid",
        "anzahlung|erhaltene anzahlungen|erhaltene anzahlung|bereits bezahlt|geleistete anzahlung"
        "|vorauszahlung|geleistete anzahlungen|abzüglich anzahlung|bereits gezahlt|bezahlt",
        "acompte|déjà payé|acompte versé|montant payé|déjà réglé|acomptes",
        "acconto|già pagato|anticipo|importo pagato|acconti",
        "anticipo|ya pagado|pagado|importe pagado|anticipos",
        "vooruitbetaald|reeds betaald|aanbetaling|betaald|voorschot",
    ),
    Field.AMOUNT_DUE: (
        "amount due|balance due|total due|amount payable|please pay|to pay|amount to pay|total payable"
        "|payable amount|balance|amount due for payment|due amount|total amount due",
        "zahlbetrag|zu zahlen|zu zahlender betrag|offener betrag|fälliger betrag|restbetrag"
        "|zu zahlender beitrag|noch zu zahlen|zahlbetrag brutto|zu zahlender gesamtbetrag",
        "net à payer|montant à payer|reste à payer|solde dû|montant dû|total à payer|à payer|solde",
        "importo dovuto|totale da pagare|netto a pagare|da pagare|saldo|importo da pagare|totale dovuto",
        "total a pagar|importe a pagar|importe adeudado|a pagar|saldo pendiente|total a pagar eur",
        "te betalen|totaal te betalen|openstaand bedrag|verschuldigd bedrag|nog te betalen|te voldoen",
    ),
    Field.OTHER_DATE: (
        "delivery date|date of delivery|service date|order date|period|ship date|shipping date"
        "|performance date|date of supply|tax point|supply date",
        "lieferdatum|leistungsdatum|liefer- und leistungsdatum|bestelldatum|leistungszeitraum"
        "|lieferschein-datum|auftrag-datum|auftragsdatum|abrechnungszeitraum|rechnungszeitraum"
        "|leistungs-datum|bestell-datum|zeitraum|stand",
        "date de livraison|date de commande|période|date de prestation",
        "data consegna|data ordine|periodo|data di consegna",
        "fecha de entrega|fecha de pedido|periodo|fecha de servicio",
        "leverdatum|besteldatum|periode|leveringsdatum",
    ),
    Field.OTHER_AMOUNT: (
        "unit price|price|amount|quantity|qty|rounding|cash discount|early payment discount",
        "skonto|einzelpreis|preis|menge|nettopreis|warenwert|basisbetrag|steuerbasisbetrag|rundung"
        "|ausstehende forderung",
        "prix unitaire|quantité|escompte|arrondi",
        "prezzo unitario|quantità|arrotondamento",
        "precio unitario|cantidad|redondeo|descuento por pronto pago",
        "prijs per stuk|aantal|afronding|stukprijs|betalingskorting",
    ),
    Field.OTHER_ID: (
        "customer number|customer no|customer id|account number|reference|tax number|client number",
        "kundennummer|kunden-nr|steuernummer|steuer-nr|referenz|kontonr|blz|lieferschein-nr|vsnr"
        "|globale nummer|nummer|gln|lief-nr|handelsregisternummer|hrb",
        "numéro client|n° client|référence|siret|siren|rcs",
        "codice cliente|riferimento|codice fiscale|rea",
        "número de cliente|referencia|nº cliente",
        "klantnummer|referentie|kvk|kvk-nummer|ondernemingsnummer",
    ),
}
