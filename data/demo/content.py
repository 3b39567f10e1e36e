"""The German vocabulary of the demo: course kinds and their courses, the named partners
and the demo logins, cities, streets, people's names, payment methods, reasons and review
texts. Pure data plus the text helpers that turn names into slugs and mail addresses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from data.demo.clock import hm

# username, password, role: shown on the login screen in demo mode.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("kochschule", "demo", "partner"),
    ("weinschule", "demo", "partner"),
    ("miomente", "demo", "staff"),
)
DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class CourseSpec:
    code: str
    name: str
    minutes: int
    price: int  # euros, gross
    teaser: str


@dataclass(frozen=True)
class Kind:
    name: str
    about: str
    included: str
    weekday_slots: tuple[int, ...]  # local start times in minutes after midnight
    weekend_slots: tuple[int, ...]
    day_weights: tuple[float, ...]  # Monday .. Sunday
    seats: tuple[int, int]
    brand_words: tuple[str, ...]  # for generated partners: "<word> <Nachname>"
    courses: tuple[CourseSpec, ...]


# fmt: off
KINDS: dict[str, Kind] = {
    "Kochschule": Kind(
        name="Kochschule",
        about=(
            "In unserer offenen Küche kochen Sie in kleinen Gruppen unter Anleitung erfahrener "
            "Köchinnen und Köche. Zum Abschluss genießen wir die Gerichte gemeinsam am großen "
            "Tisch."
        ),
        included="alle Zutaten, begleitende Getränke, Rezepte zum Mitnehmen und eine Schürze",
        weekday_slots=(hm(18), hm(18, 30), hm(19)),
        weekend_slots=(hm(11), hm(12), hm(17), hm(18)),
        day_weights=(0.4, 0.7, 0.9, 1.1, 1.6, 1.8, 0.8),
        seats=(10, 16),
        brand_words=("Kochschule", "Kochschule", "Kochstudio", "Kochatelier", "Genussküche"),
        courses=(
            CourseSpec("PASTA", "Italienische Pasta-Werkstatt", 210, 89,
                        "Frische Pasta von Hand: Tagliatelle, Ravioli und Gnocchi mit drei "
                        "klassischen Saucen."),
            CourseSpec("ASIA", "Asiatische Streetfood-Küche", 210, 89,
                        "Dumplings, Bao Buns und Currys – die besten Rezepte aus den Garküchen "
                        "von Bangkok, Hanoi und Taipeh."),
            CourseSpec("STEAK", "Steak & Beilagen Masterclass", 240, 119,
                        "Vom Dry-Aged-Rumpsteak bis zur Sauce béarnaise: Garstufen, Ruhezeiten "
                        "und die passenden Beilagen."),
            CourseSpec("VEGGI", "Vegetarisch genießen", 210, 79,
                        "Bunte Gemüseküche mit Hülsenfrüchten, Kräutern und Gewürzen – satt und "
                        "glücklich ganz ohne Fleisch."),
            CourseSpec("FISCH", "Fisch & Meeresfrüchte", 240, 109,
                        "Filetieren, braten, pochieren: Fisch sicher zubereiten, von der Scholle "
                        "bis zur Jakobsmuschel."),
            CourseSpec("TAPAS", "Spanischer Tapas-Abend", 210, 85,
                        "Patatas bravas, Gambas al ajillo und Tortilla – spanische Tapas in "
                        "geselliger Runde."),
            CourseSpec("BROT", "Brot backen wie früher", 240, 75,
                        "Sauerteig ansetzen, kneten, formen: Sie backen Bauernbrot, Baguette "
                        "und Focaccia."),
            CourseSpec("MENUE", "Festliches Vier-Gänge-Menü", 240, 129,
                        "Ein Festmenü für besondere Anlässe, das sich entspannt vorbereiten "
                        "lässt."),
            CourseSpec("TEAM", "Teamkochen: Gemeinsam am Herd", 240, 99,
                        "Das Event für Kolleginnen und Kollegen: gemeinsam ein Drei-Gänge-Menü "
                        "kochen und genießen."),
            CourseSpec("INDIA", "Indische Currys & Chutneys", 210, 85,
                        "Garam Masala selbst rösten, Dal, Butter Chicken und frische Chutneys "
                        "zubereiten."),
        ),
    ),
    "Weinschule": Kind(
        name="Weinschule",
        about=(
            "Unsere Sommelières und Sommeliers führen Sie mit viel Wissen und ohne "
            "Fachchinesisch durch die Verkostung. Sie schmecken Unterschiede, die Sie vorher "
            "nicht bemerkt hätten."
        ),
        included="alle Weine der Verkostung, Wasser, Brot und Käsehäppchen, Verkostungsnotizen",
        weekday_slots=(hm(18, 30), hm(19)),
        weekend_slots=(hm(14), hm(17), hm(19)),
        day_weights=(0.3, 0.5, 0.8, 1.2, 1.7, 1.9, 0.7),
        seats=(12, 20),
        brand_words=("Weinschule", "Weingut", "Weinkontor", "Vinothek"),
        courses=(
            CourseSpec("RIES", "Weinprobe: Riesling entdecken", 150, 59,
                        "Sechs Rieslinge vom Gutswein bis zur Großen Lage – trocken, feinherb "
                        "und edelsüß."),
            CourseSpec("ROT", "Rotwein-Seminar: Spätburgunder & Co.", 150, 65,
                        "Spätburgunder, Lemberger und Dornfelder: deutsche Rotweine im "
                        "direkten Vergleich."),
            CourseSpec("SEKT", "Sekt & Champagner verkosten", 150, 69,
                        "Flaschengärung, Dosage, Jahrgang: was einen großen Schaumwein "
                        "ausmacht."),
            CourseSpec("KAESE", "Wein & Käse – die perfekte Begleitung", 180, 75,
                        "Acht Käse, acht Weine und die Regeln, nach denen sie sich "
                        "verstehen."),
            CourseSpec("BASIS", "Weinseminar für Einsteiger", 180, 55,
                        "Sehen, riechen, schmecken: die Grundlagen der Weinverkostung in "
                        "entspannter Runde."),
            CourseSpec("BLIND", "Blindverkostung: Wein erkennen", 150, 69,
                        "Rebsorte, Herkunft, Jahrgang – trainieren Sie Ihren Gaumen an "
                        "verdeckten Flaschen."),
            CourseSpec("WANDER", "Weinbergwanderung mit Verkostung", 180, 49,
                        "Durch die Steillagen zum Aussichtspunkt, mit drei Weinen direkt am "
                        "Rebstock."),
            CourseSpec("SOMM", "Sommelier-Grundkurs am Wochenende", 360, 189,
                        "Ein Tag Weinwissen kompakt: Anbau, Ausbau, Service und "
                        "Speisebegleitung."),
            CourseSpec("ITAL", "Italienische Weine: von Piemont bis Sizilien", 150, 69,
                        "Barolo, Chianti, Nero d'Avola: eine Reise durch Italiens "
                        "Weinregionen."),
            CourseSpec("WINZER", "Winzerabend mit Flammkuchen", 180, 59,
                        "Der Winzer erzählt, der Ofen glüht: neue Weine und frischer "
                        "Flammkuchen."),
        ),
    ),
    "Cocktailschule": Kind(
        name="Cocktailschule",
        about=(
            "An unserer Bar mixen Sie selbst: Jede Person hat eine eigene Station mit "
            "Shaker, Jigger und Barlöffel. Unsere Bartender zeigen die Handgriffe Schritt für "
            "Schritt."
        ),
        included="alle Spirituosen und Zutaten, Fingerfood, Rezeptheft",
        weekday_slots=(hm(19), hm(20)),
        weekend_slots=(hm(17), hm(19), hm(20)),
        day_weights=(0.2, 0.4, 0.7, 1.2, 1.9, 2.0, 0.5),
        seats=(10, 18),
        brand_words=("Cocktailschule", "Barschule", "Cocktailbar"),
        courses=(
            CourseSpec("KLASS", "Cocktailkurs: Die Klassiker", 180, 69,
                        "Mojito, Caipirinha, Old Fashioned und Whiskey Sour – die Drinks, die "
                        "jede Bar kennt."),
            CourseSpec("GIN", "Gin-Tasting mit Tonic-Pairing", 150, 59,
                        "Sechs Gins, vier Tonics und die Botanicals, die den Unterschied "
                        "machen."),
            CourseSpec("TIKI", "Tiki-Cocktails & Rum", 180, 72,
                        "Mai Tai, Zombie und Painkiller: karibische Drinks mit Rum aus drei "
                        "Kontinenten."),
            CourseSpec("ALKF", "Alkoholfreie Drinks & Mocktails", 150, 55,
                        "Shrubs, Sirups und Fermente: Drinks mit viel Geschmack und null "
                        "Promille."),
            CourseSpec("WHISKY", "Whisky-Tasting: Schottland", 150, 79,
                        "Von Speyside bis Islay: sechs Single Malts und ihre Geschichten."),
            CourseSpec("BAR", "Barkeeper-Workshop für Fortgeschrittene", 240, 119,
                        "Eigene Sirupe, Clarified Milk Punch und Twists auf Klassiker."),
            CourseSpec("JGA", "Cocktailkurs für Junggesellenabschiede", 180, 65,
                        "Der Abend vor dem großen Tag: gemeinsam mixen, anstoßen und feiern."),
            CourseSpec("SPRITZ", "Aperitivo & Spritz", 150, 55,
                        "Italienische Aperitivo-Kultur mit Spritz, Negroni und kleinen "
                        "Häppchen."),
            CourseSpec("TEAM", "Cocktail-Teamevent", 180, 75,
                        "Teams treten an der Bar gegeneinander an – mit Jury und Siegerdrink."),
            CourseSpec("LIKOER", "Liköre selbst ansetzen", 150, 59,
                        "Kräuter, Früchte, Gewürze: Sie setzen drei Liköre an und nehmen sie "
                        "mit nach Hause."),
        ),
    ),
    "Barista-Akademie": Kind(
        name="Barista-Akademie",
        about=(
            "An professionellen Siebträgermaschinen lernen Sie, was einen guten Espresso "
            "ausmacht: Mahlgrad, Dosierung, Extraktion und Milchschaum."
        ),
        included="Kaffee und Milch nach Belieben, Gebäck, Teilnahmezertifikat",
        weekday_slots=(hm(10), hm(17)),
        weekend_slots=(hm(10), hm(14)),
        day_weights=(0.6, 0.8, 0.9, 1.0, 1.2, 1.8, 0.9),
        seats=(8, 12),
        brand_words=("Barista-Akademie", "Kaffeerösterei", "Kaffeeschule"),
        courses=(
            CourseSpec("GRUND", "Barista-Grundkurs", 180, 89,
                        "Vom Espresso bis zum Cappuccino: die Grundlagen an der "
                        "Siebträgermaschine."),
            CourseSpec("LATTE", "Latte Art für Einsteiger", 180, 95,
                        "Herz, Tulpe, Rosetta: Milch richtig schäumen und die ersten Motive "
                        "gießen."),
            CourseSpec("ROEST", "Kaffeerösten erleben", 180, 79,
                        "Vom grünen Rohkaffee zur duftenden Bohne: Röstprofile selbst "
                        "ausprobieren."),
            CourseSpec("FILTER", "Filterkaffee & Brew-Methoden", 150, 59,
                        "V60, Chemex, AeroPress und French Press im direkten Vergleich."),
            CourseSpec("SIEB", "Espresso zu Hause: Siebträger-Workshop", 180, 85,
                        "Die eigene Maschine verstehen, einstellen und pflegen."),
            CourseSpec("CUP", "Kaffee-Cupping: Bohnen verkosten", 120, 49,
                        "Wie Profis Kaffee bewerten: Aromen, Säure und Körper erkennen."),
            CourseSpec("KALT", "Cold Brew & Kaffeecocktails", 150, 59,
                        "Kalt extrahierter Kaffee, Espresso Tonic und Espresso Martini."),
            CourseSpec("PROFI", "Barista-Profikurs", 360, 249,
                        "Ein intensiver Tag für Gastronomie und ambitionierte Hobby-Baristas."),
            CourseSpec("LATTE2", "Latte Art Aufbaukurs", 180, 99,
                        "Schwan, Wing-Tulpe und Etching: komplexe Motive sicher gießen."),
            CourseSpec("SCHOKO", "Kaffee trifft Schokolade", 120, 55,
                        "Sechs Kaffees, sechs Schokoladen und überraschende Kombinationen."),
        ),
    ),
    "Töpferwerkstatt": Kind(
        name="Töpferwerkstatt",
        about=(
            "In unserer Werkstatt arbeiten Sie mit Ton an der Drehscheibe und von Hand. Ihre "
            "Stücke werden nach dem Kurs glasiert, gebrannt und liegen nach etwa drei Wochen "
            "zur Abholung bereit."
        ),
        included="Ton, Glasur, Brennkosten, Werkzeug und Schürze, Tee und Kaffee",
        weekday_slots=(hm(17, 30), hm(18, 30)),
        weekend_slots=(hm(10), hm(14)),
        day_weights=(0.5, 0.8, 0.9, 1.0, 1.1, 1.9, 1.4),
        seats=(8, 10),
        brand_words=("Töpferei", "Keramikwerkstatt", "Töpferwerkstatt"),
        courses=(
            CourseSpec("DREH", "Töpfern an der Drehscheibe", 180, 69,
                        "Zentrieren, aufbrechen, hochziehen: Ihre ersten Gefäße an der "
                        "Scheibe."),
            CourseSpec("BECHER", "Kaffeebecher töpfern", 180, 59,
                        "Zwei eigene Becher mit Henkel – für den Kaffee am Morgen."),
            CourseSpec("GLASUR", "Glasieren & Brennen", 150, 45,
                        "Engobe, Glasur, Pinseltechnik: Sie gestalten bereits gebrannte "
                        "Stücke."),
            CourseSpec("PAAR", "Töpferkurs für Paare", 180, 65,
                        "Zu zweit an der Scheibe – ein Abend mit Ton, Musik und einem Glas "
                        "Wein."),
            CourseSpec("FAMILIE", "Familien-Töpfern (Eltern & Kind)", 150, 49,
                        "Tiere, Schalen und Fantasiefiguren aus Ton, für Kinder ab sechs "
                        "Jahren."),
            CourseSpec("SCHALE", "Schalen & Teller aufbauen", 180, 59,
                        "Plattentechnik und Wulsttechnik: Geschirr ganz ohne Drehscheibe."),
            CourseSpec("INTENSIV", "Töpfern am Wochenende (Intensivkurs)", 360, 149,
                        "Ein ganzer Tag an der Scheibe für alle, die richtig einsteigen "
                        "wollen."),
            CourseSpec("RAKU", "Raku-Brand im Garten", 240, 89,
                        "Glühende Keramik, Rauch und Sägespäne: die japanische Brenntechnik "
                        "live."),
            CourseSpec("VASE", "Vasen & Windlichter", 180, 59,
                        "Hohe Formen drehen und mit Ritzmustern verzieren."),
            CourseSpec("SUSHI", "Sushi-Geschirr töpfern", 180, 65,
                        "Teller, Schälchen und Stäbchenbänkchen im japanischen Stil."),
        ),
    ),
    "Schokoladenmanufaktur": Kind(
        name="Schokoladenmanufaktur",
        about=(
            "In unserer gläsernen Manufaktur temperieren Sie Schokolade wie die Profis und "
            "füllen, tunken und verzieren nach Herzenslust. Alles, was Sie herstellen, nehmen "
            "Sie in einer Geschenkbox mit."
        ),
        included="alle Zutaten, Geschenkverpackung, heiße Schokolade zum Start",
        weekday_slots=(hm(17), hm(18)),
        weekend_slots=(hm(11), hm(14), hm(16)),
        day_weights=(0.4, 0.6, 0.8, 0.9, 1.2, 2.0, 1.5),
        seats=(8, 14),
        brand_words=("Confiserie", "Schokoladenmanufaktur", "Chocolaterie"),
        courses=(
            CourseSpec("PRAL", "Pralinen selbst machen", 180, 79,
                        "Ganache, Hohlkörper, Tunkpralinen: eine Box mit 30 eigenen "
                        "Pralinen."),
            CourseSpec("TAFEL", "Schokoladentafeln gestalten", 150, 59,
                        "Eigene Tafeln mit Nüssen, Früchten und Gewürzen, hübsch verpackt."),
            CourseSpec("TRUFF", "Trüffel-Workshop", 180, 75,
                        "Champagner-, Whisky- und Himbeertrüffel von Hand gerollt."),
            CourseSpec("BEAN", "Bean-to-Bar: Von der Bohne zur Tafel", 210, 95,
                        "Rösten, schälen, conchieren: wie aus Kakaobohnen Schokolade wird."),
            CourseSpec("TAST", "Schokoladen-Tasting mit Wein", 150, 65,
                        "Acht Schokoladen aus aller Welt und die Weine, die zu ihnen passen."),
            CourseSpec("KIND", "Schoko-Werkstatt für Kinder", 120, 39,
                        "Lollis, Figuren und Schokoküsse für Naschkatzen ab fünf Jahren."),
            CourseSpec("OSTER", "Osterhasen & Hohlfiguren gießen", 150, 55,
                        "Große und kleine Hohlfiguren gießen und bunt verzieren."),
            CourseSpec("WEIH", "Weihnachtliche Pralinen", 180, 79,
                        "Zimt, Spekulatius, Glühwein: Pralinen für die schönste Zeit des "
                        "Jahres."),
            CourseSpec("TORTE", "Schokoladentorten backen", 210, 85,
                        "Sachertorte und Schwarzwälder Kirsch – Klassiker Schicht für "
                        "Schicht."),
            CourseSpec("CHURRO", "Trinkschokolade & Churros", 120, 45,
                        "Dicke spanische Trinkschokolade und frisch frittierte Churros."),
        ),
    ),
    "Brauseminar": Kind(
        name="Brauseminar",
        about=(
            "Im Sudhaus brauen Sie mit unserer Braumeisterin einen eigenen Sud, vom Schroten "
            "bis zum Anstellen der Hefe. Zwischendurch verkosten wir Biere aus der Region."
        ),
        included="Rohstoffe, Brotzeit, Verkostungsbiere, eine Flasche des eigenen Suds",
        weekday_slots=(hm(17), hm(18)),
        weekend_slots=(hm(10), hm(11), hm(15)),
        day_weights=(0.2, 0.3, 0.6, 0.9, 1.6, 2.2, 0.9),
        seats=(10, 16),
        brand_words=("Brauerei", "Brauseminar", "Hausbrauerei"),
        courses=(
            CourseSpec("GRUND", "Bierbrauen für Einsteiger", 360, 129,
                        "Maischen, läutern, kochen, hopfen: Ihr erster eigener Sud."),
            CourseSpec("TAST", "Craft-Beer-Tasting", 150, 45,
                        "Zehn Biere, zehn Stile: von Pils bis Imperial Stout."),
            CourseSpec("RAUCH", "Rauchbier-Seminar mit Brauereiführung", 180, 59,
                        "Warum Bamberger Bier nach Räucherschinken schmeckt – und wie es "
                        "entsteht."),
            CourseSpec("HEIM", "Hobbybrauen zu Hause", 300, 119,
                        "Ausrüstung, Hygiene und Rezepte für den Braukessel in der eigenen "
                        "Küche."),
            CourseSpec("IPA", "IPA & Pale Ale selbst brauen", 360, 139,
                        "Hopfenbetonte Biere mit Kalthopfung, Schritt für Schritt."),
            CourseSpec("KAESE", "Bier & Käse Pairing", 150, 55,
                        "Acht Biere und acht Käse: überraschend gute Kombinationen."),
            CourseSpec("KELLER", "Fränkische Bierkultur: Kellerbier & Co.", 180, 49,
                        "Ungespundet, naturtrüb, süffig: Biere aus Frankens Bierkellern."),
            CourseSpec("SOMM", "Biersommelier-Schnupperkurs", 240, 99,
                        "Sensorik, Fehlaromen und Bierstile wie bei der Ausbildung."),
            CourseSpec("BOCK", "Bockbier-Abend", 180, 49,
                        "Starke Biere für die dunkle Jahreszeit, mit fränkischer Brotzeit."),
            CourseSpec("MALZ", "Malz, Hopfen, Hefe: Rohstoffkunde", 150, 45,
                        "Was in einem Bier steckt – Rohstoffe zum Riechen, Kauen und "
                        "Schmecken."),
        ),
    ),
    "Sushi-Atelier": Kind(
        name="Sushi-Atelier",
        about=(
            "Unser Sushi-Meister zeigt Ihnen, wie der Reis gelingt, wie man Fisch schneidet "
            "und Rollen formt. Was Sie zubereiten, essen wir zusammen mit Miso-Suppe und "
            "grünem Tee."
        ),
        included="alle Zutaten, Miso-Suppe, grüner Tee, Sake zur Verkostung, Rezeptheft",
        weekday_slots=(hm(18, 30), hm(19)),
        weekend_slots=(hm(12), hm(17)),
        day_weights=(0.4, 0.6, 0.9, 1.1, 1.5, 1.8, 0.9),
        seats=(8, 14),
        brand_words=("Sushi-Atelier", "Sushi-Schule", "Sushi-Werkstatt"),
        courses=(
            CourseSpec("EINS", "Sushi für Einsteiger", 180, 79,
                        "Reis kochen, würzen und rollen: Maki, Nigiri und California Rolls."),
            CourseSpec("MAKI", "Maki & Inside-Out-Rolls", 180, 79,
                        "Von der Gurkenrolle bis zur Dragon Roll – Rollen wie im "
                        "Restaurant."),
            CourseSpec("NIGI", "Nigiri & Sashimi Masterclass", 210, 109,
                        "Messerkunde, Fischqualität und die perfekte Reisportion."),
            CourseSpec("VEG", "Vegane Sushi-Werkstatt", 180, 75,
                        "Sushi mit Tofu, Avocado, Shiitake und eingelegtem Gemüse."),
            CourseSpec("RAMEN", "Ramen von Grund auf", 210, 89,
                        "Brühe, Tare, Nudeln und Toppings: eine Schale Ramen wie in Tokio."),
            CourseSpec("GYOZA", "Gyoza & Dim Sum", 180, 75,
                        "Teig, Füllung, Falttechnik: gedämpft, gebraten und frittiert."),
            CourseSpec("BENTO", "Bento-Box-Workshop", 180, 69,
                        "Tamagoyaki, Onigiri und Teriyaki – hübsch angerichtet in der Box."),
            CourseSpec("IZAKAYA", "Izakaya-Abend: Japanische Tapas", 210, 85,
                        "Yakitori, Karaage und Edamame – Kneipenküche aus Japan."),
            CourseSpec("SAKE", "Sake-Tasting mit Sushi", 150, 75,
                        "Sechs Sake-Sorten, dazu passendes Sushi vom Meister."),
            CourseSpec("PAAR", "Sushi-Kurs für Paare", 180, 79,
                        "Zu zweit rollen, zu zweit genießen – mit einem Glas Pflaumenwein."),
        ),
    ),
}
# fmt: on
KIND_ORDER = tuple(KINDS)


@dataclass(frozen=True)
class NamedPartner:
    slug: str
    name: str
    kind: str
    legal_name: str
    street: str
    postcode: str
    city: str
    email: str
    phone: str
    tax_number: str
    vat_id: str | None
    commission: str
    small_business: bool
    prefix: str  # SKU prefix
    contact: str  # the partner user's display name


# fmt: off
NAMED_PARTNERS: tuple[NamedPartner, ...] = (
    NamedPartner("kochschule", "Kochschule Löffelglück", "Kochschule",
                  "Löffelglück Kochschule GmbH", "Schanzenstraße 41", "20357", "Hamburg",
                  "kontakt@loeffelglueck.example", "+49 40 66969 101", "41/723/00815",
                  "DE287314955", "25.00", False, "KLG", "Lena Hoffmann"),
    NamedPartner("weinschule", "Weinschule Rheingau", "Weinschule",
                  "Weinschule Rheingau Hofmann & Söhne OHG", "Rheinallee 12", "65343",
                  "Eltville am Rhein", "info@weinschule-rheingau.example", "+49 69 90009 212",
                  "037 842 19034", "DE311402786", "22.00", False, "WRG", "Jakob Hofmann"),
    NamedPartner("cocktailschule", "Cocktailschule Shake & Stir", "Cocktailschule",
                  "Shake & Stir Bar Events UG (haftungsbeschränkt)", "Oranienstraße 183",
                  "10999", "Berlin", "hallo@shake-and-stir.example", "+49 30 23125 318",
                  "29/142/61018", "DE329871544", "28.00", False, "CSB", "Mehmet Yılmaz"),
    NamedPartner("barista-akademie", "Barista-Akademie Bohnenliebe", "Barista-Akademie",
                  "Bohnenliebe Kaffeerösterei GmbH", "Westenriederstraße 15", "80331",
                  "München", "akademie@bohnenliebe.example", "+49 89 99998 420",
                  "143/218/40512", "DE298765430", "24.00", False, "BAB", "Sophie Brandl"),
    # Kleinunternehmerin nach § 19 UStG: no VAT id, no VAT on her invoices.
    NamedPartner("toepferwerkstatt", "Töpferwerkstatt Drehscheibe", "Töpferwerkstatt",
                  "Marta Nowak", "Karl-Heine-Straße 52", "04229", "Leipzig",
                  "marta@drehscheibe-leipzig.example", "+49 30 23125 527", "232/270/09417",
                  None, "20.00", True, "TWD", "Marta Nowak"),
    NamedPartner("schokoladenmanufaktur", "Schokoladenmanufaktur Kakaoschote",
                  "Schokoladenmanufaktur", "Kakaoschote Manufaktur GmbH & Co. KG",
                  "Ehrenstraße 27", "50672", "Köln", "service@kakaoschote.example",
                  "+49 221 4710 636", "215/5741/2093", "DE301558219", "26.00", False, "SMK",
                  "Claudia Schmitz"),
    NamedPartner("brauseminar", "Brauseminar Bamberger Sudhaus", "Brauseminar",
                  "Bamberger Sudhaus Brauerei Wagner e.K.", "Obere Sandstraße 8", "96049",
                  "Bamberg", "sudhaus@bamberger-sudhaus.example", "+49 89 99998 745",
                  "207/114/51008", "DE276630198", "23.50", False, "BBS", "Florian Wagner"),
    NamedPartner("sushi-atelier", "Sushi-Atelier Immermann", "Sushi-Atelier",
                  "Sushi-Atelier Immermann GbR", "Immermannstraße 31", "40210", "Düsseldorf",
                  "kurse@sushi-immermann.example", "+49 69 90009 853", "133/5093/6672",
                  "DE318804127", "27.00", False, "SAD", "Kenji Tanaka"),
)
STAFF_USER = ("miomente", "Miomente Partnerservice", "partnerservice@miomente.example")

# city, postcode prefix (two digits), weight (rough population share, for customers)
CITIES: tuple[tuple[str, str, float], ...] = (
    ("Berlin", "10", 10), ("Hamburg", "20", 6), ("München", "80", 5.5), ("Köln", "50", 4),
    ("Frankfurt am Main", "60", 3.5), ("Stuttgart", "70", 3), ("Düsseldorf", "40", 3),
    ("Leipzig", "04", 2.5), ("Dortmund", "44", 2.5), ("Essen", "45", 2.3),
    ("Bremen", "28", 2.2), ("Dresden", "01", 2.2), ("Hannover", "30", 2.2),
    ("Nürnberg", "90", 2.1), ("Duisburg", "47", 1.8), ("Bochum", "44", 1.5),
    ("Wuppertal", "42", 1.4), ("Bielefeld", "33", 1.3), ("Bonn", "53", 1.3),
    ("Münster", "48", 1.3), ("Mannheim", "68", 1.2), ("Karlsruhe", "76", 1.2),
    ("Augsburg", "86", 1.2), ("Wiesbaden", "65", 1.1), ("Freiburg im Breisgau", "79", 1),
    ("Heidelberg", "69", 0.7), ("Regensburg", "93", 0.6), ("Würzburg", "97", 0.6),
    ("Potsdam", "14", 0.7), ("Mainz", "55", 0.9), ("Lübeck", "23", 0.8), ("Kiel", "24", 0.9),
    ("Rostock", "18", 0.8), ("Erfurt", "99", 0.8), ("Aachen", "52", 1), ("Bamberg", "96", 0.3),
    ("Eltville am Rhein", "65", 0.1), ("Lüneburg", "21", 0.3), ("Konstanz", "78", 0.3),
    ("Ulm", "89", 0.5),
)
STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße",
    "Lindenstraße", "Kirchstraße", "Goethestraße", "Schillerstraße", "Waldstraße", "Ringstraße",
    "Mühlenweg", "Am Markt", "Friedrichstraße", "Rosenweg", "Birkenweg", "Mozartstraße",
    "Parkstraße", "Wiesenweg", "Eichendorffstraße", "Kastanienallee", "Uhlandstraße",
    "Feldstraße", "Poststraße", "Jahnstraße", "Talstraße", "Brunnenstraße", "Beethovenstraße",
    "Lessingstraße", "Am Sonnenhang", "Heinrich-Heine-Straße", "Kantstraße", "Rathausplatz",
    "Hafenstraße", "Marktplatz", "Ahornweg", "Fliederweg", "Kurze Straße", "Lange Reihe",
)
FIRST_NAMES = (
    "Anna", "Lena", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Johanna", "Marie", "Sophie",
    "Hannah", "Lea", "Clara", "Charlotte", "Emma", "Mia", "Paula", "Franziska", "Sabine",
    "Claudia", "Petra", "Stefanie", "Nicole", "Andrea", "Miriam", "Aylin", "Elif", "Zeynep",
    "Alexander", "Maximilian", "Felix", "Lukas", "Jonas", "Leon", "Paul", "Tobias", "Florian",
    "Sebastian", "Daniel", "Michael", "Thomas", "Andreas", "Stefan", "Christian", "Markus",
    "Jan", "Niklas", "Moritz", "David", "Simon", "Matthias", "Oliver", "Frank", "Jürgen",
    "Can", "Emre", "Luca", "Mehmet", "Tim", "Philipp",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin",
    "Schumacher", "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel",
    "Heinrich", "Brandt", "Haas", "Schreiber", "Graf", "Dietrich", "Ziegler", "Kuhn", "Pohl",
    "Engel", "Horn", "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Pfeiffer", "Yılmaz",
    "Kaya", "Nowak", "Kowalski", "Nguyen", "Popović", "Rossi", "Demir", "Öztürk", "Schütz",
)
# RFC 2606 domains: demo mail can never reach a real mailbox.
MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")
# The Bundesnetzagentur's drama numbers, never assigned to anyone: area code, block + 000-999.
PHONE_BLOCKS = (("30", "23125"), ("40", "66969"), ("69", "90009"), ("89", "99998"),
                ("221", "4710"))
COMPANIES = ("Stadtwerke", "Ingenieurbüro", "Agentur", "Kanzlei", "Praxis", "Architekten")

# method code, label for the status history, share
PAYMENT_METHODS = (
    ("paypal_express", "PayPal", 0.42),
    ("stripe_payments", "Kreditkarte (Stripe)", 0.40),
    ("banktransfer", "Vorkasse per Überweisung", 0.18),
)
REJECT_REASONS = (
    "Der Termin ist leider bereits ausgebucht.",
    "Die Kursleitung ist erkrankt, der Termin entfällt.",
    "Die Mindestteilnehmerzahl wurde nicht erreicht.",
    "Der Kurs ist für Kinder nicht geeignet.",
)
CANCEL_REASONS = (
    "Auf Wunsch der Kundin / des Kunden storniert.",
    "Zahlung nicht eingegangen, Bestellung storniert.",
    "Doppelte Bestellung, storniert.",
)
# stars -> (titles, texts)
REVIEW_TEXTS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    5: (
        ("Rundum gelungen!", "Absolut empfehlenswert", "Ein toller Abend",
         "Super Kurs, gerne wieder", "Begeistert!", "Perfektes Geschenk"),
        ("Sehr sympathische Kursleitung, alles verständlich erklärt und am Ende richtig lecker.",
         "Wir hatten einen wunderbaren Abend – perfekt organisiert und viel gelernt.",
         "Das Geschenk war ein voller Erfolg, wir kommen bestimmt wieder.",
         "Kleine Gruppe, entspannte Atmosphäre und viele Tipps für zu Hause.",
         "Man merkt, mit wie viel Leidenschaft hier gearbeitet wird. Klare Empfehlung!"),
    ),
    4: (
        ("Sehr schöner Kurs", "Hat Spaß gemacht", "Gut, mit kleinen Abstrichen"),
        ("Inhaltlich top, nur die Gruppe war etwas groß.",
         "Schöne Atmosphäre, der Beginn hat sich leider etwas verzögert.",
         "Viel gelernt und gut gegessen – etwas mehr Zeit zum Ausprobieren wäre schön."),
    ),
    3: (
        ("Ganz okay", "Durchwachsen"),
        ("Nett, aber für den Preis hätte ich etwas mehr erwartet.",
         "Die Kursleitung war freundlich, der Ablauf aber etwas chaotisch."),
    ),
    2: (("Leider enttäuschend",), ("Es war sehr voll und man kam kaum selbst zum Zug.",)),
    1: (("Nicht zu empfehlen",), ("Der Kurs begann 40 Minuten zu spät und wirkte unvorbereitet.",)),
}
RATING_WEIGHTS = ((5, 0.60), (4, 0.27), (3, 0.08), (2, 0.03), (1, 0.02))  # mean ~4.4
# fmt: on

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ı": "i"}
)


def _ascii(text_: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text_.translate(_TRANSLIT))
    return decomposed.encode("ascii", "ignore").decode("ascii")


@cache
def mail_name(name: str) -> str:
    return _ascii(name).lower()


def slugify(text_: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text_).lower()).strip("-")
