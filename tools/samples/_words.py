"""Word lists the synthetic parties and lines are assembled from.

Why: names must look like the companies and addresses an EU accounts-payable desk sees, in the right national
shape (postcode syntax, street order, legal form), without naming any real company. Cities are real places
(public geography); company names are random combinations of surnames, sector words and legal forms.
"""

from __future__ import annotations

from typing import Final


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTRIES: Final = ("DE", "AT", "FR", "BE", "IT", "ES", "NL", "PL", "SE", "IE")

COUNTRY_NAMES: Final[dict[str, tuple[str, str, str, str, str, str]]] = {
    # en, de, fr, it, es, nl
    "DE": ("Germany", "Deutschland", "Allemagne", "Germania", "Alemania", "Duitsland"),
    "AT": ("Austria", "Österreich", "Autriche", "Austria", "Austria", "Oostenrijk"),
    "FR": ("France", "Frankreich", "France", "Francia", "Francia", "Frankrijk"),
    "BE": ("Belgium", "Belgien", "Belgique", "Belgio", "Bélgica", "België"),
    "IT": ("Italy", "Italien", "Italie", "Italia", "Italia", "Italië"),
    "ES": ("Spain", "Spanien", "Espagne", "Spagna", "España", "Spanje"),
    "NL": ("Netherlands", "Niederlande", "Pays-Bas", "Paesi Bassi", "Países Bajos", "Nederland"),
    "PL": ("Poland", "Polen", "Pologne", "Polonia", "Polonia", "Polen"),
    "SE": ("Sweden", "Schweden", "Suède", "Svezia", "Suecia", "Zweden"),
    "IE": ("Ireland", "Irland", "Irlande", "Irlanda", "Irlanda", "Ierland"),
}

# city -> postcode prefix; the generator pads the prefix to the national syntax.
CITIES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "DE": (("Berlin", "10"), ("Hamburg", "20"), ("München", "80"), ("Köln", "50"), ("Leipzig", "04"),
           ("Stuttgart", "70"), ("Bremen", "28"), ("Nürnberg", "90"), ("Dortmund", "44"), ("Kassel", "34")),
    "AT": (("Wien", "1"), ("Graz", "8"), ("Linz", "4"), ("Salzburg", "5"), ("Innsbruck", "6")),
    "FR": (("Paris", "75"), ("Lyon", "69"), ("Marseille", "13"), ("Toulouse", "31"), ("Nantes", "44"),
           ("Lille", "59"), ("Bordeaux", "33"), ("Strasbourg", "67"), ("Rennes", "35")),
    "BE": (("Bruxelles", "1"), ("Antwerpen", "2"), ("Gent", "9"), ("Liège", "4"), ("Namur", "5"), ("Leuven", "3")),
    "IT": (("Milano", "20"), ("Roma", "00"), ("Torino", "10"), ("Bologna", "40"), ("Firenze", "50"),
           ("Napoli", "80"), ("Verona", "37"), ("Padova", "35")),
    "ES": (("Madrid", "28"), ("Barcelona", "08"), ("Valencia", "46"), ("Sevilla", "41"), ("Bilbao", "48"),
           ("Zaragoza", "50"), ("Málaga", "29")),
    "NL": (("Amsterdam", "10"), ("Rotterdam", "30"), ("Utrecht", "35"), ("Eindhoven", "56"), ("Groningen", "97"),
           ("Den Haag", "25"), ("Tilburg", "50")),
    "PL": (("Warszawa", "0"), ("Kraków", "3"), ("Wrocław", "5"), ("Poznań", "6"), ("Gdańsk", "8")),
    "SE": (("Stockholm", "1"), ("Göteborg", "4"), ("Malmö", "2"), ("Uppsala", "75"), ("Västerås", "72")),
    "IE": (("Dublin", "D0"), ("Cork", "T12"), ("Galway", "H91"), ("Limerick", "V94")),
}

SURNAMES: Final[dict[str, tuple[str, ...]]] = {
    "DE": _w("Hoffmann Becker Schulte Krämer Brandt Lorenz Vogt Kessler Engel Albrecht Franke Seidel Winter "
                "Haas Roth Pohl"),
    "FR": _w("Moreau Lefèvre Girard Mercier Fontaine Chevalier Gauthier Perrin Marchand Rousseau Caron Barbier "
                "Lemaire Renaud"),
    "IT": _w("Bianchi Colombo Ferrari Galli Conti Marino Greco Bruno Gallo Rinaldi Lombardi Moretti Fontana "
                "Barbieri"),
    "ES": _w("García Navarro Romero Torres Ramos Castillo Ortega Delgado Molina Serrano Blanco Vidal Iglesias "
                "Cortés"),
    "NL": _w("Jansen Visser Smit Bakker Mulder Bos Vos Dekker Kuipers Brouwer Veenstra Hendriks Dijkstra "
                "Koster"),
    "PL": _w("Nowak Kowalczyk Wiśniewski Wójcik Kamiński Zieliński Szymański Dąbrowski Lewandowski Mazur "
                "Krawczyk"),
    "SE": _w("Lindqvist Berglund Holm Sandberg Ekström Nyström Lundgren Forsberg Hedlund Sjöberg Åberg "
                "Dahl"),
    "IE": _w("Murphy Kelly Byrne Walsh Ryan O'Brien Doyle McCarthy Gallagher Kennedy Lynch Quinn Nolan "
                "Brennan"),
}
SURNAMES_BY_COUNTRY: Final = {**SURNAMES, "AT": SURNAMES["DE"], "BE": SURNAMES["FR"] + SURNAMES["NL"]}

SECTORS: Final[dict[str, tuple[str, ...]]] = {
    "de": _w("Metallbau Haustechnik Logistik Elektro Bürotechnik Software Druckerei Maschinenbau Baustoffe "
                "Gebäudeservice Verpackung Medizintechnik"),
    "fr": ("Logistique", "Bâtiment", "Informatique", "Imprimerie", "Électricité", "Emballages", "Conseil",
           "Mécanique", "Services", "Distribution"),
    "it": ("Logistica", "Costruzioni", "Informatica", "Tipografia", "Impianti", "Imballaggi", "Meccanica",
           "Forniture", "Servizi", "Elettronica"),
    "es": ("Logística", "Construcciones", "Informática", "Suministros", "Instalaciones", "Embalajes",
           "Servicios", "Ingeniería", "Distribuciones", "Electricidad"),
    "nl": ("Logistiek", "Installatietechniek", "Bouw", "Automatisering", "Drukkerij", "Verpakkingen",
           "Techniek", "Groothandel", "Dienstverlening"),
    "en": ("Logistics", "Engineering", "Software", "Supplies", "Print", "Packaging", "Facilities",
           "Consulting", "Electrical", "Systems", "Trading"),
}
COUNTRY_SECTOR_LANG: Final = {"DE": "de", "AT": "de", "FR": "fr", "BE": "fr", "IT": "it", "ES": "es",
                              "NL": "nl", "PL": "en", "SE": "en", "IE": "en"}
FANCY: Final = _w("Nord Alpen Blau Delta Orion Vega Polar Atlas Linea Nova Terra Astra Quadra Helix Rhein "
                     "Solis Vento Aurora Cobalt Kestrel")

LEGAL_FORMS: Final[dict[str, tuple[str, ...]]] = {
    "DE": ("GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K."), "AT": ("GmbH", "GmbH", "AG", "OG", "KG"),
    "FR": ("SARL", "SAS", "SAS", "SA", "EURL"), "BE": ("SRL", "SA", "BV", "NV"),
    "IT": ("S.r.l.", "S.r.l.", "S.p.A.", "S.n.c."), "ES": ("S.L.", "S.L.", "S.A.", "S.L.U."),
    "NL": ("B.V.", "B.V.", "N.V.", "V.O.F."), "PL": ("Sp. z o.o.", "Sp. z o.o.", "S.A.", "Sp.k."),
    "SE": ("AB", "AB", "HB"), "IE": ("Ltd", "Ltd", "DAC", "Teoranta"),
}

STREETS: Final[dict[str, tuple[str, ...]]] = {
    "DE": _w("Linden Birken Garten Mühlen Schiller Goethe Bahnhof Industrie Hafen Markt Rosen Berg"),
    "FR": ("de la République", "Victor Hugo", "des Lilas", "du Moulin", "de la Gare", "Jean Jaurès", "des Écoles",
           "Pasteur", "du Port", "de Verdun"),
    "IT": ("Roma", "Garibaldi", "Mazzini", "Verdi", "dei Mille", "Cavour", "della Libertà", "Dante", "XX Settembre"),
    "ES": ("Mayor", "de Alcalá", "del Sol", "de la Paz", "Real", "de Goya", "Gran Vía", "del Carmen", "Serrano"),
    "NL": _w("Kerk Molen Dorps Haven Linden Beuken School Stations Nieuwe Wilhelmina"),
    "PL": ("Kwiatowa", "Polna", "Leśna", "Słoneczna", "Krótka", "Szkolna", "Ogrodowa", "Lipowa", "Mickiewicza"),
    "SE": _w("Kungs Drottning Stor Hamn Skol Kyrko Ring Sjö Björk"),
    "IE": ("Main", "Church", "Bridge", "Mill", "Castle", "Harbour", "Green", "Park", "Station"),
}


def street_line(country: str, word: str, number: int, kind: int) -> str:
    """Render one street address line in the national order (number first in FR/IE, after the name elsewhere)."""
    if country in ("DE", "AT"):
        return f"{word}{('straße', 'weg', 'allee', 'ring')[kind % 4]} {number}"
    if country == "FR" or (country == "BE" and kind % 2):
        return f"{number} {('rue', 'avenue', 'boulevard', 'rue')[kind % 4]} {word}"
    if country in ("NL", "BE"):
        return f"{word}{('straat', 'weg', 'laan', 'plein')[kind % 4]} {number}"
    if country == "IT":
        return f"{('Via', 'Corso', 'Viale', 'Piazza')[kind % 4]} {word}, {number}"
    if country == "ES":
        return f"{('Calle', 'Avenida', 'Paseo', 'Calle')[kind % 4]} {word}, {number}"
    if country == "PL":
        return f"ul. {word} {number}"
    if country == "SE":
        return f"{word}{('gatan', 'vägen', 'gränd', 'gatan')[kind % 4]} {number}"
    return f"{number} {word} {('Street', 'Road', 'Avenue', 'Lane')[kind % 4]}"


STREET_WORDS_BY_COUNTRY: Final = {**STREETS, "AT": STREETS["DE"], "BE": STREETS["FR"] + STREETS["NL"]}

FIRST_NAMES: Final = _w("Anna Lukas Marie Paul Julia Marco Sofia Luca Elena Pablo Lucía Daan Emma Jan Sara "
                           "Erik Aoife Sean Claire Hugo Léa Piotr Ewa")

# key, unit code, min and max unit price in cents, reduced-rate goods?, names in en|de|fr|it|es|nl
ITEMS: Final[tuple[tuple[str, str, int, int, bool, str], ...]] = (
    ("consult", "HUR", 6500, 18000, False, "IT consulting|IT-Beratung|Conseil informatique|Consulenza informatica|"
     "Consultoría informática|IT-advies"),
    ("dev", "HUR", 7000, 15000, False, "Software development|Softwareentwicklung|Développement logiciel|"
     "Sviluppo software|Desarrollo de software|Softwareontwikkeling"),
    ("install", "HUR", 4500, 9500, False, "Installation work|Montagearbeiten|Travaux d'installation|"
     "Lavori di installazione|Trabajos de instalación|Installatiewerkzaamheden"),
    ("clean", "HUR", 2500, 4500, False, "Office cleaning|Büroreinigung|Nettoyage des bureaux|Pulizia uffici|"
     "Limpieza de oficinas|Kantoorschoonmaak"),
    ("training", "DAY", 45000, 140000, False, "On-site training|Schulung vor Ort|Formation sur site|"
     "Formazione in sede|Formación presencial|Training op locatie"),
    ("licence", "C62", 9000, 240000, False, "Software licence|Softwarelizenz|Licence logicielle|Licenza software|"
     "Licencia de software|Softwarelicentie"),
    ("hosting", "MON", 4000, 90000, False, "Cloud hosting|Cloud-Hosting|Hébergement cloud|Hosting cloud|"
     "Alojamiento en la nube|Cloudhosting"),
    ("maint", "MON", 8000, 65000, False, "Maintenance contract|Wartungsvertrag|Contrat de maintenance|"
     "Contratto di manutenzione|Contrato de mantenimiento|Onderhoudscontract"),
    ("paper", "C62", 400, 900, False, "Copy paper A4, 500 sheets|Kopierpapier A4, 500 Blatt|Papier A4, 500 feuilles|"
     "Carta A4, 500 fogli|Papel A4, 500 hojas|Kopieerpapier A4, 500 vel"),
    ("toner", "C62", 3500, 14000, False, "Toner cartridge black|Tonerkartusche schwarz|Cartouche de toner noir|"
     "Cartuccia toner nero|Cartucho de tóner negro|Tonercartridge zwart"),
    ("laptop", "C62", 65000, 190000, False, "Notebook 14 inch|Notebook 14 Zoll|Ordinateur portable 14 pouces|"
     "Notebook 14 pollici|Portátil 14 pulgadas|Laptop 14 inch"),
    ("monitor", "C62", 14000, 52000, False, "Monitor 27 inch|Monitor 27 Zoll|Écran 27 pouces|Monitor 27 pollici|"
     "Monitor 27 pulgadas|Beeldscherm 27 inch"),
    ("cable", "MTR", 100, 600, False, "Installation cable|Installationskabel|Câble d'installation|"
     "Cavo di installazione|Cable de instalación|Installatiekabel"),
    ("screws", "KGM", 600, 2400, False, "Stainless steel screws|Edelstahlschrauben|Vis en inox|Viti in acciaio inox|"
     "Tornillos de acero inoxidable|RVS-schroeven"),
    ("steel", "KGM", 200, 700, False, "Sheet steel|Stahlblech|Tôle d'acier|Lamiera d'acciaio|Chapa de acero|"
     "Staalplaat"),
    ("pallet", "H87", 900, 2200, False, "Euro pallet|Europalette|Palette Europe|Pallet EUR|Palé europeo|Europallet"),
    ("freight", "C62", 6000, 48000, False, "Road freight|Straßentransport|Transport routier|Trasporto su strada|"
     "Transporte por carretera|Wegtransport"),
    ("power", "KWH", 15, 45, False, "Electricity|Strom|Électricité|Energia elettrica|Electricidad|Elektriciteit"),
    ("floor", "MTK", 1800, 6500, False, "Floor covering|Bodenbelag|Revêtement de sol|Pavimentazione|"
     "Revestimiento de suelo|Vloerbedekking"),
    ("coffee", "KGM", 1400, 3200, True, "Coffee beans|Kaffeebohnen|Café en grains|Caffè in grani|Café en grano|"
     "Koffiebonen"),
    ("water", "LTR", 35, 180, True, "Mineral water|Mineralwasser|Eau minérale|Acqua minerale|Agua mineral|"
     "Mineraalwater"),
    ("books", "C62", 1500, 8500, True, "Technical books|Fachbücher|Livres techniques|Libri tecnici|Libros técnicos|"
     "Vakboeken"),
    ("hotel", "DAY", 7500, 19000, True, "Hotel accommodation|Hotelübernachtung|Nuitée d'hôtel|Pernottamento in hotel|"
     "Alojamiento en hotel|Hotelovernachting"),
    ("catering", "C62", 900, 3500, True, "Catering per person|Catering pro Person|Traiteur par personne|"
     "Catering a persona|Catering por persona|Catering per persoon"),
    ("kit", "SET", 4000, 30000, False, "Tool set|Werkzeugsatz|Jeu d'outils|Set di utensili|Juego de herramientas|"
     "Gereedschapsset"),
)
