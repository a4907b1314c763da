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

# Countries and provinces students arrive from (three-letter and two-letter codes).
COUNTRIES = ("IND", "PHL", "CHN", "FRA", "UKR", "BRA", "NGA", "MEX", "SYR", "JAM", "VNM", "GBR")
PROVINCES = ("QC", "AB", "BC", "MB", "NS", "SK", "NB", "NL")
FRENCH_PROVINCES = ("QC", "NB")

# Letters a Canadian postal code may use after the first position.
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
ONTARIO_FIRST_LETTERS = "KLMNP"
