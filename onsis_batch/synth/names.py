"""Plainly invented names and places for synthetic students and schools.

Nothing here is meant to match a real person or school; a few names carry Latin-1 accents so
that encodings are exercised.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Quillamae",
    "Brondix",
    "Zarvelle",
    "Tolbric",
    "Vessaline",
    "Orrikan",
    "Pimbrella",
    "Dravenko",
    "Ulmira",
    "Fexley",
    "Marzipa",
    "Gorvath",
    "Yelvina",
    "Kestrobel",
    "Nimbert",
    "Wrenfold",
    "Héloïcette",
    "Mérivane",
    "Thèodrik",
    "Lôrival",
    "Bélisandre",
    "Côrentix",
    "Sprocketa",
    "Jaxovar",
    "Ivrelle",
    "Clemzo",
    "Raventhia",
    "Obbelin",
    "Esquirra",
    "Tindle",
)

# Usual (short) first name -> legal first name, for students whose legal name differs.
LEGAL_FORMS = {
    "Quill": "Quillamae",
    "Bron": "Brondix",
    "Zar": "Zarvelle",
    "Vess": "Vessaline",
    "Mér": "Mérivane",
    "Theo": "Thèodrik",
    "Lôri": "Lôrival",
    "Béli": "Bélisandre",
}

LAST_NAMES = (
    "Quibblestone",
    "Marrowfen",
    "Thistlewick",
    "Brambletoft",
    "Dunnerquay",
    "Fizzlewood",
    "Ockendrell",
    "Pellingsby",
    "Yarrowgate",
    "Zimbleford",
    "Crumhollow",
    "Vantreaux",
    "Bélanfort",
    "Mèrevaux",
    "Côtelune",
    "Desrochèrs",
    "Lafontôme",
    "Sévignac",
    "Wobbleton",
    "Grizzlemere",
    "Hobnailer",
    "Snorkwell",
    "Tumbleridge",
    "Glimmerhaus",
)

SCHOOL_NAMES = (
    "Quillfeather",
    "Marrowbank",
    "Thistledown",
    "Brindlewood",
    "Dunmarrow",
    "Fennick Ridge",
    "Oakhollow",
    "Pellmere",
    "Yarrow Point",
    "Zimble Falls",
    "Crumlake",
    "Vantry Heights",
)

GENDER_DESCRIPTIONS = ("Non-binary", "Two-Spirit", "Genderfluid", "Agender")

# Countries students arrive from, as Ministry country codes (codes.yaml country_type): India,
# the Philippines, China, France, Ukraine, Brazil, Nigeria, Mexico, Syria, Jamaica, Vietnam and
# the United Kingdom. Provinces they arrive from (two-letter codes).
COUNTRIES = ("292", "481", "136", "202", "647", "067", "448", "388", "613", "316", "682", "655")
PROVINCES = ("QC", "AB", "BC", "MB", "NS", "SK", "NB", "NL")
FRENCH_PROVINCES = ("QC", "NB")

# Letters a Canadian postal code may use after the first position.
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
ONTARIO_FIRST_LETTERS = "KLMNP"
