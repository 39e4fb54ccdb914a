"""Text vocabulary: product nouns, materials, season cues and multilingual review phrases.

The words are chosen so that a text encoder can recover category, season, price tier and quality
from titles, descriptions and reviews. Several entries deliberately contain commas, double quotes
and line breaks, which the CSV writer must quote.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryVocab:
    """Words that describe the products of one category."""

    nouns: tuple[str, ...]
    sizes: tuple[str, ...]
    materials: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # budget, standard, premium
    features: tuple[str, ...]
    season_cues: tuple[str, ...]
    brand_syllables: tuple[str, ...]


VOCAB: dict[str, CategoryVocab] = {
    "home/kitchen/cookware": CategoryVocab(
        nouns=("Frying Pan", "Saucepan", "Stockpot", "Wok", "Dutch Oven", "Skillet", "Grill Pan"),
        sizes=("20 cm", "24 cm", "28 cm", '10"', '12"', "3 l", "5 l"),
        materials=(
            ("aluminium", "coated steel"),
            ("stainless steel", "hard-anodised aluminium"),
            ("tri-ply stainless steel", "enamelled cast iron", "hammered copper"),
        ),
        features=(
            "oven safe up to 220 °C",
            "dishwasher safe",
            "works on induction, gas and electric",
            "stay-cool handle",
            "PFAS-free non-stick coating",
            "pouring lips on both sides",
        ),
        season_cues=(
            "A welcome gift for the holidays.",
            "Your everyday kitchen workhorse, all year round.",
        ),
        brand_syllables=(
            "Kuch",
            "Chef",
            "Pot",
            "Forge",
            "Cuivre",
            "Sieb",
            "werk",
            "ware",
            "ista",
            "line",
        ),
    ),
    "garden/outdoor/bbq": CategoryVocab(
        nouns=(
            "Charcoal Grill",
            "Gas Barbecue",
            "Kettle Grill",
            "Grill Tongs Set",
            "Smoker Box",
            "Pizza Stone",
            "Grill Cover",
        ),
        sizes=("47 cm", "57 cm", "3-burner", "4-burner", "compact", "XL"),
        materials=(
            ("painted steel", "chrome-plated steel"),
            ("porcelain-enamelled steel", "cast aluminium"),
            ("304 stainless steel", "heavy-gauge cast iron"),
        ),
        features=(
            "built-in thermometer",
            "ash catcher",
            "foldable side tables",
            "weatherproof",
            "fits 12 burgers",
            "easy-clean grates",
        ),
        season_cues=(
            "Perfect for summer barbecues.",
            "Made for long summer evenings in the garden.",
            "Fire it up for the first sunny weekend of the year.",
        ),
        brand_syllables=(
            "Grill",
            "Flame",
            "Ember",
            "Smok",
            "Patio",
            "Brat",
            "master",
            "king",
            "ox",
            "fire",
        ),
    ),
    "toys/games/board-games": CategoryVocab(
        nouns=(
            "Strategy Board Game",
            "Family Card Game",
            "Cooperative Puzzle Game",
            "Trivia Game",
            "Party Game",
            "Chess Set",
            "Dice Game",
        ),
        sizes=("2-4 players", "2-6 players", "ages 8+", "ages 12+", "travel edition"),
        materials=(
            ("cardboard", "printed paper"),
            ("thick cardboard", "wooden tokens"),
            ("linen-finish cards", "hand-painted miniatures", "solid walnut"),
        ),
        features=(
            "30-minute play time",
            "easy to learn, hard to master",
            "includes expansion",
            "rules in 5 languages",
            '"Game of the Year" nominee',
        ),
        season_cues=(
            "The perfect Christmas present for the whole family.",
            "Cosy game nights through the long winter evenings.",
        ),
        brand_syllables=(
            "Meeple",
            "Dice",
            "Ludo",
            "Spiel",
            "Cubo",
            "Play",
            "craft",
            "works",
            "ora",
            "box",
        ),
    ),
    "clothing/winter/jackets": CategoryVocab(
        nouns=(
            "Down Jacket",
            "Parka",
            "Puffer Jacket",
            "Ski Jacket",
            "Insulated Coat",
            "Softshell Jacket",
        ),
        sizes=("S", "M", "L", "XL", "XXL"),
        materials=(
            ("polyester fill", "nylon shell"),
            ("recycled synthetic fill", "ripstop nylon"),
            ("800-fill goose down", "Gore-Tex shell", "merino lining"),
        ),
        features=(
            "water-repellent",
            "detachable hood",
            "windproof",
            "two-way zip",
            "packs into its own pocket",
            "rated to -20 °C",
        ),
        season_cues=(
            "Keeps you warm through the coldest winter days.",
            "Built for snowy mornings and icy winds.",
        ),
        brand_syllables=(
            "Nord",
            "Alpen",
            "Frost",
            "Glacier",
            "Tundra",
            "Polar",
            "peak",
            "wear",
            "line",
            "ex",
        ),
    ),
    "electronics/audio/headphones": CategoryVocab(
        nouns=(
            "Wireless Headphones",
            "Noise-Cancelling Headphones",
            "Earbuds",
            "Gaming Headset",
            "Sport Earphones",
            "Studio Monitor Headphones",
        ),
        sizes=("black", "white", "midnight blue", "rose gold"),
        materials=(
            ("plastic housing", "foam ear pads"),
            ("aluminium hinges", "memory-foam ear cushions"),
            ("protein-leather ear cushions", "beryllium drivers", "machined aluminium"),
        ),
        features=(
            "30 h battery life",
            "Bluetooth 5.3",
            "USB-C fast charging",
            "multipoint pairing",
            "active noise cancelling",
            "built-in microphone",
        ),
        season_cues=(
            "A gift that always lands well.",
            "Your daily companion for commute and travel.",
        ),
        brand_syllables=(
            "Sono",
            "Bass",
            "Audi",
            "Echo",
            "Volt",
            "Hertz",
            "tek",
            "phonic",
            "ix",
            "wave",
        ),
    ),
    "beauty/skincare/sunscreen": CategoryVocab(
        nouns=(
            "Sun Cream",
            "Sunscreen Spray",
            "Sun Lotion",
            "After-Sun Gel",
            "Tinted Sunscreen",
            "Kids Sun Milk",
        ),
        sizes=("SPF 30, 200 ml", "SPF 50, 100 ml", "SPF 50+, 50 ml", "SPF 30, 150 ml"),
        materials=(
            ("basic formula",),
            ("water-resistant formula", "aloe vera"),
            ("reef-safe mineral filters", "hyaluronic acid", "dermatologist-developed formula"),
        ),
        features=(
            "water-resistant for 80 minutes",
            "non-greasy",
            "fragrance-free",
            "suitable for sensitive skin",
            "UVA/UVB protection",
        ),
        season_cues=(
            "Your essential for summer holidays at the beach.",
            "Protects on sunny summer days.",
        ),
        brand_syllables=(
            "Sol",
            "Sun",
            "Derma",
            "Aqua",
            "Helio",
            "Lumi",
            "care",
            "skin",
            "ra",
            "elle",
        ),
    ),
    "sports/fitness/yoga": CategoryVocab(
        nouns=(
            "Yoga Mat",
            "Yoga Block Set",
            "Resistance Bands",
            "Foam Roller",
            "Yoga Strap",
            "Meditation Cushion",
        ),
        sizes=("4 mm", "6 mm", "183 x 61 cm", "set of 3", "set of 5"),
        materials=(
            ("PVC", "EVA foam"),
            ("TPE", "natural cotton"),
            ("natural rubber", "cork", "organic jute"),
        ),
        features=(
            "non-slip surface",
            "carrying strap included",
            "alignment lines",
            "latex-free",
            "easy to clean",
        ),
        season_cues=("Start the new year with a fresh routine.", "Stay active all year round."),
        brand_syllables=(
            "Zen",
            "Flow",
            "Asana",
            "Lotus",
            "Prana",
            "Fit",
            "ly",
            "core",
            "motion",
            "ra",
        ),
    ),
    "home/decor/christmas": CategoryVocab(
        nouns=(
            "Christmas Tree Ornament Set",
            "LED Fairy Lights",
            "Advent Wreath",
            "Nativity Scene",
            "Christmas Tree Topper Star",
            "Festive Table Runner",
        ),
        sizes=("set of 12", "set of 24", "10 m", "20 m", "40 cm"),
        materials=(
            ("plastic", "printed polyester"),
            ("glass", "warm-white LEDs"),
            ("hand-blown glass", "solid brass", "hand-carved wood"),
        ),
        features=(
            "timer function",
            "indoor and outdoor use",
            "shatterproof",
            "hand-painted details",
            "comes in a gift box",
        ),
        season_cues=(
            "Bring festive sparkle to your home this Christmas.",
            "Decorate for the holiday season in style.",
        ),
        brand_syllables=(
            "Noel",
            "Yule",
            "Stern",
            "Glitz",
            "Holly",
            "Winter",
            "glow",
            "fest",
            "wood",
            "light",
        ),
    ),
    "office/supplies/stationery": CategoryVocab(
        nouns=(
            "Notebook",
            "Gel Pen Set",
            "Highlighter Set",
            "Ring Binder",
            "Sticky Notes",
            "Fountain Pen",
            "Desk Organiser",
        ),
        sizes=("A5, dotted", "A4, lined", "pack of 10", "pack of 6", "0.5 mm"),
        materials=(
            ("recycled paper", "plastic"),
            ("80 g/m² paper", "metal clip"),
            ("100 g/m² acid-free paper", "brass", "vegan leather cover"),
        ),
        features=(
            "bleed-proof",
            "lay-flat binding",
            "quick-drying ink",
            "refillable",
            "numbered pages",
        ),
        season_cues=("Ready for back to school.", "Keeps your desk organised all year."),
        brand_syllables=(
            "Paper",
            "Note",
            "Scrib",
            "Ink",
            "Lineo",
            "Script",
            "ly",
            "mate",
            "ario",
            "folio",
        ),
    ),
    "beauty/fragrance/perfume": CategoryVocab(
        nouns=(
            "Eau de Parfum",
            "Eau de Toilette",
            "Body Mist",
            "Perfume Gift Set",
            "Solid Perfume",
        ),
        sizes=("30 ml", "50 ml", "100 ml", "travel size, 10 ml"),
        materials=(
            ("light floral notes",),
            ("notes of bergamot and vanilla", "fresh citrus notes"),
            ("rare oud and amber", "Grasse jasmine absolute", "hand-numbered flacon"),
        ),
        features=("long-lasting", "unisex", "vegan", "elegant glass bottle", "gift-wrapped"),
        season_cues=(
            "A romantic gift for Valentine's Day.",
            "A timeless gift for Christmas, birthdays and Mother's Day.",
        ),
        brand_syllables=(
            "Maison",
            "Flor",
            "Aura",
            "Essence",
            "Belle",
            "Oud",
            "ette",
            "ine",
            "ore",
            "elle",
        ),
    ),
    "garden/plants/seeds": CategoryVocab(
        nouns=(
            "Tomato Seeds",
            "Wildflower Seed Mix",
            "Herb Garden Kit",
            "Lawn Seed",
            "Sunflower Seeds",
            "Chili Pepper Seeds",
        ),
        sizes=("50 seeds", "100 g", "1 kg", "set of 6 varieties"),
        materials=(
            ("standard seeds",),
            ("untreated seeds", "peat-free soil pellets"),
            ("certified organic heirloom seeds", "hand-selected varieties"),
        ),
        features=(
            "high germination rate",
            "bee-friendly",
            "easy to grow",
            "sow March to May",
            "suitable for balconies",
        ),
        season_cues=(
            "Sow in spring for a summer full of colour.",
            "Get your garden ready for spring.",
        ),
        brand_syllables=(
            "Green",
            "Seed",
            "Bloom",
            "Garten",
            "Sprout",
            "Terra",
            "ly",
            "grow",
            "ia",
            "leaf",
        ),
    ),
    "pets/food/dog-food": CategoryVocab(
        nouns=(
            "Dry Dog Food",
            "Wet Dog Food",
            "Puppy Food",
            "Grain-Free Dog Food",
            "Dog Treats",
            "Senior Dog Food",
        ),
        sizes=("2 kg", "12 kg", "6 x 400 g", "24 x 200 g", "500 g"),
        materials=(
            ("chicken and cereals",),
            ("lamb and rice", "salmon and potato"),
            ("free-range duck", "wild-caught salmon", "human-grade ingredients"),
        ),
        features=(
            "no artificial colours",
            "for all breeds",
            "rich in omega-3",
            "supports healthy digestion",
            "veterinarian recommended",
        ),
        season_cues=("Daily nutrition your dog will love.", "A complete food for every season."),
        brand_syllables=(
            "Paw",
            "Bark",
            "Wuff",
            "Canis",
            "Happy",
            "Fido",
            "ly",
            "feed",
            "os",
            "pet",
        ),
    ),
}

TIER_TITLE_WORDS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    ("Basic", "Essential", "Value", "Everyday"),
    ("Classic", "Comfort", "Original", ""),
    ("Premium", "Pro", "Signature", "Luxe"),
)

TIER_SENTENCES: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = (
    (
        "Great value for everyday use.",
        "A budget-friendly choice that does the job.",
        "Simple, affordable, practical.",
    ),
    ("A reliable all-rounder at a fair price.", "Solid quality for daily use."),
    (
        "Premium craftsmanship, made to last for years.",
        "Crafted from the finest materials for discerning customers.",
        'Our "Signature" line: uncompromising quality.',
    ),
)

PROMO_NAMES_BY_MONTH: dict[int, tuple[str, ...]] = {
    1: ("New Year sale", "Winter clearance"),
    2: ("Winter clearance", "February deals"),
    3: ("Spring sale", "Spring cleaning deals"),
    4: ("Easter offers", "Spring sale"),
    5: ("May days", "Mother's Day offers"),
    6: ("Summer kick-off", "Mid-season sale"),
    7: ("Summer savings week", "Mid-season sale"),
    8: ("Back to school", "Summer clearance"),
    9: ("Back to school", "Autumn deals"),
    10: ("Autumn deals", "Halloween specials"),
    11: ("Early bird Christmas deals", "Autumn deals"),
    12: ("Christmas countdown", "Last-minute gifts"),
}

PROMO_TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "discount": ("{base}", "{base}: up to {pct}% off"),
    "flash_sale": ('Flash sale: "today only", while stocks last', "{base} flash sale"),
    "bundle": ("Bundle & save, buy 2 get {pct}% off", "{base}: bundle deals"),
    "free_shipping": ("Free shipping days", "{base}, free delivery"),
}

EVENT_CAMPAIGN_NAMES: dict[str, tuple[str, ...]] = {
    "singles_day": ("Singles' Day mega sale", "11.11 deals"),
    "black_friday": ("Black Friday week", "Black Friday deals, up to {pct}% off"),
    "cyber_monday": ("Cyber Monday", "Cyber Monday flash deals"),
    "prime_day": ("Prime Days", "Summer deal days"),
    "valentines_day": ("Valentine's special", "For your Valentine, with love"),
    "christmas_run_up": ("Christmas countdown", "Advent calendar deals"),
    "winter_sales": ("Winter sales", "Saldi invernali, up to {pct}% off"),
    "summer_sales": ("Summer sales", "Saldi estivi, {pct}% off"),
    "back_to_school": ("Back to school", "Ready for school: {pct}% off"),
    "mothers_day": ("Mother's Day gifts", "For Mum, with love"),
    "mid_year_sale": ("6.18 mid-year sale", "Mid-year mega deals, {pct}% off"),
    "new_year_sale": ("New Year sale", "New year, new deals: {pct}% off"),
}

# Review phrases per language: (titles, bodies) per sentiment; "{noun}" is the product noun.
REVIEW_TEXT: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "positive": (
            ("Love it!", "Excellent", "Great value", "Exactly as described", "Five stars"),
            (
                "Really happy with this {noun}. Solid build, works perfectly.",
                "Bought it as a gift, they loved it.\nWould buy again!",
                "Great quality for the price, arrived quickly.",
                'The "premium" feel is real. Highly recommended, 10/10.',
            ),
        ),
        "neutral": (
            ("OK", "Does the job", "Average", "It's fine"),
            (
                "Decent {noun}, nothing special.",
                "Does what it says, but the finish could be better.",
                "Fine for the price, I guess.",
            ),
        ),
        "negative": (
            ("Disappointed", "Not worth it", "Poor quality", "Meh"),
            (
                "Cheap materials, feels flimsy.",
                "Not as described. Returning it.",
                "Stopped working properly after a few weeks, sadly.",
            ),
        ),
        "defect": (
            ("Defective!", "Broke after two days", "Faulty batch?", "DO NOT BUY"),
            (
                "Broke after two days. Defective, total waste of money.",
                "Arrived defective, the second one too.\nSomething is wrong with this batch.",
                'Defective out of the box, the "quality control" clearly failed.',
            ),
        ),
    },
    "de": {
        "positive": (
            ("Super!", "Sehr empfehlenswert", "Top Qualität", "Preis-Leistung stimmt"),
            (
                "Sehr zufrieden, gute Verarbeitung und schnelle Lieferung.",
                "Als Geschenk gekauft, kam super an.\nGerne wieder!",
                "Qualität überzeugt, würde ich wieder kaufen.",
            ),
        ),
        "neutral": (
            ("Ganz ok", "Geht so", "Durchschnitt"),
            ("Erfüllt seinen Zweck, mehr aber auch nicht.", "Für den Preis in Ordnung."),
        ),
        "negative": (
            ("Enttäuscht", "Leider nicht gut", "Schlechte Qualität"),
            ("Billiges Material, wirkt wackelig.", "Nicht wie beschrieben, geht zurück."),
        ),
        "defect": (
            ("Defekt!", "Nach zwei Tagen kaputt", "Finger weg"),
            (
                "Nach zwei Tagen kaputt. Defekt, rausgeschmissenes Geld.",
                "Kam defekt an, der Ersatz auch.\nMit dieser Charge stimmt etwas nicht.",
            ),
        ),
    },
    "fr": {
        "positive": (
            ("Parfait !", "Excellent produit", "Très satisfait", "Rapport qualité-prix au top"),
            (
                "Très bonne qualité, livraison rapide.",
                "Offert en cadeau, il a adoré.\nJe recommande !",
                "Produit conforme, « premium » comme promis.",
            ),
        ),
        "neutral": (
            ("Correct", "Moyen", "Sans plus"),
            ("Fait le travail, sans plus.", "Correct pour le prix."),
        ),
        "negative": (
            ("Déçu", "Mauvaise qualité", "Bof"),
            ("Matériaux bon marché, fragile.", "Pas conforme à la description, je le renvoie."),
        ),
        "defect": (
            ("Défectueux !", "Cassé au bout de deux jours", "À éviter"),
            (
                "Cassé au bout de deux jours. Défectueux, argent perdu.",
                "Reçu défectueux, le remplacement aussi.\nProblème de lot ?",
            ),
        ),
    },
    "es": {
        "positive": (
            ("¡Me encanta!", "Excelente", "Muy buena calidad", "Relación calidad-precio genial"),
            (
                "Muy contento, buena calidad y envío rápido.",
                "Lo compré para regalar, les encantó.\n¡Repetiré!",
                "Calidad excelente, lo recomiendo.",
            ),
        ),
        "neutral": (
            ("Normal", "Cumple", "Regular"),
            ("Cumple su función, nada más.", "Aceptable por el precio."),
        ),
        "negative": (
            ("Decepcionado", "Mala calidad", "No lo recomiendo"),
            ("Materiales baratos, se siente frágil.", "No es como se describe, lo devuelvo."),
        ),
        "defect": (
            ("¡Defectuoso!", "Se rompió a los dos días", "No comprar"),
            (
                "Se rompió a los dos días. Defectuoso, dinero tirado.",
                "Llegó defectuoso, el de reemplazo también.\n¿Lote malo?",
            ),
        ),
    },
    "it": {
        "positive": (
            ("Fantastico!", "Ottimo acquisto", "Qualità top", "Consigliatissimo"),
            (
                "Molto soddisfatto, ottima qualità e spedizione veloce.",
                "Comprato come regalo, è piaciuto tantissimo.\nLo ricomprerei!",
                "Ottimo rapporto qualità-prezzo, lo consiglio.",
            ),
        ),
        "neutral": (
            ("Nella media", "Discreto", "Così così"),
            ("Fa il suo lavoro, niente di più.", "Accettabile per il prezzo."),
        ),
        "negative": (
            ("Deluso", "Pessima qualità", "Non lo consiglio"),
            ("Materiali scadenti, sembra fragile.", "Non corrisponde alla descrizione, lo rendo."),
        ),
        "defect": (
            ("Difettoso!", "Rotto dopo due giorni", "Da evitare"),
            (
                "Rotto dopo due giorni. Difettoso, soldi buttati.",
                "Arrivato difettoso, anche il sostituto.\nProblema di lotto?",
            ),
        ),
    },
    "nl": {
        "positive": (
            ("Top!", "Uitstekend", "Zeer tevreden", "Prijs-kwaliteit prima"),
            (
                "Erg tevreden, goede kwaliteit en snel geleverd.",
                "Gekocht als cadeau, viel heel goed in de smaak.\nZou het zo weer kopen!",
                "Mooie kwaliteit voor deze prijs, aanrader.",
            ),
        ),
        "neutral": (
            ("Prima", "Gaat wel", "Gemiddeld"),
            ("Doet wat het moet doen, meer niet.", "Redelijk voor de prijs."),
        ),
        "negative": (
            ("Teleurgesteld", "Slechte kwaliteit", "Niet aan te raden"),
            ("Goedkoop materiaal, voelt wankel.", "Niet zoals beschreven, gaat retour."),
        ),
        "defect": (
            ("Defect!", "Na twee dagen kapot", "Niet kopen"),
            (
                "Na twee dagen kapot. Defect, weggegooid geld.",
                "Kwam defect aan, de vervanger ook.\nIets mis met deze partij?",
            ),
        ),
    },
}
